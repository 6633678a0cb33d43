"""Report: the result of grading one exercise, and its renderings.

A Report renders as a rich terminal table, JSON, JUnit XML or a Gradescope
`results.json`; nothing here judges, it only presents.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from xml.etree import ElementTree

from rich.console import Console
from rich.table import Table
from rich.text import Text

STATUSES = ("passed", "failed", "error", "timeout")
_STYLE = {"passed": "green", "failed": "red", "error": "magenta", "timeout": "yellow"}


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


@dataclass
class Report:
    """The outcome of grading one exercise for one submission."""

    exercise: int
    title: str
    checks: list[CheckResult] = field(default_factory=list)
    duration_s: float = 0.0
    submission: str = ""
    isolation: str = ""
    limits: dict = field(default_factory=dict)
    notice: str = ""
    hint: str = ""
    artifacts: list[str] = field(default_factory=list)

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
        """True when every check passed."""
        return bool(self.checks) and all(c.status == "passed" for c in self.checks)

    def full_message(self, check: CheckResult) -> str:
        """A check's message, with the exercise's hint added when it did not pass."""
        if check.status == "passed" or not self.hint or self.notice:
            return check.message
        return f"{check.message}\nhint: {self.hint}"

    def to_dict(self) -> dict:
        """The JSON form: exercise, title, score, max_score, duration_s, checks, and context."""
        return {
            "exercise": self.exercise,
            "title": self.title,
            "score": self.score,
            "max_score": self.max_score,
            "duration_s": round(self.duration_s, 3),
            "checks": [
                {k: v for k, v in asdict(c).items() if k != "visible"}
                | {"message": self.full_message(c), "duration_s": round(c.duration_s, 3)}
                for c in self.checks
            ],
            "submission": self.submission,
            "isolation": self.isolation,
            "limits": self.limits,
            "notice": self.notice,
            "artifacts": self.artifacts,
        }


def to_json(report: Report) -> str:
    """Render the report as indented JSON text."""
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False)


def to_gradescope(report: Report) -> str:
    """Render the report as Gradescope's results.json text."""
    tests = [
        {
            "name": f"{report.exercise}. {c.name}",
            "score": c.points,
            "max_score": c.max_points,
            "status": "passed" if c.status == "passed" else "failed",
            "output": report.full_message(c),
            "visibility": "visible" if c.visible else "after_published",
        }
        for c in report.checks
    ]
    results = {
        "score": report.score,
        "max_score": report.max_score,
        "execution_time": round(report.duration_s, 3),
        "output": report.notice,
        "tests": tests,
    }
    return json.dumps(results, indent=2, ensure_ascii=False)


def to_junit(report: Report) -> str:
    """Render the report as JUnit XML text (one testsuite, one testcase per check)."""
    failures = sum(c.status == "failed" for c in report.checks)
    errors = sum(c.status in ("error", "timeout") for c in report.checks)
    suite = ElementTree.Element(
        "testsuite",
        name=f"exercise {report.exercise}: {report.title}",
        tests=str(len(report.checks)),
        failures=str(failures),
        errors=str(errors),
        time=f"{report.duration_s:.3f}",
    )
    for check in report.checks:
        case = ElementTree.SubElement(
            suite, "testcase", classname=f"exercise{report.exercise:02d}", name=check.name
        )
        if check.status == "failed":
            ElementTree.SubElement(
                case, "failure", message=check.message.split("\n")[0]
            ).text = report.full_message(check)
        elif check.status in ("error", "timeout"):
            ElementTree.SubElement(case, "error", message=check.status).text = report.full_message(
                check
            )
    return ElementTree.tostring(suite, encoding="unicode", xml_declaration=True)


def print_text(report: Report, console: Console | None = None) -> None:
    """Print the report as a rich table and a score line."""
    console = console or Console()
    table = Table(title=f"Exercise {report.exercise}: {report.title}", show_lines=True)
    table.add_column("check", ratio=2)
    table.add_column("points", justify="right", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("message", ratio=5, overflow="fold")
    for check in report.checks:
        table.add_row(
            check.name.replace("_", " "),
            f"{check.points:g}/{check.max_points:g}",
            Text(check.status, style=_STYLE.get(check.status, "")),
            Text(check.message),
        )
    console.print(table)
    for artifact in report.artifacts:
        console.print(Text(f"wrote {artifact}", style="dim"))
    if report.notice:
        console.print(Text(report.notice, style="bold yellow"))
    elif not report.passed and report.hint:
        console.print(Text(f"Hint: {report.hint}", style="cyan"))
    style = "bold green" if report.passed else "bold red"
    console.print(
        Text(
            f"Score: {report.score:g}/{report.max_score:g}  ({report.duration_s:.1f} s)",
            style=style,
        )
    )


RENDERERS = {"json": to_json, "junit": to_junit, "gradescope": to_gradescope}
