"""The `grade` command line: each command is a thin shell over one function."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

import click

from grader.registry import UnknownExercise, exercises

# Heavy modules (pytest, hypothesis, rich, TensorFlow) are imported inside the
# commands, after TensorFlow's import has been started in the background:
# `grade exercise N` is used in an edit-grade loop and TensorFlow is its floor.

FORMATS = ("text", "json", "junit", "gradescope")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--lang",
    type=click.Choice(["en", "zh"]),
    default="en",
    envvar="NNLAB_LANG",
    show_default=True,
    help="Language of titles and hints.",
)
@click.pass_context
def main(ctx: click.Context, lang: str) -> None:
    """nnlab: build a neural network in NumPy, graded against TensorFlow."""
    ctx.obj = {"lang": lang}


@main.command()
@click.argument("number", type=int)
@click.option(
    "--submission",
    type=click.Path(path_type=Path),
    help="Folder of exercise modules, or a checkout with exercises/ [default: ./exercises].",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="Report format.",
)
@click.option(
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the report to this file instead of the terminal.",
)
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder searched first for datasets (or set NNLAB_DATA_DIR).",
)
@click.option(
    "--report-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Where capstones write their plots [default: ./nnlab-report].",
)
@click.option(
    "--compare-keras",
    is_flag=True,
    help="Capstones: also train the same network in Keras and show both.",
)
@click.pass_obj
def exercise(
    obj: dict,
    number: int,
    submission: Path | None,
    output_format: str,
    output: Path | None,
    data_dir: Path | None,
    report_dir: Path | None,
    compare_keras: bool,
) -> None:
    """Grade exercise NUMBER. Exit code 0 when every check passed, 1 otherwise."""
    from grader import oracles

    oracles.warm_up()
    from rich.console import Console

    from grader import report as reports
    from grader.runner import GradingOptions, NotAvailable, grade_exercise

    # Bound now: while checks run, the runner redirects sys.stderr to a buffer.
    console = Console(file=sys.stderr)
    status = console.status(f"grading exercise {number}...")
    show = output_format == "text" and output is None and console.is_terminal

    def progress(done: int, total: int, check: str) -> None:
        status.update(
            f"grading exercise {number}: check {done + 1}/{total}, {check.replace('_', ' ')}"
        )

    epochs = _EpochBars(console) if show else None

    def training(message: dict) -> None:
        status.update(f"grading exercise {number}: training your network (your own functions)")
        epochs.update(message)

    try:
        if show:
            status.start()
        options = GradingOptions(
            lang=obj["lang"],
            progress=progress,
            report_dir=report_dir,
            on_training=training if epochs else None,
            data_dir=data_dir,
            compare_keras=compare_keras,
        )
        report = grade_exercise(number, submission, options)
    except (UnknownExercise, NotAvailable) as problem:
        raise click.UsageError(str(problem)) from None
    finally:
        status.stop()
        if epochs:
            epochs.stop()
    if output_format == "text":
        console = Console(file=output.open("w", encoding="utf-8")) if output else Console()
        reports.print_text(report, console)
    else:
        text = reports.RENDERERS[output_format](report)
        if output:
            output.write_text(text + "\n", encoding="utf-8")
        else:
            click.echo(text)
    sys.exit(0 if report.passed else 1)


class _EpochBars:
    """One rich progress bar per training epoch, fed by the trainer's progress messages."""

    def __init__(self, console):
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[metrics]}"),
            TimeRemainingColumn(),
            console=console,
        )
        self.tasks: dict[int, int] = {}

    def update(self, message: dict) -> None:
        """Show one progress message: a new bar for a new epoch, else move the bar."""
        from grader.capstone import describe_epoch

        epoch = int(message.get("epoch", 0))
        if epoch not in self.tasks:
            if not self.tasks:
                self.progress.start()
            label = f"epoch {epoch}/{message.get('epochs')}"
            self.tasks[epoch] = self.progress.add_task(label, total=1.0, metrics="")
        metrics = describe_epoch(message).split("  ", 1)[-1]
        completed = float(message.get("fraction", 0))
        self.progress.update(self.tasks[epoch], completed=completed, metrics=metrics)

    def stop(self) -> None:
        """Stop drawing (leaves the finished bars on screen)."""
        self.progress.stop()


@main.command()
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder searched first (or set NNLAB_DATA_DIR).",
)
def data(data_dir: Path | None) -> None:
    """List each dataset, where it was found, and whether its checksum holds."""
    from rich.console import Console
    from rich.table import Table

    from grader.data import search_path, status

    table = Table(title="nnlab datasets")
    for column in ("dataset", "found in", "train", "test", "verified"):
        table.add_column(column, overflow="fold")
    rows = status(data_dir)
    for row in rows:
        style = "green" if row["verified"] in ("checksum ok", "structure only") else "red"
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
    sys.exit(0 if all(r["verified"] in ("checksum ok", "structure only") for r in rows) else 1)


@main.command(name="list")
@click.option(
    "--submission",
    type=click.Path(path_type=Path),
    help="Show which exercise files this submission has.",
)
@click.pass_obj
def list_exercises(obj: dict, submission: Path | None) -> None:
    """List every exercise of the course and whether it can be graded yet."""
    from rich.console import Console
    from rich.table import Table

    from grader.submission import MissingSubmission, module_path

    table = Table(title="nnlab exercises")
    for column in ("#", "exercise", "file", "points", "status"):
        table.add_column(column)
    for record in exercises():
        try:
            module_path(submission, record)
            present = "found"
        except MissingSubmission:
            present = "missing"
        status = "ready" if record.available else "not available yet"
        title = record.title_zh if obj["lang"] == "zh" else record.title
        table.add_row(
            str(record.number),
            title,
            f"{record.filename} ({present})",
            str(record.points) if record.available else "-",
            status,
        )
    Console().print(table)


@main.command()
@click.argument("numbers", type=int, nargs=-1)
def selfcheck(numbers: tuple[int, ...]) -> None:
    """Prove the kit: solutions earn full marks, stubs earn zero (all exercises by default)."""
    from grader import oracles

    oracles.warm_up()
    from rich.console import Console

    from grader.runner import NotAvailable
    from grader.selfcheck import available_numbers, selfcheck_exercise

    console = Console()
    healthy = True
    for number in numbers or available_numbers():
        try:
            result = selfcheck_exercise(number)
        except (UnknownExercise, NotAvailable) as problem:
            raise click.UsageError(str(problem)) from None
        mark = "[green]ok[/]" if result.ok else "[red]FAIL[/]"
        console.print(
            f"{mark} exercise {number:2d} {result.exercise.title}: solution "
            f"{result.solution_score:g}/{result.max_score:g}, stub {result.stub_score:g}"
        )
        for problem in result.problems:
            console.print(f"     - {problem}", markup=False)
        healthy &= result.ok
    sys.exit(0 if healthy else 1)


def run() -> None:
    """The `grade` console script: main(), then exit without interpreter teardown.

    Tearing TensorFlow and Keras down at exit takes most of a second, a fifth
    of a whole `grade exercise` run. By then the report is written and every
    worker is stopped, so once the output is flushed the process can simply end.
    """
    try:
        main()
    except SystemExit as done:
        code = done.code
    else:
        code = 0
    if not isinstance(code, int):
        if code is not None:
            print(code, file=sys.stderr)
        code = 0 if code is None else 1
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
