"""The `grade` command line: each command is a thin shell over one function."""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from pathlib import Path

import click

from grader.course.registry import UnknownExercise
from grader.learner.watch import DEBOUNCE_S
from grader.messages import LANGS, resolve_lang, text

# Heavy modules (pytest, hypothesis, rich, TensorFlow) are imported inside the
# commands, after TensorFlow's import has been started in the background:
# `grade exercise N` is used in an edit-grade loop and TensorFlow is its floor.

FORMATS = ("text", "json", "junit", "gradescope", "classroom")


def _submission_option(help_text: str):
    """The --submission option: a folder of exercise modules, or a checkout.

    A path that does not exist, or a file, is a usage error before anything starts.
    """
    folder = click.Path(path_type=Path, exists=True, file_okay=False)
    return click.option("--submission", type=folder, help=help_text)


class _WritableFolder(click.Path):
    """A folder to write into: it may not exist yet, but no file may stand on its path."""

    def convert(self, value, param, ctx):
        path = super().convert(value, param, ctx)
        blocker = _nearest_existing(Path(path))
        if not blocker.is_dir():
            self.fail(f"{blocker} is a file, so {path} cannot be a folder", param, ctx)
        return path


def _nearest_existing(path: Path) -> Path:
    """`path` if it exists, else its nearest ancestor that does (absolute)."""
    path = Path(os.path.abspath(path))
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _data_dir_option(help_text: str):
    """The --data-dir option: a folder searched first for datasets."""
    return click.option(
        "--data-dir", type=click.Path(path_type=Path, file_okay=False), help=help_text
    )


