"""The learner's terminal: the report's table, the spinner and epoch bars while grading,
and what `grade list`, `grade hint` and `grade data` print.

Everything here draws with rich; `grader.cli` imports this module only inside the
commands that draw, so that `grade --help` stays quick.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from grader.course.registry import exercises, get_exercise, title_of
from grader.engine.report import Report
from grader.learner.progress import ExerciseProgress, Progress, learner_folder
from grader.messages import check_name, grading_status, text, translate

_STYLE = {
    "passed": "green",
    "failed": "red",
    "error": "magenta",
    "timeout": "yellow",
    "skipped": "dim",
}
VERIFIED = ("checksum ok", "structure only")
"""A dataset's verdicts (grader.engine.data.status) that mean it can be used."""


# ---------------------------------------------------------------- the report


def print_text(report: Report, console: Console | None = None, lang: str = "en") -> None:
    """Print the report for a reader of `lang`: a table, each failure's details, the score.

    The table gives each check's first message line; a message of several
    lines (the side-by-side values, the failing call to paste) follows the table
    once, however many checks share it. Then the hints revealed so far.
    """
    console = console or Console()
    shown = title_of(report.exercise, lang, report.title)
    title = text("title", lang, number=report.exercise, title=shown)
    table = Table(title=title, show_lines=True)
    table.add_column(text("column_check", lang), ratio=2)
    table.add_column(text("column_points", lang), justify="right", no_wrap=True)
    table.add_column(text("column_status", lang), no_wrap=True)
    table.add_column(text("column_message", lang), ratio=5, overflow="fold")
    details: dict[str, list[str]] = {}
    previous = None
    for check in report.checks:
        message = translate(check.message, lang)
        name = check_name(check.name, lang)
        first, _, rest = message.partition("\n")
        if rest:
            details.setdefault(message, []).append(name)
        table.add_row(
            name,
            f"{check.points:g}/{check.max_points:g}",
            Text(text(f"status_{check.status}", lang), style=_STYLE.get(check.status, "")),
            Text(text("same_as_above", lang) if message and message == previous else first),
        )
        previous = message
    console.print(table)
    for message, names in details.items():
        shown = ", ".join(names[:2]) + (f" (+{len(names) - 2})" if len(names) > 2 else "")
        console.rule(Text(shown, style="bold"), align="left")
        console.print(Text(message), soft_wrap=True)
    for profile in report.profiles:
        print_profile(profile, console, lang)
    for artifact in report.artifacts:
        console.print(Text(text("wrote", lang, path=artifact), style="dim"))
    if report.notice:
        console.print(Text(translate(report.notice, lang), style="bold yellow"))
    elif not report.passed and report.hint:
        for hint in report.hint.split("\n"):
            console.print(Text(text("hint_line", lang, hint=hint), style="cyan"))
    seconds = f"{report.duration_s:.1f}"
    score = text(
        "score", lang, score=f"{report.score:g}", max_score=f"{report.max_score:g}", seconds=seconds
    )
    console.print(Text(score, style="bold green" if report.passed else "bold red"))


def print_profile(profile: dict, console: Console, lang: str = "en") -> None:
    """Print where a capstone's training time went (a Report's profile) as a table, and the
    function the batches wait for, when one stands out."""
    from grader.engine.profile import table_of

    laid_out = table_of(profile, lang)
    console.print(Text(laid_out.title, style="bold"))  # not the table's title: it would wrap
    table = Table(box=box.SIMPLE_HEAD)  # few rules: a GAN's rows are long
    for number, header in enumerate(laid_out.headers):
        table.add_column(header, justify="left" if number < 2 else "right", no_wrap=number > 0)
    for row in laid_out.rows:
        table.add_row(*row)
    console.print(table)
    if laid_out.finding:
        console.print(Text(laid_out.finding, style="bold yellow"))


def show_report(report: Report, output_format: str, lang: str) -> None:
    """Show the report on the terminal: "text" as the table (print_text), the machine
    formats (grader.engine.renderers) as their text on stdout."""
    if output_format == "text":
        print_text(report, Console(), lang)
    else:
        sys.stdout.write(report_text(report, output_format, lang))


def report_text(report: Report, output_format: str, lang: str) -> str:
    """The report in `output_format` as the text of a file ("text": the table, uncoloured)."""
    if output_format == "text":
        buffer = io.StringIO()
        print_text(report, Console(file=buffer), lang)
        return buffer.getvalue()
    from grader.engine.renderers import RENDERERS

    return RENDERERS[output_format](report) + "\n"


