"""Report: the result of grading one exercise, and its renderings.

A Report renders as a rich terminal table, JSON, JUnit XML or a Gradescope
`results.json`; nothing here judges, it only presents.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING
from xml.etree import ElementTree

from rich.console import Console
from rich.table import Table
from rich.text import Text

from grader.course.registry import UnknownExercise, get_exercise
from grader.messages import check_name, keys_in, text, translate

if TYPE_CHECKING:
    from grader.course.registry import Exercise

# "skipped": a check that could not run (e.g. a capstone whose network needs
# functions not written yet); it earns no points and has no answer to hint at.
STATUSES = ("passed", "failed", "error", "timeout", "skipped")
_STYLE = {
    "passed": "green",
    "failed": "red",
    "error": "magenta",
    "timeout": "yellow",
    "skipped": "dim",
}


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
    hints_revealed: int = 0  # how many the learner revealed with `grade hint`
    artifacts: list[str] = field(default_factory=list)
    seed: str = ""  # a fingerprint of the instructor's secret seed for hidden checks, if set

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
        """The JSON form: exercise, title, score, max_score, duration_s, checks, and context."""
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


def to_json(report: Report) -> str:
    """Render the report as indented JSON text."""
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False)


def gradescope_results(reports: list[Report]) -> dict:
    """Gradescope's results.json structure for one or more exercises' reports."""
    tests = [
        {
            "name": f"{report.exercise}. {c.name}",
            "score": c.points,
            "max_score": c.max_points,
            "status": "passed" if c.status == "passed" else "failed",
            "output": report.full_message(c),
            "visibility": "visible" if c.visible else "after_published",
        }
        for report in reports
        for c in report.checks
        if not c.optional_not_run  # nothing to grade, and Gradescope knows no "not run"
    ]
    return {
        "score": sum(r.score for r in reports),
        "max_score": sum(r.max_score for r in reports),
        "execution_time": round(sum(r.duration_s for r in reports), 3),
        "output": "\n".join(r.notice for r in reports if r.notice),
        "tests": tests,
    }


def to_gradescope(report: Report) -> str:
    """Render the report as Gradescope's results.json text."""
    return json.dumps(gradescope_results([report]), indent=2, ensure_ascii=False)


def junit_suite(report: Report, prefix: str = "") -> ElementTree.Element:
    """One JUnit <testsuite> element for the report; `prefix` names the student in a batch."""
    failures = sum(c.status == "failed" for c in report.checks)
    errors = sum(c.status in ("error", "timeout") for c in report.checks)
    skipped = sum(c.status == "skipped" for c in report.checks)
    suite = ElementTree.Element(
        "testsuite",
        name=f"{prefix}exercise {report.exercise}: {report.title}",
        tests=str(len(report.checks)),
        failures=str(failures),
        errors=str(errors),
        skipped=str(skipped),
        time=f"{report.duration_s:.3f}",
    )
    classname = f"{prefix.rstrip(': ')}.exercise{report.exercise:02d}".lstrip(".")
    for check in report.checks:
        case = ElementTree.SubElement(suite, "testcase", classname=classname, name=check.name)
        if check.status in ("failed", "skipped"):
            tag = "failure" if check.status == "failed" else "skipped"
            ElementTree.SubElement(
                case, tag, message=check.message.split("\n")[0]
            ).text = report.full_message(check)
        elif check.status in ("error", "timeout"):
            ElementTree.SubElement(case, "error", message=check.status).text = report.full_message(
                check
            )
    return suite


def to_junit(report: Report) -> str:
    """Render the report as JUnit XML text (one testsuite, one testcase per check)."""
    return ElementTree.tostring(junit_suite(report), encoding="unicode", xml_declaration=True)


def classroom_results(report: Report) -> dict:
    """GitHub Classroom's runner result for the report: what autograding-grading-reporter
    reads (base64-encoded) from a step's `result` output, one test per check.

    The reporter adds up the tests' `score` fields against `max_score`, so partial
    points count (autograding-command-grader can only write all or nothing).
    """

    def status(check: CheckResult) -> str:
        if check.status == "passed":
            return "pass"
        return "fail" if check.status in ("failed", "skipped") else "error"

    return {
        "version": 1,
        "status": "pass" if report.passed else "fail",
        "max_score": report.max_score,
        "tests": [
            {
                "name": f"{report.exercise}. {c.name}",
                "status": status(c),
                "score": c.points,
                "message": report.full_message(c),
                "test_code": "",
                "filename": "",
                "line_no": 0,
                "duration": round(c.duration_s * 1000),
            }
            for c in report.checks
            if not c.optional_not_run
        ],
    }


def to_classroom(report: Report) -> str:
    """Render the report as GitHub Classroom's runner result JSON text."""
    return json.dumps(classroom_results(report), ensure_ascii=False)


def _title(report: Report, lang: str) -> str:
    """The exercise's title in `lang` (reports keep the English one)."""
    try:
        return get_exercise(report.exercise).title_in(lang)
    except UnknownExercise:
        return report.title


def print_text(report: Report, console: Console | None = None, lang: str = "en") -> None:
    """Print the report for a reader of `lang`: a table, each failure's details, the score.

    The table gives each check's first message line; a message of several
    lines (the side-by-side values, the failing call to paste) follows the table
    once, however many checks share it. Then the hints revealed so far.
    """
    console = console or Console()
    title = text("title", lang, number=report.exercise, title=_title(report, lang))
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


RENDERERS = {
    "json": to_json,
    "junit": to_junit,
    "gradescope": to_gradescope,
    "classroom": to_classroom,
}