def _interruptible(command):
    """`command`, where Ctrl-C ends as in `grade batch`: the line "interrupted", exit code 130.

    (Click would print "Aborted!" and exit with 1.) By then the grading's worker is
    stopped, and no score was recorded and no report written.
    """

    @functools.wraps(command)
    def run_command(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except KeyboardInterrupt:
            lang = (click.get_current_context().obj or {}).get("lang", "en")
            click.echo(text("interrupted", lang), err=True)
            sys.exit(130)

    return run_command


def _seed_option():
    """The --seed option: an instructor's secret that re-draws hidden checks' inputs."""
    return click.option(
        "--seed",
        metavar="SECRET",
        help="Instructors: a secret that re-draws every hidden check's inputs, so inputs seen "
        "in one term's feedback do not replay in the next (or NNLAB_SEED); reports record "
        "only its fingerprint.",
    )


LANG_HELP = "Language of titles, messages and hints (or NNLAB_LANG) [default: from the locale]."


class _Commands(click.Group):
    """The `grade` group: each of its commands takes --lang too, as the group does, and
    ends on Ctrl-C with "interrupted" and exit code 130."""

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        """Register `cmd`, with a --lang option of its own; Ctrl-C ends it as _interruptible."""
        cmd.callback = _interruptible(cmd.callback)
        cmd.params.append(
            click.Option(
                ["--lang"],
                type=click.Choice(LANGS),
                expose_value=False,
                callback=_choose_lang,
                help=LANG_HELP,
            )
        )
        super().add_command(cmd, name)


def _choose_lang(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    """Settle obj["lang"]: the command's --lang, else the group's, else NNLAB_LANG or the locale."""
    obj = ctx.ensure_object(dict)
    obj["lang"] = _language(value or obj.get("lang_option"))


def _language(chosen: str | None) -> str:
    """`chosen`, else NNLAB_LANG, else the locale's language.

    An NNLAB_LANG that nnlab does not speak is a warning on stderr, not an error
    (the user never typed an option): English is used.
    """
    wanted = os.environ.get("NNLAB_LANG", "")
    if not chosen and wanted and wanted not in LANGS:
        click.echo(text("unknown_lang", value=wanted, langs=", ".join(LANGS)), err=True)
    return resolve_lang(chosen)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--lang", type=click.Choice(LANGS), help=LANG_HELP)
@click.pass_context
def main(ctx: click.Context, lang: str | None) -> None:
    """nnlab: build a neural network in NumPy, graded against TensorFlow."""
    # The command's own --lang callback settles "lang" (and says once if NNLAB_LANG is bad).
    ctx.obj = {"lang_option": lang, "lang": resolve_lang(lang)}


@main.command()
@click.argument("number", type=int)
@_submission_option(
    "Folder of exercise modules, or a checkout with exercises/ [default: ./exercises]."
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
@_data_dir_option("Folder searched first for datasets (or set NNLAB_DATA_DIR).")
@click.option(
    "--report-dir",
    type=_WritableFolder(path_type=Path, file_okay=False),
    help="Where capstones write their plots [default: ./nnlab-report].",
)
@click.option(
    "--compare-keras",
    is_flag=True,
    default=None,
    help="Capstones: also train the same network in Keras and show both.",
)
@_seed_option()
@click.pass_obj
def exercise(
    obj: dict,
    number: int,
    submission: Path | None,
    output_format: str,
    output: Path | None,
    data_dir: Path | None,
    report_dir: Path | None,
    compare_keras: bool | None,
    seed: str | None,
) -> None:
    """Grade exercise NUMBER. Exit code 0 when every check passed, 1 otherwise.

    Grading your own folder (no --submission) keeps your best score in its
    progress file (see `grade list`). Ctrl-C stops it: exit code 130, nothing recorded.
    """
    # What can be refused is refused before TensorFlow's import starts.
    _gradable(number)
    if output_format == "gradescope" and submission is None and output is None:
        from grader.instructor.gradescope import autograder_paths

        submission, output = autograder_paths(number) or (None, None)
    _check_writable(output)
    from grader.engine.runner import NotAvailable
    from grader.learner.terminal import grade_on_screen
    from grader.sandbox import SandboxUnavailable

    given = _given(report_dir=report_dir, data_dir=data_dir, compare_keras=compare_keras, seed=seed)
    animate = output_format == "text" and output is None
    try:
        report = grade_on_screen(number, submission, obj["lang"], animate, **given)
    except (UnknownExercise, NotAvailable) as problem:
        raise click.UsageError(str(problem)) from None
    except SandboxUnavailable as problem:
        raise click.ClickException(str(problem)) from None
    _deliver(report, output_format, output, obj["lang"])
    sys.exit(0 if report.passed else 1)


def _gradable(number: int):
    """The registry record of exercise `number` if it can be graded, else a usage error."""
    record = _known_exercise(number)
    if not record.available:
        sentence = text("exercise_not_available", number=number, title=record.title)
        raise click.UsageError(_in_users_language(sentence))
    return record


class _Refused(click.ClickException):
    """A request that cannot be carried out as given (an --output that cannot be written,
    a release into a folder that is not empty): one plain line, exit code 2."""

    exit_code = 2


def _check_writable(path: Path | None) -> None:
    """Refuse now, before grading, an --output the report could not be written to.

    The file may not exist yet, nor its folders (they are made, as pytest's
    --junitxml does), but the nearest folder that exists must take a new file.
    """
    if path is None:
        return
    folder = _nearest_existing(Path(path).parent)
    if not folder.is_dir():
        reason = f"{folder} is a file, not a folder"
    elif not os.access(folder, os.W_OK | os.X_OK):
        reason = f"{folder} is not writable (permission denied)"
    else:
        return
    raise _Refused(text("output_unwritable", path=path, reason=reason))


def _deliver(report, output_format: str, output: Path | None, lang: str) -> None:
    """Show the report in `output_format` on the terminal, or write it to `output`
    (atomically, its missing folders made); a write that fails is an _Refused."""
    from grader.engine.atomic import write_atomically
    from grader.learner.terminal import report_text, show_report

    if output is None:
        show_report(report, output_format, lang)
        return
    try:
        write_atomically(output, report_text(report, output_format, lang))
    except OSError as error:
        reason = error.strerror or str(error)
        raise _Refused(text("output_unwritable", path=output, reason=reason)) from None


def _given(**values) -> dict:
    """The options the user gave: unset ones (None) are left to the API's own defaults."""
    return {name: value for name, value in values.items() if value is not None}


@main.command()
@_data_dir_option("Folder searched first (or set NNLAB_DATA_DIR).")
def data(data_dir: Path | None) -> None:
    """List each dataset, where it was found, and whether its checksum holds."""
    from grader.learner.terminal import print_datasets

    sys.exit(0 if print_datasets(data_dir) else 1)


@main.command(name="list")
@_submission_option("Show which exercise files this submission has, and its progress.")
@click.pass_obj
def list_exercises(obj: dict, submission: Path | None) -> None:
    """List every exercise: its file, your best score, whether it passes, the next to do."""
    from grader.learner.terminal import print_exercise_list

    print_exercise_list(submission, obj["lang"])


@main.command()
@click.argument("number", type=int, required=False)
@_submission_option("Your folder of exercise modules [default: ./exercises].")
@click.option(
    "--poll",
    is_flag=True,
    default=None,
    help="Poll for saves instead of waiting for file-system events (network folders).",
)
@click.option(
    "--debounce",
    "debounce_s",
    type=click.FloatRange(min=0),
    help=f"Seconds of quiet after a save before grading [default: {DEBOUNCE_S:g}].",
)
@click.pass_obj
def watch(
    obj: dict,
    number: int | None,
    submission: Path | None,
    poll: bool | None,
    debounce_s: float | None,
) -> None:
    """Grade exercise NUMBER (default: the next one to do) each time you save it.

    Moves on to the next exercise when every check passes; Ctrl-C stops.
    """
    from grader.learner import watch as watching

    if number is not None:
        _gradable(number)
    options = _given(submission=submission, poll=poll, debounce_s=debounce_s)
    sys.exit(watching.watch(number, lang=obj["lang"], **options))


def _known_exercise(number: int):
    """The registry record of exercise `number`, or a usage error."""
    from grader.course.registry import get_exercise

    try:
        return get_exercise(number)
    except UnknownExercise as problem:
        raise click.UsageError(_in_users_language(str(problem))) from None


def _in_users_language(message: str) -> str:
    """`message` (an English catalogue sentence) in the language the command settled on."""
    from grader.messages import translate

    return translate(message, (click.get_current_context().obj or {}).get("lang", "en"))


@main.command()
@click.argument("number", type=int)
@click.option("--all", "everything", is_flag=True, help="Reveal every hint at once.")
@click.option("--reset", is_flag=True, help="Hide the hints again.")
@_submission_option("Your folder of exercise modules, where revealed hints are remembered.")
@click.pass_obj
def hint(obj: dict, number: int, everything: bool, reset: bool, submission: Path | None) -> None:
    """Reveal the next hint of exercise NUMBER, after the ones already revealed."""
    from grader.learner.terminal import show_hints

    _known_exercise(number)
    try:
        show_hints(number, submission, obj["lang"], everything=everything, reset=reset)
    except OSError as error:  # the progress file could not be saved
        raise click.ClickException(str(error)) from None


@main.command()
@click.argument("number", type=int)
@_submission_option("Your folder of exercise modules [default: ./exercises].")
@click.pass_obj
def reset(obj: dict, number: int, submission: Path | None) -> None:
    """Put the untouched stub of exercise NUMBER back; your file is kept as <file>.bak-<time>."""
    from grader.learner.reset import ResetRefused, restore_stub

    _known_exercise(number)
    try:
        done = restore_stub(number, submission)
    except ResetRefused as refused:
        raise click.ClickException(_in_users_language(str(refused))) from None
    except OSError as error:
        raise click.ClickException(str(error)) from None
    click.echo(done.said(number, obj["lang"]))


@main.command()
@click.argument("numbers", type=int, nargs=-1)
@click.pass_obj
def selfcheck(obj: dict, numbers: tuple[int, ...]) -> None:
    """Prove the kit: solutions earn full marks, stubs earn zero (all exercises by default)."""
    from grader.engine.runner import NotAvailable
    from grader.instructor.selfcheck import missing_instructor_kit, print_selfcheck

    needs = missing_instructor_kit()
    if needs:
        raise click.ClickException(needs)

    try:
        healthy = print_selfcheck(numbers, obj["lang"])
    except (UnknownExercise, NotAvailable) as problem:
        raise click.UsageError(_in_users_language(str(problem))) from None
    sys.exit(0 if healthy else 1)


@main.command()
@click.argument("submissions_dir", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option(
    "--exercises",
    "selection",
    default="all",
    show_default=True,
    help="Exercises to grade: all, 3, 1-11 or 1,3,5-7.",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Students graded at once on this machine.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("nnlab-batch"),
    show_default=True,
    help="Folder for gradebook.csv, junit.xml, report.html and one folder per student.",
)
@click.option("--scheduler", help="Dask scheduler address (tcp://host:8786) to grade on a cluster.")
@click.option("--regrade", is_flag=True, help="Grade again students already graded.")
@click.option(
    "--student-view",
    is_flag=True,
    help="Also write OUT/student-view/<student>/report.html, each student's page to hand "
    "back: hidden checks show only their name and passed or failed.",
)
@_data_dir_option("Folder searched first for datasets (capstones).")
@_seed_option()
@click.pass_obj
def batch(
    obj: dict,
    submissions_dir: Path,
    selection: str,
    jobs: int,
    out: Path,
    scheduler: str | None,
    regrade: bool,
    student_view: bool,
    data_dir: Path | None,
    seed: str | None,
) -> None:
    """Grade every student in SUBMISSIONS_DIR (one sub-folder or .zip each).

    Each student's results are written to OUT/<student>/ as soon as they are
    graded; running the same command again skips students already graded by
    this grader version from the same files (add --student-view then to write
    the students' pages without grading again). Exit code 0 when every
    submission could be graded (whatever its score), 1 otherwise.
    """
    from grader.engine.seeds import secret_seed
    from grader.instructor.batch.run import BatchOptions, ExerciseSelectionError, parse_exercises
    from grader.instructor.batch.summary import grade_class

    try:
        numbers = parse_exercises(selection)
    except ExerciseSelectionError as problem:
        raise click.UsageError(str(problem)) from None
    options = BatchOptions(
        out=out,
        exercises=numbers,
        jobs=jobs,
        scheduler=scheduler,
        regrade=regrade,
        lang=obj["lang"],
        data_dir=data_dir,
        seed=secret_seed(seed),
        student_view=student_view,
    )
    try:
        summary = grade_class(submissions_dir, options)
    except RuntimeError as problem:
        raise click.ClickException(str(problem)) from None
    sys.exit(130 if summary is None else 1 if summary.failed else 0)


@main.command()
@click.argument("outdir", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--keep-hidden",
    is_flag=True,
    help="Keep the hidden checks too, for self-study kits (solutions/ is never included).",
)
@click.option("--force", is_flag=True, help="Write into OUTDIR even if it is not empty.")
def release(outdir: Path, keep_hidden: bool, force: bool) -> None:
    """Write the student distribution into OUTDIR: the stubs, the public checks, the
    grader, a README for students, a GitHub Classroom workflow and Gradescope scripts."""
    from grader.instructor.release.build import ReleaseError, build_release

    try:
        summary = build_release(outdir, keep_hidden=keep_hidden, force=force)
    except ReleaseError as problem:
        raise _Refused(str(problem)) from None
    click.echo(summary.describe())


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