# ---------------------------------------------------------------- while grading


class Spinner:
    """The line that says which check of exercise `number` runs, while it is graded."""

    def __init__(self, console: Console, number: int, lang: str):
        self.number, self.lang = number, lang
        self.status = console.status(text("grading", lang, number=number))

    def check(self, done: int, total: int, check: str) -> None:
        """Name the check about to run (a GradingOptions.progress callback)."""
        self.status.update(grading_status(self.number, done, total, check, self.lang))

    def training(self) -> None:
        """Say that a capstone trains the learner's network."""
        self.status.update(text("grading_training", self.lang, number=self.number))

    def start(self) -> None:
        """Start drawing the line."""
        self.status.start()

    def stop(self) -> None:
        """Stop drawing it (nothing to do if it was never started)."""
        self.status.stop()

    def __enter__(self) -> Spinner:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


class _EpochBars:
    """One rich progress bar per training epoch, fed by the trainer's progress messages."""

    def __init__(self, console, lang: str = "en"):
        from rich.progress import BarColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as Bars

        self.progress = Bars(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[metrics]}"),
            TimeElapsedColumn(),  # the time left of the whole training is in the metrics
            console=console,
        )
        self.tasks: dict[tuple[str, int], int] = {}
        self.lang = lang

    def update(self, message: dict) -> None:
        """Show one progress message: a new bar for a new epoch, else move the bar; after
        the first batches, the bar says about how long the whole training has left."""
        from grader.engine.capstone import describe_epoch, epoch_name
        from grader.engine.profile import describe_pace

        key = (message.get("label", ""), int(message.get("epoch", 0)))
        if key not in self.tasks:
            if not self.tasks:
                self.progress.start()
            self.tasks[key] = self.progress.add_task(epoch_name(message), total=1.0, metrics="")
        metrics = describe_epoch(message).split("  ", 1)[-1]
        pace = describe_pace(message, self.lang)
        if pace and not message.get("done"):
            metrics += "  " + pace
        completed = float(message.get("fraction", 0))
        self.progress.update(self.tasks[key], completed=completed, metrics=metrics)

    def stop(self) -> None:
        """Stop drawing (leaves the finished bars on screen)."""
        self.progress.stop()


class _EpochLines:
    """One plain line per finished training epoch, for where no bars can be drawn (CI logs),
    and once per training, after its first batches, about how long it has left when that
    is a minute or more."""

    def __init__(self, stream, lang: str = "en"):
        self.stream = stream  # bound now: the runner redirects sys.stderr while checks run
        self.printed: set[tuple] = set()
        self.lang = lang

    def update(self, message: dict) -> None:
        """Print the line of an epoch that has just ended, once per epoch; skip the rest."""
        from grader.engine.capstone import describe_finished_epoch, epoch_name
        from grader.engine.profile import describe_pace, remaining_seconds

        left = remaining_seconds(message)
        paced = (message.get("label", ""), "pace")
        if left is not None and left >= 60 and paced not in self.printed:
            self.printed.add(paced)
            pace = describe_pace(message, self.lang)
            print(f"{epoch_name(message)}: {pace}", file=self.stream, flush=True)
        key = (message.get("label", ""), message.get("epoch"))
        if message.get("done") and key not in self.printed:
            self.printed.add(key)
            print(describe_finished_epoch(message), file=self.stream, flush=True)

    def stop(self) -> None:
        """Nothing to stop: each line is written as its epoch ends."""


def grade_on_screen(
    number: int,
    submission: Path | None = None,
    lang: str = "en",
    animate: bool = True,
    **settings,
) -> Report:
    """`grade exercise NUMBER`: grade for the learner at the terminal, their progress kept.

    Inputs:
    - number, submission: as grader.learner.grading.grade_and_record takes them; the
      score is recorded when grading the learner's own folder (submission None).
    - lang: the language of the hints and of the spinner.
    - animate: draw a spinner naming the running check and a capstone's epoch bars
      on stderr, where it is a terminal (else one plain line per finished epoch).
    - settings: the other GradingOptions (report_dir, data_dir, compare_keras, seed).

    Returns the Report. Raises what grading raises (UnknownExercise, NotAvailable,
    SandboxUnavailable, KeyboardInterrupt), the spinner and bars stopped.
    """
    from grader.engine import oracles
    from grader.engine.runner import GradingOptions
    from grader.learner import grading

    # The spinner draws while TensorFlow's import silences file descriptor 2.
    oracles.detach_stderr()
    # Bound now: while checks run, the runner redirects sys.stderr to a buffer.
    console = Console(file=sys.stderr)
    drawn = animate and console.is_terminal
    spinner = Spinner(console, number, lang)
    epochs = _EpochBars(console, lang) if drawn else _EpochLines(sys.stderr, lang)

    def training(message: dict) -> None:
        spinner.training()
        epochs.update(message)

    options = GradingOptions(lang=lang, progress=spinner.check, on_training=training, **settings)
    try:
        if drawn:
            spinner.start()
        return grading.grade_and_record(number, submission, options, record=submission is None)
    finally:
        spinner.stop()
        epochs.stop()


