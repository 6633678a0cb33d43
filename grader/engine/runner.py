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
from hypothesis.errors import FlakyFailure

from grader.course.paths import TRAINER_SCRIPT
from grader.course.registry import Exercise, get_exercise
from grader.engine import oracles
from grader.engine.policy import forbidden_imports
from grader.engine.report import CheckResult, Report, choose_hints
from grader.engine.reproduction import CallLog, reproduction
from grader.engine.seeds import derived_seed, secret_seed, seed_fingerprint
from grader.engine.submission import LAST_LAYER_EXERCISE as LAST_LAYER_EXERCISE  # tests' import
from grader.engine.submission import (
    MissingSubmission,
    ModuleSource,
    read_submission,
    syntax_problem,
)
from grader.messages import resolve_lang, text
from grader.sandbox import (
    Budget,
    LearnerError,
    LearnerProblem,
    LearnerProxy,
    LearnerTimeout,
    Limits,
)
from grader.sandbox.client import MissingName

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


# A check (with hypothesis' shrinking) may use at most this share of its exercise's
# time limit: a slow wrong answer cannot spend the whole budget on one check.
CHECK_SHARE = 0.25
CAPSTONE_BLAS_THREADS = 2

COLLECTOR = pytest.StashKey["_Collector"]()
"""Where checks' fixtures find the collector (learner proxy, exercise)."""


@dataclass(frozen=True)
class GradingOptions:
    """How to grade, beyond which exercise and which submission (all optional).

    - lang: "en" or "zh", the language of the hints on screen; reports stay English
      (None: $NNLAB_LANG, else the locale's, as the CLI).
    - progress: callable(done, total, check_name), called before each check.
    - report_dir: where capstones write their plots (None: ./nnlab-report); each
      exercise gets its own exNN sub-folder.
    - on_training: callable(dict) receiving a capstone's streamed progress.
    - data_dir: a folder searched first for datasets (see grader/engine/data.py).
    - compare_keras: capstones also train the same network in Keras.
    - seed: the instructor's secret seed (any text; None: $NNLAB_SEED, else none). It
      changes every hidden check's generated inputs, so inputs seen in one class's
      feedback do not replay in the next; the report records only its fingerprint.
    """

    lang: str | None = None
    progress: Callable[[int, int, str], None] | None = None
    report_dir: Path | None = None
    on_training: Callable[[dict], None] | None = None
    data_dir: Path | None = None
    compare_keras: bool = False
    seed: str | None = None


class NotAvailable(LookupError):
    """The exercise is in the course but its checks are not built yet."""


class _ExerciseOverTime(LearnerTimeout):
    """The whole exercise used up its time limit before this check."""


class _DoesNotCompile(LearnerProblem):
    """A module of the submission has a syntax error: no check can run, none starts a worker."""


class _Lanes:
    """The learner as checks see it: visible and hidden checks talk to different workers.

    Every check of a lane shares that lane's worker, so whatever a hidden check
    sends the learner's code could be carried into a later call's answer or error
    message; with a worker of their own, hidden inputs never reach a message a
    student sees. A lane's worker starts when its first check asks for it.
    """

    def __init__(self, make: Callable[[], LearnerProxy]):
        self._make = make
        self._proxies: dict[str, LearnerProxy] = {}
        self._lane = "visible"

    def __repr__(self) -> str:
        return "learner"

    def proxy(self, lane: str) -> LearnerProxy:
        """The LearnerProxy serving `lane` ("visible" or "hidden"), made on first use."""
        if lane not in self._proxies:
            self._proxies[lane] = self._make()
        return self._proxies[lane]

    def begin_check(self, hidden: bool, budget: Budget | None = None) -> None:
        """Switch to the lane of the check about to run, and prepare its worker.

        The other lane's worker is stopped first: one worker at a time, so a
        submission never holds twice its limits (the collector runs every
        visible check before the hidden ones, so this happens once).
        """
        lane = "hidden" if hidden else "visible"
        if lane != self._lane and self._lane in self._proxies:
            self._proxies[self._lane].close()
        self._lane = lane
        self.proxy(lane).budget = budget
        self.proxy(lane).begin_check()

    def start(self) -> None:
        """Start the visible lane's worker now (its start overlaps TensorFlow's warm-up)."""
        self.proxy("visible").start()

    def close(self) -> None:
        """Stop every lane's worker."""
        for proxy in self._proxies.values():
            proxy.close()

    @property
    def forbidden(self) -> list[str]:
        """Forbidden libraries the learner's code tried to import, in any lane."""
        return sorted({name for p in self._proxies.values() for name in p.forbidden})

    @property
    def isolation(self) -> str:
        """The wall the workers run behind."""
        return self.proxy("visible").isolation

    @property
    def forbidden_libraries_reachable(self) -> bool:
        """Whether learner code could import a forbidden library past the blocker."""
        return self.proxy("visible").forbidden_libraries_reachable

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.proxy(self._lane), name)


