"""Run one exercise's hidden checks in-process against a sandboxed learner.

The checks are pytest + hypothesis tests in `grader/checks/`. They run in
this (trusted) process; only the learner's functions run in the worker,
reached through the `learner` fixture. The runner reads the submission once
(`read_exercise`), gives the check file to pytest with the collector
(grader/engine/collector.py) as its plugin and builds the Report from what it
recorded (`run_checks`). What every caller's grading adds -- the language,
TensorFlow's warm-up, every digit in reprs, the hint -- is grader/engine/grade.py's.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.configuration import set_hypothesis_home_dir

from grader.course.paths import TRAINER_SCRIPT
from grader.course.registry import Exercise, exercises, get_exercise
from grader.engine import oracles
from grader.engine.collector import Collector, Lanes
from grader.engine.policy import SANDBOX_POLICY, forbidden_imports
from grader.engine.report import Report
from grader.engine.seeds import secret_seed, seed_fingerprint
from grader.engine.submission import (
    MissingSubmission,
    ModuleSource,
    read_submission,
    syntax_problem,
)
from grader.messages import text
from grader.sandbox import LearnerProxy, Limits

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

CAPSTONE_BLAS_THREADS = 2


@dataclass(frozen=True)
class GradingOptions:
    """How to grade, beyond which exercise and which submission (all optional).

    - lang: "en" or "zh", the language of the hints on screen; reports stay English
      (None: $NNLAB_LANG, else the locale's; grader.engine.grade settles it).
    - progress: callable(done, total, check_name), called before each check.
    - report_dir: where capstones write their plots (None: ./nnlab-report); each
      exercise gets its own exNN sub-folder.
    - on_training: callable(dict) receiving a capstone's streamed progress.
    - data_dir: a folder searched first for datasets (see grader/engine/data.py).
    - compare_keras: capstones also train the same network in Keras.
    - seed: the instructor's secret seed (any text; None: $NNLAB_SEED, else none). It
      changes every hidden check's generated inputs, so inputs seen in one class's
      feedback do not replay in the next; the report records only its fingerprint.
    - first_failure_stops: stop after the first check that fails (pytest's -x); the
      report then holds only the checks run so far. For the mutant meta-tests, which
      need one lost point, not a full report.
    """

    lang: str | None = None
    progress: Callable[[int, int, str], None] | None = None
    report_dir: Path | None = None
    on_training: Callable[[dict], None] | None = None
    data_dir: Path | None = None
    compare_keras: bool = False
    seed: str | None = None
    first_failure_stops: bool = False


class NotAvailable(LookupError):
    """The exercise is in the course but its checks are not built yet."""


@dataclass(frozen=True)
class Submitted:
    """One exercise's submission as `read_exercise` read it, before any check runs.

    - exercise: its registry record.
    - modules: module name -> ModuleSource, the bytes read once (the checks see these).
    - where: the submission as given (a folder, or "" for the default).
    - notice: why nothing can be graded (no module found), else "".
    - broken: the syntax error that stops every check, else "" (see `compiles`).
    - started: time.monotonic() when reading began (the report's duration counts from it).
    """

    exercise: Exercise
    modules: dict[str, ModuleSource]
    where: str = ""
    notice: str = ""
    broken: str = ""
    started: float = 0.0

    @property
    def primary(self) -> ModuleSource | None:
        """The exercise's own module, None when the submission has none."""
        return self.modules.get(self.exercise.module)

    @property
    def blocked(self) -> str:
        """Why no check can run (a syntax error, or no module to grade), else ""."""
        return self.broken or (self.notice if self.primary is None else "")

    @property
    def compiles(self) -> bool:
        """Whether the checks will run (the module is there and compiles): then they need
        TensorFlow. When not, every check fails at once, with no worker and no TensorFlow."""
        return not self.blocked


def read_exercise(number: int, submission: Path | None = None) -> Submitted:
    """Read what exercise `number` grades, once: its registry record and the modules.

    Inputs: number (registry); submission, a folder of exercise modules or a checkout
    (None: the default). Returns a Submitted (a missing module is its notice, a syntax
    error its `broken`, never raised). Raises UnknownExercise, or NotAvailable for an
    exercise whose checks are not built yet.
    """
    started = time.monotonic()
    exercise = get_exercise(number)
    if not exercise.available:
        raise NotAvailable(text("exercise_not_available", number=number, title=exercise.title))
    notice = ""
    try:
        modules = read_submission(submission, exercise)
    except MissingSubmission as missing:
        modules, notice = {}, str(missing)
    else:
        notice = _missing_uses(exercise, modules)
    where = str(submission or "")
    return Submitted(exercise, modules, where, notice, syntax_problem(modules), started)


def _missing_uses(exercise: Exercise, modules: dict[str, ModuleSource]) -> str:
    """A notice naming the modules of the exercises `exercise` uses (its imports) that are
    not beside it, else "". (A capstone's missing layers are named by its trial run.)"""
    records = {record.number: record for record in exercises()}
    absent = [records[n] for n in sorted(exercise.uses) if records[n].module not in modules]
    if not absent:
        return ""
    return text(
        "uses_missing" if len(absent) > 1 else "uses_missing_one",
        number=exercise.number,
        numbers=", ".join(str(record.number) for record in absent),
        files=", ".join(record.filename for record in absent),
        file=exercise.filename,
    )


def _pytest_args(check_file: Path, first_failure_stops: bool = False) -> list[str]:
    return [
        *(["-x"] if first_failure_stops else []),
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


def _run_checks(check_file: Path, collector: Collector, first_failure_stops: bool) -> None:
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
            draws_independent_of_loaded_modules(),
        ):
            pytest.main(_pytest_args(check_file, first_failure_stops), plugins=[collector])
        if collector.interrupted:
            raise KeyboardInterrupt  # pytest took Ctrl-C for the end of its session
    finally:
        set_hypothesis_home_dir(None)
        scratch.cleanup()


@contextlib.contextmanager
def draws_independent_of_loaded_modules():
    """While in this context, hypothesis draws from its own constants only.

    Hypothesis (6.1xx) also mixes into its draws the literal numbers and strings of
    every *local* module the process has loaded. Which grader modules are loaded
    differs between `grade exercise` and a batch job, and between an editable kit and
    an installed release, so the same derandomised check would try different inputs
    there, and at the margin give a different grade. Nothing changes with a hypothesis
    that has no such mixing.
    """
    try:
        from hypothesis.internal.conjecture import providers

        empty = providers.Constants()
        patch = mock.patch.object(providers, "_get_local_constants", lambda: empty)
        cache = providers.CONSTANTS_CACHE.cache
    except (ImportError, AttributeError):
        yield
        return
    cache.clear()  # values computed with local constants earlier in this process
    try:
        with patch:
            yield
    finally:
        cache.clear()


def _write_snapshot(folder: Path, modules: dict[str, ModuleSource], exercise: Exercise):
    """Write the modules' bytes into `folder` (private to the grader); return name -> path.

    The sandbox stages these copies, never the learner's own paths. With no module
    at all the exercise's module is an empty file (no worker starts then: every check
    is blocked); a capstone also gets the kit's trainer.
    """
    files = {}
    for name, module in modules.items():
        files[name] = folder / f"{name}.py"
        files[name].write_bytes(module.source)
    if exercise.module not in files:
        files[exercise.module] = folder / f"{exercise.module}.py"
        files[exercise.module].write_bytes(b"")
    if exercise.is_capstone:
        files["nnlab_trainer"] = TRAINER_SCRIPT
    return files


def capstone_threads() -> int:
    """The BLAS threads (and cores) of a capstone's worker: CAPSTONE_BLAS_THREADS, or fewer
    when $NNLAB_CAPSTONE_THREADS says so (a class graded several students at once gives
    each job its share of the cores: two threads per job on two cores would make every
    matrix product wait for a core)."""
    said = os.environ.get("NNLAB_CAPSTONE_THREADS", "")
    if said.isdigit() and int(said) >= 1:
        return min(int(said), CAPSTONE_BLAS_THREADS)
    return CAPSTONE_BLAS_THREADS


def limits_for(exercise: Exercise) -> Limits:
    """The sandbox limits a worker for `exercise` runs under (a capstone gets more CPU
    time and capstone_threads() threads; every call its call_timeout_s)."""
    cpu_seconds = int(exercise.time_limit_s)
    if not exercise.is_capstone:
        return Limits(call_timeout_s=exercise.call_timeout_s, cpu_seconds=cpu_seconds)
    threads = capstone_threads()
    return Limits(
        call_timeout_s=exercise.call_timeout_s,
        cpu_seconds=int(exercise.time_limit_s * threads) + 60,
        blas_threads=threads,
    )


def run_checks(submitted: Submitted, options: GradingOptions | None = None) -> Report:
    """Run the checks of `submitted` (read by `read_exercise`) and build their Report.

    Inputs:
    - submitted: the exercise and the modules read.
    - options: GradingOptions (progress callbacks, folders, Keras comparison, seed).

    Returns:
    - a Report (no hint: grader.engine.grade picks it); learner mistakes of any kind are
      in it, never raised. A module that is missing or does not compile fails every check
      at once, with no worker and no TensorFlow. Raises KeyboardInterrupt when
      interrupted (its worker stopped, no report).
    """
    options = options or GradingOptions()
    exercise, primary, blocked = submitted.exercise, submitted.primary, submitted.blocked
    limits = limits_for(exercise)
    report = Report(exercise=exercise.number, title=exercise.title, limits=limits.as_dict())
    report.seed = seed_fingerprint(secret_seed(options.seed))
    report.notice = submitted.notice
    report.submission = str(primary.path) if primary else submitted.where
    with tempfile.TemporaryDirectory(prefix="nnlab-snapshot-") as snapshot:
        files = _write_snapshot(Path(snapshot), submitted.modules, exercise)
        extra = {name: path for name, path in files.items() if name != exercise.module}
        learner = Lanes(
            lambda: LearnerProxy(
                files[exercise.module], exercise.module, limits, extra, **SANDBOX_POLICY
            )
        )
        if not blocked:
            learner.start()
        collector = Collector(exercise, learner, options)
        collector.blocked = blocked
        collector.source = primary.text if primary else ""
        # Python 3.11's AST constructor keeps one recursion count per interpreter, not
        # per thread: pytest's assertion rewriting beside TensorFlow's import in the
        # warm-up thread can corrupt it ("AST constructor recursion depth mismatch")
        # and fail TensorFlow's import for every check. Let the import finish first
        # (a module that is missing or does not compile needs no TensorFlow).
        if blocked:
            oracles.wait_for_started_import()
        else:
            oracles.wait_for_import()
        try:
            _run_checks(exercise.check_file, collector, options.first_failure_stops)
        finally:
            learner.close()
    report.checks = collector.ordered_results()
    report.artifacts = [str(p) for p in collector.artifacts]
    report.profiles = collector.profiles
    report.isolation = learner.isolation
    report.forbidden_libraries_reachable = learner.forbidden_libraries_reachable
    # A missing module was blocked: every check already fails with its notice.
    banned = set(forbidden_imports(primary.text)) | set(learner.forbidden) if primary else set()
    if banned:
        names = ", ".join(sorted(banned))
        report.notice = text("forbidden_module", file=primary.path.name, names=names)
        _zero(report, report.notice)
    report.duration_s = time.monotonic() - submitted.started
    return report


def grade_exercise(
    number: int, submission: Path | None = None, options: GradingOptions | None = None
) -> Report:
    """The run of exercise `number`'s checks on `submission`, and nothing more.

    Inputs and errors: as `read_exercise` and `run_checks`. Returns the Report,
    without a hint, with NumPy's own reprs and no early TensorFlow warm-up: the
    kit's commands grade with grader.engine.grade.grade, which adds those.
    """
    return run_checks(read_exercise(number, submission), options)


def _zero(report: Report, message: str) -> None:
    for check in report.checks:
        check.points = 0.0
        check.status = "failed" if check.status == "passed" else check.status
        check.message = message
