"""The pytest plugin that runs one exercise's checks against the learner and records them.

The runner (grader/engine/runner.py) hands pytest a `Collector`: it gives the
checks' fixtures (grader/checks/conftest.py) the learner's workers, the
exercise and the report folder, bounds each check's time, and turns each
check's outcome into a CheckResult whose message says what reproduces it.
Every fixed sentence it writes comes from grader.messages.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis.errors import FlakyFailure

from grader.course.registry import Exercise
from grader.engine.report import CheckResult
from grader.engine.reproduction import CallLog, reproduction
from grader.engine.seeds import derived_seed, secret_seed
from grader.messages import text
from grader.sandbox import (
    Budget,
    LearnerError,
    LearnerProblem,
    LearnerProxy,
    LearnerTimeout,
)
from grader.sandbox.client import MissingName

if TYPE_CHECKING:
    from grader.engine.runner import GradingOptions

# A check (with hypothesis' shrinking) may use at most this share of its exercise's
# time limit: a slow wrong answer cannot spend the whole budget on one check.
CHECK_SHARE = 0.25

COLLECTOR = pytest.StashKey["Collector"]()
"""Where checks' fixtures find the collector (learner proxy, exercise)."""

MAX_MESSAGE_CHARS = 4096
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

FIXTURE_NAMES = frozenset({"learner", "tf", "keras", "reference", "exercise"})
REPRODUCIBLE = (AssertionError, LearnerError, FlakyFailure)
"""Failures a learner can reproduce by calling the function again: a wrong answer, an
exception their code raised, an answer that changed (not: not implemented, not defined,
a hang, a crash)."""


class _ExerciseOverTime(LearnerTimeout):
    """The whole exercise used up its time limit before this check."""


class _Blocked(LearnerProblem):
    """No check can run (a module has a syntax error, or the exercise's is missing): none
    starts a worker."""


class Lanes:
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


class Collector:
    """pytest plugin: gives checks their fixtures' state and records outcomes.

    Inputs: the exercise, its learner (Lanes) and the GradingOptions (progress
    callback, report and data folders, Keras comparison, secret seed). After the
    run, `ordered_results()` gives the CheckResults and `artifacts` the files written.
    """

    def __init__(self, exercise: Exercise, learner: Lanes, options: GradingOptions):
        self.exercise = exercise
        self.learner = learner
        self.options = options
        report_dir = Path(options.report_dir or Path.cwd() / "nnlab-report")
        self.report_dir = report_dir / f"ex{exercise.number:02d}"
        self.data_dir = options.data_dir
        self.compare_keras = options.compare_keras
        self.on_training = options.on_training
        self.artifacts: list[Path] = []
        self.profiles: list[dict] = []  # where each training's time went (profile.Profile)
        self.total = 0
        self.results: list[CheckResult] = []
        self.order: dict[str, int] = {}
        self.started = time.monotonic()
        # The current check's calls into the learner's module (the `learner` fixture
        # records them), and the module's source for their parameter names.
        self.calls = CallLog()
        self.source = ""
        self.blocked = ""  # why no check can run (a syntax error, no module); "" when they run
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
        budget = Budget(exercise_end, text("exercise_time_spent", limit=f"{limit:g}"))
        if self.exercise.is_capstone:
            return budget
        share = CHECK_SHARE * limit
        check_end = time.monotonic() + share
        if check_end >= exercise_end:
            return budget
        return Budget(check_end, text("check_share_spent", share=f"{share:g}", limit=f"{limit:g}"))

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
            raise _Blocked(self.blocked)  # before any fixture (TensorFlow) is set up
        self.learner.begin_check(hidden=_is_hidden(item), budget=self._budget())
        self.calls.clear()
        used = time.monotonic() - self.started
        if used > self.exercise.time_limit_s:
            limit = f"{self.exercise.time_limit_s:g}"
            raise _ExerciseOverTime(text("not_run_over_time", used=f"{used:.0f}", limit=limit))

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
            message = text("internal_error", error=f"{type(error).__name__}: {error}")
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
        example = failing_example(error)
        return message + ("\n" + text("failing_input", example=example) if example else "")

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
    message = text("nondeterministic")
    if first is not None:
        message += f"\n{text('first_time')}\n{first}"
    return message


def failing_example(error: BaseException) -> str:
    """The shrunk input hypothesis noted on `error`, as `name=value` pairs ("" if none).

    Input: an exception a check raised. Hypothesis notes the call as "Falsifying
    example: test(" (older) or "Failing test case: test(" (newer), one argument per
    4-space-indented line; fixtures (FIXTURE_NAMES) are left out, only the generated
    inputs are kept. Returns them joined by ", ", each on one line.
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
