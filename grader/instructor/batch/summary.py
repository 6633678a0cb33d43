"""`grade batch` in the terminal: a progress bar while the class is graded, then one rich
table row per student and a line of counts, in the batch's language (catalogue entries
`batch_*`; an error or notice of a record translated where the catalogue has its words)."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from grader.instructor.batch.export import STUDENT_VIEW, terminal_text
from grader.instructor.batch.record import ERROR, StudentRecord
from grader.instructor.batch.run import BatchOptions, BatchSummary, run_batch
from grader.messages import text, translate


def summary_table(records: list[StudentRecord], numbers: list[int], lang: str = "en") -> Table:
    """A rich Table in `lang`: student, each exercise's score, total, and status or the
    error (with the record's notice, such as "no exercise modules found")."""
    table = Table(title=text("batch_table_title", lang, count=len(records)))
    table.add_column(text("page_student", lang), overflow="fold")
    for number in numbers:
        table.add_column(f"ex{number:02d}", justify="right")
    table.add_column(text("page_total", lang), justify="right")
    table.add_column(text("column_status", lang), overflow="fold")
    for record in records:
        by_number = record.reports_by_number()
        cells = [
            f"{by_number[n]['score']:g}/{by_number[n]['max_score']:g}" if n in by_number else "-"
            for n in numbers
        ]
        full = record.score == record.max_score and record.graded
        total = Text(f"{record.score:g}/{record.max_score:g}", style="green" if full else "")
        status = (
            Text(terminal_text(translate(record.error, lang)), style="red")
            if record.status == ERROR
            else Text(text("status_graded", lang), style="green")
        )
        if record.notice:
            status.append(f": {terminal_text(translate(record.notice, lang))}", style="yellow")
        table.add_row(Text(terminal_text(record.student)), *cells, total, status)
    return table


def grade_class(submissions_dir: Path, options: BatchOptions) -> BatchSummary | None:
    """run_batch with a progress bar on stderr, then the class table on stdout and a line
    of counts and result files on stderr, all in options.lang.

    Returns:
    - the BatchSummary, or None when the batch was interrupted with Ctrl-C (after saying
      how to resume). Raises RuntimeError with a plain message (--scheduler without Dask).
    """
    console = Console(stderr=True)
    progress = Progress(
        TextColumn(text("batch_progress", options.lang), markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[last]}", markup=False),
        TimeElapsedColumn(),
        console=console,
    )
    task = progress.add_task("batch", total=None, last="")

    def on_record(record: StudentRecord, done: int, total: int) -> None:
        last = f"{terminal_text(record.student)}: {record.score:g}/{record.max_score:g}"
        progress.update(task, total=total, completed=done, last=last)

    out, lang = options.out, options.lang
    try:
        with progress:
            summary = run_batch(submissions_dir, options, on_record)
    except KeyboardInterrupt:
        console.print(text("batch_interrupted", lang, out=out), markup=False, highlight=False)
        return None
    Console().print(summary_table(summary.records, options.exercises, lang))
    files = [out / "gradebook.csv", out / "junit.xml", out / "report.html"]
    files += [out / STUDENT_VIEW] if options.student_view else []
    counts = text(
        "batch_counts",
        lang,
        students=len(summary.records),
        graded=summary.graded,
        skipped=summary.skipped,
        failed=summary.failed,
        seconds=f"{summary.duration_s:.0f}",
        files=", ".join(str(path) for path in files),
    )
    console.print(counts, markup=False, highlight=False)
    return summary