class _Collector:
    """pytest plugin: gives checks their fixtures' state and records outcomes."""

    def __init__(self, exercise: Exercise, learner: _Lanes, options: GradingOptions):
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
        self.order: dict[str, int] = {}
        self.started = time.monotonic()
        # The current check's calls into the learner's module (the `learner` fixture
        # records them), and the module's source for their parameter names.
        self.calls = CallLog()
        self.source = ""
        self.blocked = ""  # why no check can run (a syntax error); "" when checks run
        self.interrupted = False  # Ctrl-C: pytest ends the session, the grading must end too

    def pytest_keyboard_interrupt(self, excinfo) -> None:
        # pytest also ends a session whose check file does not import with its own
        # Session.Interrupted (a KeyboardInterrupt): that is the kit's error, not Ctrl-C.
        error = excinfo.value
        self.interrupted = isinstance(error, KeyboardInterrupt) and not isinstance(
            error, pytest.Session.Interrupted
        )

    def pytest_collection_finish(self, session) -> None:
        self.total = len(session.items)

    def _budget(self) -> Budget:
        """When the check about to run must stop: at the exercise's time limit, and for
        an exercise (not a capstone, whose training is one long call) after its share."""
        limit = self.exercise.time_limit_s
        exercise_end = self.started + limit
        budget = Budget(
            exercise_end,
            f"the exercise's time limit of {limit:g} s was reached during this check, "
            "so it was stopped (the checks after it are not run)",
        )
        if self.exercise.is_capstone:
            return budget
        share = CHECK_SHARE * limit
        check_end = time.monotonic() + share
        if check_end >= exercise_end:
            return budget
        return Budget(
            check_end,
            f"this check used its share of the exercise's time ({share:g} s of {limit:g} s) "
            "and was stopped: your code is slow here (a loop over elements, or a sleep?)",
        )

    def ordered_results(self) -> list[CheckResult]:
        """The checks' results in the check file's order."""
        position = {name.removeprefix("test_"): i for name, i in self.order.items()}
        return sorted(self.results, key=lambda r: position.get(r.name, len(position)))

    def seed_for(self, check: str, default: int | None, hidden: bool) -> int | None:
        """The seed a check draws its own inputs with: `default`, or for a hidden
        check under an instructor's secret seed, one derived from the secret."""
        secret = secret_seed(self.options.seed)
        return derived_seed(secret, check) if secret and hidden else default

    def pytest_collection_modifyitems(self, items) -> None:
        # Hypothesis takes a test function's `_hypothesis_internal_use_seed` (what
        # @hypothesis.seed sets) over `derandomize`: hidden checks draw from the
        # secret seed, every other check stays derandomised.
        # Visible checks first, then hidden ones (each in file order): the report
        # is put back in file order afterwards (`ordered_results`).
        self.order = {item.name: index for index, item in enumerate(items)}
        items.sort(key=_is_hidden)
        for item in items:
            function = getattr(item, "obj", None)
            if getattr(function, "is_hypothesis_test", False):
                function._hypothesis_internal_use_seed = self.seed_for(
                    item.name, None, _is_hidden(item)
                )

    def pytest_configure(self, config) -> None:
        config.stash[COLLECTOR] = self
        config.addinivalue_line("markers", "points(n): the points a check is worth")
        config.addinivalue_line("markers", "hidden: a check whose details stay hidden")

    def pytest_runtest_setup(self, item) -> None:
        if self.options.progress is not None:
            self.options.progress(len(self.results), self.total, item.name.removeprefix("test_"))
        if self.blocked:
            raise _DoesNotCompile(self.blocked)  # before any fixture (TensorFlow) is set up
        self.learner.begin_check(hidden=_is_hidden(item), budget=self._budget())
        self.calls.clear()
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
            self._record(item, status, message, max_points, report.duration)

    def _judge(self, item, call) -> tuple[str, str]:
        if call.excinfo is None:
            notes = [str(value) for key, value in item.user_properties if key == "note"]
            return "passed", "\n".join(notes)
        error = call.excinfo.value
        if isinstance(error, FlakyFailure):
            return "failed", self._with_input(_nondeterminism(error), error)
        if isinstance(error, LearnerProblem):
            status, message = error.status, str(error)
        elif isinstance(error, AssertionError):
            status, message = "failed", str(error) or "the answer is wrong"
        else:
            status = "error"
            message = f"internal error in the grader's check: {type(error).__name__}: {error}"
        return status, self._with_input(message, error)

    def _with_input(self, message: str, error: BaseException) -> str:
        """`message` and what reproduces the failure: the failing call as Python to paste
        (`grader.engine.reproduction`), else the input hypothesis found, as a line of text;
        nothing for a function the module does not define (no input would help)."""
        if isinstance(error, MissingName):
            return message
        lines = []
        if isinstance(error, REPRODUCIBLE):
            call = self.calls.failing(message)
            lines = reproduction(call, self.exercise.module, self.source)
        if lines and len(message) + sum(len(line) + 1 for line in lines) < MAX_MESSAGE_CHARS:
            return "\n".join([message, text("reproduce"), *lines])
        example = _failing_example(error)
        return message + (f"\nfailing input: {example}" if example else "")

    def _record(self, item, status: str, message: str, max_points: float, duration: float):
        self.results.append(
            CheckResult(
                name=item.name.removeprefix("test_"),
                status=status,
                points=max_points if status == "passed" else 0.0,
                max_points=max_points,
                message=plain_message(message),
                visible=not _is_hidden(item),
                duration_s=duration,
            )
        )