# ---------------------------------------------------------------- list, hint, data


def load_progress(folder: Path, lang: str) -> Progress:
    """The learner's progress in `folder`; an unreadable file is reported on stderr."""
    progress = Progress.load(folder)
    if progress.warning:
        print(translate(progress.warning, lang), file=sys.stderr)
    return progress


def print_exercise_list(submission: Path | None, lang: str) -> None:
    """`grade list`: every exercise, its file in `submission`, the learner's best score,
    whether it passes, and which one is next to do."""
    from grader.course.points import points_checked
    from grader.engine.submission import MissingSubmission, module_path

    progress = load_progress(learner_folder(submission), lang)
    upcoming = progress.next_exercise()
    table = Table(title=text("list_title", lang))
    table.add_column("#")
    table.add_column(text("column_exercise", lang), min_width=18)
    for key in ("file", "best", "status"):
        table.add_column(text(f"column_{key}", lang))
    for record in exercises():
        try:
            module_path(submission, record)
            file = record.filename
        except MissingSubmission:
            file = f"{record.filename} ({text('missing', lang)})"
        status = text("ready" if record.available else "not_available", lang)
        entry = progress.exercises.get(record.number, ExerciseProgress())
        best = f"{entry.best_score:g}" if entry.max_score else "-"
        is_next = record.number == upcoming
        table.add_row(
            f"→ {record.number}" if is_next else str(record.number),
            record.title_in(lang),
            file,
            f"{best}/{points_checked(record):g}" + (" ✓" if entry.passed else ""),
            text("next", lang) if is_next else status,
            style="bold" if is_next else None,
        )
    Console().print(table)


def show_hints(
    number: int,
    submission: Path | None = None,
    lang: str = "en",
    everything: bool = False,
    reset: bool = False,
) -> None:
    """`grade hint NUMBER`: reveal the next hint of exercise `number` (every one with
    `everything`; hide them again with `reset`), remember it in the learner's folder,
    and print the hints revealed so far and how many are left.

    Raises ProgressNotSaved (an OSError naming the file) when the progress cannot be saved.
    """
    exercise = get_exercise(number)
    progress = load_progress(learner_folder(submission), lang)
    if reset:
        progress.hide_hints(number)
        progress.save()
        print(text("hint_reset", lang, number=number))
        return
    shown = progress.reveal_hint(number, everything)
    progress.save()
    total = len(exercise.hints_in(lang))
    title = exercise.title_in(lang)
    print(text("hint_header", lang, number=number, title=title, shown=shown, total=total))
    for index, line in enumerate(exercise.revealed_hints(shown, lang), start=1):
        print(f"{index}. {line}")
    if shown < total:
        print(text("hint_more", lang, left=total - shown, number=number))
    else:
        print(text("hint_all_shown", lang, total=total))


def print_datasets(data_dir: Path | None) -> bool:
    """`grade data`: each dataset, where it was found and whether its checksum holds.

    Input: data_dir, a folder searched first (--data-dir). Returns True when every
    dataset can be used (verified by checksum or structure).
    """
    from grader.engine.data import search_path, status

    table = Table(title="nnlab datasets")
    for column in ("dataset", "found in", "train", "test", "verified"):
        table.add_column(column, overflow="fold")
    rows = status(data_dir)
    for row in rows:
        style = "green" if row["verified"] in VERIFIED else "red"
        table.add_row(
            row["name"],
            row["where"] or "-",
            f"{row['train_size']:,}",
            f"{row['test_size']:,}",
            f"[{style}]{row['verified']}[/]",
        )
    console = Console()
    console.print(table)
    if not all(row["found"] for row in rows):
        folders = ", ".join(str(f) for f in search_path(data_dir))
        console.print(f"Searched: {folders}. Set NNLAB_DATA_DIR or pass --data-dir.", markup=False)
    return all(row["verified"] in VERIFIED for row in rows)
