"""Grade one exercise: run its hidden checks in-process against a sandboxed learner.

The checks are pytest + hypothesis tests in `grader/checks/`. They run in
this (trusted) process; only the learner's functions run in the worker,
reached through the `learner` fixture. A pytest plugin collects each check's
outcome into a Report.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.configuration import set_hypothesis_home_dir

from grader import oracles
from grader.messages import resolve_lang
from grader.registry import Exercise, exercises, get_exercise
from grader.report import CheckResult, Report
from grader.sandbox import LearnerProblem, LearnerProxy, LearnerTimeout, Limits
from grader.submission import MissingSubmission, forbidden_imports, module_path

settings.register_profile(
    "nnlab",
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=30,
    print_blob=False,
    report_multiple_bugs=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    # No "explain" phase: it re-runs failing checks to point at lines of the
    # checks' own code, which tells a learner nothing and costs time.
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
)


TRAINER_SCRIPT = Path(__file__).resolve().parent / "sandbox" / "trainer.py"
LAST_LAYER_EXERCISE = 9  # a capstone assembles the learner's exercises 1..9
CAPSTONE_BLAS_THREADS = 2

COLLECTOR = pytest.StashKey["_Collector"]()
"""Where checks' fixtures find the collector (learner proxy, exercise)."""


@dataclass(frozen=True)
class GradingOptions:
    """How to grade, beyond which exercise and which submission (all optional).

    - lang: "en" or "zh", the language of titles and hints (None: $NNLAB_LANG, else the
      locale's, as the CLI).
    - progress: callable(done, total, check_name), called before each check.
    - report_dir: where capstones write their plots (None: ./nnlab-report); each
      exercise gets its own exNN sub-folder.
    - on_training: callable(dict) receiving a capstone's streamed progress.
    - data_dir: a folder searched first for datasets (see grader/data.py).
    - compare_keras: capstones also train the same network in Keras.
    """

    lang: str | None = None
    progress: Callable[[int, int, str], None] | None = None
    report_dir: Path | None = None
    on_training: Callable[[dict], None] | None = None
    data_dir: Path | None = None
    compare_keras: bool = False


class NotAvailable(LookupError):
    """The exercise is in the course but its checks are not built yet."""


class _ExerciseOverTime(LearnerTimeout):
    """The whole exercise used up its time limit before this check."""


class _Collector:
    """pytest plugin: gives checks their fixtures' state and records outcomes."""

    def __init__(self, exercise: Exercise, learner: LearnerProxy, options: GradingOptions):
        self.exercise = exercise
        self.learner = learner
        self.options = options
        report_dir = Path(options.report_dir or Path.cwd() / "nnlab-report")
        self.report_dir = report_dir / f"ex{exercise.number:02d}"
        self.data_dir = options.data_dir
        self.compare_keras = options.compare_keras
        self.on_training = options.on_training
        self.artifacts: list[Path] = []
        self.total = 0
        self.results: list[CheckResult] = []
        self.started = time.monotonic()

    def pytest_collection_finish(self, session) -> None:
        self.total = len(session.items)

    def pytest_configure(self, config) -> None:
        config.stash[COLLECTOR] = self
        config.addinivalue_line("markers", "points(n): the points a check is worth")
        config.addinivalue_line("markers", "hidden: a check whose details stay hidden")

    def pytest_runtest_setup(self, item) -> None:
        if self.options.progress is not None:
            self.options.progress(len(self.results), self.total, item.name.removeprefix("test_"))
        self.learner.begin_check()
        used = time.monotonic() - self.started
        if used > self.exercise.time_limit_s:
            raise _ExerciseOverTime(
                f"not run: the exercise used its whole time limit "
                f"({used:.0f} s of {self.exercise.time_limit_s:g} s)"
            )

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        if report.when == "call" or (report.when == "setup" and report.failed):
            marker = item.get_closest_marker("points")
            max_points = float(marker.args[0]) if marker else 1.0
            status, message = self._judge(item, call)
            self.results.append(
                CheckResult(
                    name=item.name.removeprefix("test_"),
                    status=status,
                    points=max_points if status == "passed" else 0.0,
                    max_points=max_points,
                    message=message,
                    visible=item.get_closest_marker("hidden") is None,
                    duration_s=report.duration,
                )
            )

    def _judge(self, item, call) -> tuple[str, str]:
        if call.excinfo is None:
            notes = [str(value) for key, value in item.user_properties if key == "note"]
            return "passed", "\n".join(notes)
        error = call.excinfo.value
        if isinstance(error, LearnerProblem):
            status, message = error.status, str(error)
        elif isinstance(error, AssertionError):
            status, message = "failed", str(error) or "the answer is wrong"
        else:
            status = "error"
            message = f"internal error in the grader's check: {type(error).__name__}: {error}"
        example = _failing_example(error)
        if example:
            message += f"\nfailing input: {example}"
        return status, message


FIXTURE_NAMES = frozenset({"learner", "tf", "keras", "reference", "exercise"})


