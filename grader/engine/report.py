"""Report: the result of grading one exercise (its checks' results, score and context).

These are the models and the choice of hints; nothing here judges or draws. The
machine formats (JSON, JUnit, Gradescope, Classroom) are grader/engine/renderers.py,
the terminal's table grader/learner/terminal.py.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from grader.course.registry import UnknownExercise, get_exercise
from grader.messages import keys_in, text, translate

if TYPE_CHECKING:
    from grader.course.registry import Exercise

# "skipped": a check that could not run (e.g. a capstone whose network needs
# functions not written yet); it earns no points and has no answer to hint at.
STATUSES = ("passed", "failed", "error", "timeout", "skipped")


@dataclass
class CheckResult:
    """One check's outcome: status is one of STATUSES."""

    name: str
    status: str
    points: float
    max_points: float
    message: str = ""
    visible: bool = True
    duration_s: float = 0.0

    @property
    def optional_not_run(self) -> bool:
        """An unscored extra that was not run (the capstones' Keras comparison without
        --compare-keras): it neither passes nor fails the exercise."""
        return self.status == "skipped" and self.max_points == 0


@dataclass
class Report:
    """The outcome of grading one exercise for one submission."""

    exercise: int
    title: str
    checks: list[CheckResult] = field(default_factory=list)
    duration_s: float = 0.0
    submission: str = ""
    isolation: str = ""
    # Whether learner code behind that wall could import installed libraries (SciPy,
    # TensorFlow) by removing the import blocker: True under rlimits; None: not recorded.
    forbidden_libraries_reachable: bool | None = None
    limits: dict = field(default_factory=dict)
    notice: str = ""
    hint: str = ""  # the hints the learner's screen shows, in their language (choose_hints)
    lang: str = "en"  # that language (grader.engine.grade settles it); the rest stays English
    hints_revealed: int = 0  # how many the learner revealed with `grade hint`
    artifacts: list[str] = field(default_factory=list)
    seed: str = ""  # a fingerprint of the instructor's secret seed for hidden checks, if set
    # A capstone's: where each training's time went (grader.engine.profile.Profile.to_dict).
    profiles: list[dict] = field(default_factory=list)

    @property
    def score(self) -> float:
        """Points earned."""
        return sum(c.points for c in self.checks)

    @property
    def max_score(self) -> float:
        """Points available."""
        return sum(c.max_points for c in self.checks)

    @property
    def passed(self) -> bool:
        """True when every check passed (an optional check not run does not count)."""
        return bool(self.checks) and all(
            c.status == "passed" or c.optional_not_run for c in self.checks
        )

    def full_message(self, check: CheckResult, lang: str = "en") -> str:
        """A check's message for a reader of `lang`, with its hints when it did not pass.

        The hints are English (exports stay in one language): those the learner
        revealed and the one that belongs to this check (see `choose_hints`); the
        kit's fixed words are translated (grader.messages).
        """
        message = check.message
        lines = [text("hint", hint=hint) for hint in self._hints_of(check)]
        lines = [line for line in lines if line not in message]  # a record read back
        return translate("\n".join([message, *lines]), lang)

    def _hints_of(self, check: CheckResult) -> tuple[str, ...]:
        """The English hints that go with `check` in exports: those revealed and the one
        that belongs to it; none when it passed or was not run, and only those revealed
        when nothing failed on the maths."""
        if check.status in ("passed", "skipped") or self.notice:
            return ()
        try:
            exercise = get_exercise(self.exercise)
        except UnknownExercise:
            return ()
        belonging = None if _nothing_to_hint(self.checks) else _hint_of(exercise, check)
        return exercise.shown_hints(self.hints_revealed, belonging, first_by_default=False)

    def to_dict(self) -> dict:
        """The JSON form: exercise, title, score, max_score, duration_s, checks, and context
        (a capstone's `profiles` among it)."""
        return {
            "exercise": self.exercise,
            "title": self.title,
            "score": self.score,
            "max_score": self.max_score,
            "duration_s": round(self.duration_s, 3),
            "checks": [
                asdict(c) | {"message": self.full_message(c), "duration_s": round(c.duration_s, 3)}
                for c in self.checks
            ],
            "submission": self.submission,
            "isolation": self.isolation,
            "forbidden_libraries_reachable": self.forbidden_libraries_reachable,
            "limits": self.limits,
            "notice": self.notice,
            "artifacts": self.artifacts,
            "seed": self.seed,
            "profiles": self.profiles,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Report:
        """Rebuild a Report from its JSON form (`to_dict`); the hint is already in messages."""
        checks = [
            CheckResult(
                name=c["name"],
                status=c["status"],
                points=float(c["points"]),
                max_points=float(c["max_points"]),
                message=c.get("message", ""),
                visible=bool(c.get("visible", True)),
                duration_s=float(c.get("duration_s", 0.0)),
            )
            for c in data.get("checks", [])
        ]
        return cls(
            exercise=int(data["exercise"]),
            title=data.get("title", ""),
            checks=checks,
            duration_s=float(data.get("duration_s", 0.0)),
            submission=data.get("submission", ""),
            isolation=data.get("isolation", ""),
            forbidden_libraries_reachable=data.get("forbidden_libraries_reachable"),
            limits=data.get("limits", {}),
            notice=data.get("notice", ""),
            artifacts=list(data.get("artifacts", [])),
            seed=str(data.get("seed", "")),
            profiles=[p for p in data.get("profiles", []) if isinstance(p, dict)],
        )


def choose_hints(report: Report, exercise: Exercise, revealed: int = 0, lang: str = "en") -> str:
    """The hints `report` shows, one per line, in the exercise's order.

    Inputs:
    - report: a graded report (its checks' English messages).
    - exercise: its registry record, whose hints may name the checks and
      mistakes they belong to (curriculum.toml's `hint_checks`).
    - revealed: how many hints the learner revealed with `grade hint`.
    - lang: "en" or "zh".

    Returns the revealed hints and the one that belongs to the first failing
    check that has one (a mistake its message names first, then the check
    itself); the first hint when there is neither. When nothing failed on the maths
    (checks not run; every check met the same error), only the revealed hints.
    """
    if _nothing_to_hint(report.checks):
        return "\n".join(exercise.shown_hints(revealed, None, lang, first_by_default=False))
    numbers = (_hint_of(exercise, check) for check in _failing(report.checks))
    belonging = next((number for number in numbers if number is not None), None)
    return "\n".join(exercise.shown_hints(revealed, belonging, lang))


def _failing(checks: list[CheckResult]) -> list[CheckResult]:
    """The checks that ran and did not pass."""
    return [check for check in checks if check.status not in ("passed", "skipped")]


def _hint_of(exercise: Exercise, check: CheckResult) -> int | None:
    """The number of the hint that belongs to `check`: to a mistake its message names
    first, else to the check itself; None when no hint does."""
    return exercise.hint_for([*keys_in(check.message), check.name])


def _nothing_to_hint(checks: list[CheckResult]) -> bool:
    """Whether no check failed on the maths: only checks not run (a capstone whose
    functions are missing), or every check met one and the same error (a syntax error,
    an import that hangs). A hint about the exercise would only distract from that."""
    return not _failing(checks) or bool(shared_error(checks))


def shared_error(checks: list[CheckResult]) -> str:
    """The one message every check met when all errored or timed out alike (the module
    does not compile, import or finish importing), else ""."""
    if checks and all(check.status in ("error", "timeout") for check in checks):
        messages = {check.message for check in checks}
        if len(messages) == 1:
            return messages.pop()
    return ""
