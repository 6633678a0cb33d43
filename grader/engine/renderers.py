"""The machine formats of a Report: JSON, JUnit XML, Gradescope's and GitHub Classroom's.

Each renderer takes a Report (grader/engine/report.py) and returns text; exports
stay in English, each failing check's message with its hints (Report.full_message).
The terminal's table is grader/learner/terminal.py.
"""

from __future__ import annotations

import json
from xml.etree import ElementTree

from grader.engine.report import CheckResult, Report


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
        "output": "\n".join([*(r.notice for r in reports if r.notice), *_findings(reports)]),
        "tests": tests,
    }


def _findings(reports: list[Report]) -> list[str]:
    """The capstones' profile findings (the function a training waited for), one line each."""
    return [
        f"exercise {report.exercise}: {profile['finding']}"
        for report in reports
        for profile in report.profiles
        if profile.get("finding")
    ]


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


RENDERERS = {
    "json": to_json,
    "junit": to_junit,
    "gradescope": to_gradescope,
    "classroom": to_classroom,
}