def _is_hidden(item) -> bool:
    """Whether a collected check is marked @hidden."""
    return item.get_closest_marker("hidden") is not None


MAX_MESSAGE_CHARS = 4096
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def plain_message(message: str) -> str:
    """A check's message as reports keep it: control characters (but newlines and
    tabs) removed, at most MAX_MESSAGE_CHARS characters, marked when cut."""
    message = _CONTROL.sub("", message)
    if len(message) > MAX_MESSAGE_CHARS:
        message = message[:MAX_MESSAGE_CHARS] + "... (truncated)"
    return message


def _nondeterminism(error: FlakyFailure) -> str:
    """The message for an answer that changed when the same input was tried again."""
    first = next(iter(error.exceptions), None)
    message = (
        "your code gave a different result when the same input was tried again: the "
        "answer must depend only on the arguments (no unseeded randomness, no state "
        "kept between calls)"
    )
    if first is not None:
        message += f"\nthe first time: {first}"
    return message


FIXTURE_NAMES = frozenset({"learner", "tf", "keras", "reference", "exercise"})
REPRODUCIBLE = (AssertionError, LearnerError, FlakyFailure)
"""Failures a learner can reproduce by calling the function again: a wrong answer, an
exception their code raised, an answer that changed (not: not implemented, not defined,
a hang, a crash)."""


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
        if collector.interrupted:
            raise KeyboardInterrupt  # pytest took Ctrl-C for the end of its session
    finally:
        set_hypothesis_home_dir(None)
        scratch.cleanup()


def _write_snapshot(folder: Path, modules: dict[str, ModuleSource], exercise: Exercise):
    """Write the modules' bytes into `folder` (private to the grader); return name -> path.

    The sandbox stages these copies, never the learner's own paths. With no module
    at all the exercise's module is empty (every check then fails plainly); a
    capstone also gets the kit's trainer.
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
    - a Report; learner mistakes of any kind are in it, never raised. A module that
      does not compile fails every check at once, with no worker and no TensorFlow.
      Raises UnknownExercise or NotAvailable for exercises that cannot be graded, and
      KeyboardInterrupt when interrupted (its worker stopped, no report).
    """
    options = options or GradingOptions()
    lang = resolve_lang(options.lang)
    started = time.monotonic()
    exercise = get_exercise(number)
    if not exercise.available:
        raise NotAvailable(text("exercise_not_available", number=number, title=exercise.title))
    limits = _limits_for(exercise)
    report = Report(exercise=number, title=exercise.title, limits=limits.as_dict())
    report.seed = seed_fingerprint(secret_seed(options.seed))
    try:
        modules = read_submission(submission, exercise)
    except MissingSubmission as missing:
        modules, report.notice = {}, str(missing)
    broken = syntax_problem(modules)
    if not broken:
        oracles.warm_up()
    primary = modules.get(exercise.module)
    report.submission = str(primary.path if primary else submission or "")
    with tempfile.TemporaryDirectory(prefix="nnlab-snapshot-") as snapshot:
        files = _write_snapshot(Path(snapshot), modules, exercise)
        extra = {name: path for name, path in files.items() if name != exercise.module}
        learner = _Lanes(
            lambda: LearnerProxy(files[exercise.module], exercise.module, limits, extra)
        )
        if primary is not None and not broken:
            learner.start()
        collector = _Collector(exercise, learner, options)
        collector.blocked = broken
        collector.source = primary.text if primary else ""
        # Python 3.11's AST constructor keeps one recursion count per interpreter, not
        # per thread: pytest's assertion rewriting beside TensorFlow's import in the
        # warm-up thread can corrupt it ("AST constructor recursion depth mismatch")
        # and fail TensorFlow's import for every check. Let the import finish first
        # (a module that does not compile needs no TensorFlow: only one under way).
        if broken:
            oracles.wait_for_started_import()
        else:
            oracles.wait_for_import()
        try:
            _run_checks(exercise.check_file, collector)
        finally:
            learner.close()
    report.checks = collector.ordered_results()
    report.hint = choose_hints(report, exercise, lang=lang)
    report.artifacts = [str(p) for p in collector.artifacts]
    report.isolation = learner.isolation
    report.forbidden_libraries_reachable = learner.forbidden_libraries_reachable
    if primary is None:
        _zero(report, report.notice)
    else:
        banned = sorted(set(forbidden_imports(primary.text)) | set(learner.forbidden))
        if banned:
            report.notice = (
                f"{primary.path.name} imports {', '.join(banned)}: exercises must be written "
                f"with NumPy only, so this exercise earns 0 points"
            )
            _zero(report, report.notice)
    report.duration_s = time.monotonic() - started
    return report


def _zero(report: Report, message: str) -> None:
    for check in report.checks:
        check.points = 0.0
        check.status = "failed" if check.status == "passed" else check.status
        check.message = message
