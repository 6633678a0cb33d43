"""A graded class's files: gradebook.csv, junit.xml, report.html, each student's results.json.

Everything here reads the students' records (see batch.student_record) and
only presents them.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from xml.etree import ElementTree

from grader.atomic import write_atomically
from grader.report import Report, gradescope_results, junit_suite

# A spreadsheet runs a cell starting with one of these as a formula; student
# names and messages are untrusted, so such a cell gets a leading quote.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _reports(record: dict) -> list[Report]:
    requested = set(record.get("exercises_requested", []))
    return [
        Report.from_dict(r)
        for r in record.get("exercises", [])
        if not requested or r["exercise"] in requested
    ]


def gradescope_json(record: dict) -> str:
    """A student's Gradescope results.json text: every requested exercise's checks."""
    results = gradescope_results(_reports(record))
    results["max_score"] = record["max_score"]
    if record.get("error"):
        results["output"] = "\n".join(filter(None, [record["error"], results["output"]]))
    return json.dumps(results, indent=2, ensure_ascii=False)


def _cell(value) -> str:
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _score(value: float) -> str:
    return f"{value:g}"


def gradebook_csv(records: list[dict], numbers: list[int]) -> str:
    """The gradebook: one row per student, one column per exercise, then total and status."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["student", *(f"ex{n:02d}" for n in numbers), "total", "max_score", "status", "message"]
    )
    for record in records:
        by_number = {r["exercise"]: r for r in record.get("exercises", [])}
        scores = [_score(by_number[n]["score"]) if n in by_number else "0" for n in numbers]
        writer.writerow(
            [
                _cell(record["student"]),
                *scores,
                _score(record["score"]),
                _score(record["max_score"]),
                record["status"],
                _cell(record.get("error", "")),
            ]
        )
    return out.getvalue()


def junit_xml(records: list[dict]) -> str:
    """JUnit XML for the class: one testsuite per student and exercise.

    A student whose submission could not be graded at all gets one suite with
    an errored "grading" test case carrying the message.
    """
    suites = ElementTree.Element("testsuites", name="nnlab batch")
    for record in records:
        prefix = f"{record['student']}: "
        for report in _reports(record):
            suites.append(junit_suite(report, prefix))
        if record.get("error"):
            suite = ElementTree.SubElement(
                suites, "testsuite", name=f"{prefix}grading", tests="1", failures="0", errors="1"
            )
            case = ElementTree.SubElement(
                suite, "testcase", classname=f"{record['student']}.grading", name="grading"
            )
            ElementTree.SubElement(case, "error", message="not graded").text = record["error"]
    return ElementTree.tostring(suites, encoding="unicode", xml_declaration=True)


def write_class_files(out: Path, records: list[dict], numbers: list[int], lang: str = "en") -> None:
    """Write gradebook.csv, junit.xml and the HTML reports (in `lang`) for the class into `out`."""
    from grader.html_report import write_html_reports

    write_atomically(out / "gradebook.csv", gradebook_csv(records, numbers))
    write_atomically(out / "junit.xml", junit_xml(records))
    write_html_reports(out, records, lang=lang)