def _failing_example(error: BaseException) -> str:
    """The shrunk input hypothesis noted on the exception, as `name=value` pairs.

    Hypothesis notes the call as "Falsifying example: test(" (older) or
    "Failing test case: test(" (newer), one argument per 4-space-indented
    line; fixtures are left out, only the generated inputs are kept.
    """
    for note in getattr(error, "__notes__", []):
        if not note.startswith(("Falsifying example", "Failing test case")) or "(" not in note:
            continue
        arguments: list[str] = []
        for line in note.split("(", 1)[1].rsplit(")", 1)[0].splitlines():
            if re.match(r"^    \w+=", line):
                arguments.append(line.strip())
            elif arguments and line.strip():
                arguments[-1] += " " + line.strip()
        kept = [a.rstrip(",") for a in arguments if a.split("=", 1)[0] not in FIXTURE_NAMES]
        return ", ".join(re.sub(r"\s+", " ", a) for a in kept)
    return ""


def _pytest_args(check_file: Path) -> list[str]:
    return [
        str(check_file),
        "-c",
        os.devnull,
        "--rootdir",
        str(check_file.parent),
        "-p",
        "no:cacheprovider",
        # These two run gc.collect() at session end: 0.25 s each with TensorFlow loaded.
        "-p",
        "no:unraisableexception",
        "-p",
        "no:threadexception",
        "-p",
        "no:doctest",
        "-p",
        "no:junitxml",
        "-p",
        "no:pastebin",
        "-p",
        "_hypothesis_pytestplugin",
        "--import-mode=importlib",
        # No fd-level capture: it would save and restore fd 2 while the TensorFlow
        # import thread has it pointed at /dev/null. Python-level output is
        # captured by _run_checks itself.
        "--capture=no",
        "-q",
        "-W",
        "ignore::DeprecationWarning",
    ]


def _run_checks(check_file: Path, collector: _Collector) -> None:
    settings.load_profile("nnlab")
    # Hypothesis caches constants under ./.hypothesis even with no example
    # database; grading must write nothing into the learner's folder.
    scratch = tempfile.TemporaryDirectory(prefix="nnlab-hypothesis-")
    set_hypothesis_home_dir(scratch.name)
    try:
        with (
            mock.patch.dict(os.environ, {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}),
            contextlib.redirect_stdout(io.StringIO()),
            contextlib.redirect_stderr(io.StringIO()),
        ):
            pytest.main(_pytest_args(check_file), plugins=[collector])
    finally:
        set_hypothesis_home_dir(None)
        scratch.cleanup()


def _capstone_modules(path: Path) -> dict[str, Path]:
    """The learner's exercises 1-9 found beside the capstone module, and the trainer."""
    modules = {}
    for record in exercises():
        if record.number <= LAST_LAYER_EXERCISE:
            candidate = path.parent / record.filename
            if candidate.is_file():
                modules[record.module] = candidate
    modules["nnlab_trainer"] = TRAINER_SCRIPT
    return modules


def _limits_for(exercise: Exercise) -> Limits:
    cpu_seconds = int(exercise.time_limit_s)
    if not exercise.is_capstone:
        return Limits(call_timeout_s=exercise.call_timeout_s, cpu_seconds=cpu_seconds)
    threads = CAPSTONE_BLAS_THREADS
    return Limits(
        call_timeout_s=exercise.call_timeout_s,
        cpu_seconds=int(exercise.time_limit_s * threads) + 60,
        blas_threads=threads,
    )


def grade_exercise(
    number: int, submission: Path | None = None, options: GradingOptions | None = None
) -> Report:
    """Grade exercise `number` of `submission`.

    Inputs:
    - number: the exercise number (registry).
    - submission: a folder of exercise modules or a checkout; None: the default.
    - options: GradingOptions (language, progress callbacks, folders, Keras comparison).

    Returns:
    - a Report; learner mistakes of any kind are in it, never raised.
      Raises UnknownExercise or NotAvailable for exercises that cannot be graded.
    """
    options = options or GradingOptions()
    lang = resolve_lang(options.lang)
    started = time.monotonic()
    exercise = get_exercise(number)
    title = exercise.title_zh if lang == "zh" else exercise.title
    if not exercise.available:
        raise NotAvailable(f"exercise {number} ({exercise.title}) is not available yet")
    oracles.warm_up()
    limits = _limits_for(exercise)
    report = Report(exercise=number, title=title, limits=limits.as_dict())
    report.hint = exercise.hint_text(lang)
    try:
        path = module_path(submission, exercise)
    except MissingSubmission as missing:
        path, report.notice = None, str(missing)
    report.submission = str(path or submission or "")
    extra = _capstone_modules(path) if exercise.is_capstone and path else None
    learner = LearnerProxy(path or Path(os.devnull), exercise.module, limits, extra)
    if path is not None:
        learner.start()
    collector = _Collector(exercise, learner, options)
    try:
        _run_checks(exercise.check_file, collector)
    finally:
        learner.close()
    report.checks = collector.results
    report.artifacts = [str(p) for p in collector.artifacts]
    report.isolation = learner.isolation
    if path is None:
        _zero(report, report.notice)
    else:
        banned = sorted(set(forbidden_imports(path)) | set(learner.forbidden))
        if banned:
            report.notice = (
                f"{path.name} imports {', '.join(banned)}: exercises must be written with "
                f"NumPy only, so this exercise earns 0 points"
            )
            _zero(report, report.notice)
    report.duration_s = time.monotonic() - started
    return report


def _zero(report: Report, message: str) -> None:
    for check in report.checks:
        check.points = 0.0
        check.status = "failed" if check.status == "passed" else check.status
        check.message = message
