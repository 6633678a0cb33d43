"""A graded class's files: gradebook.csv, junit.xml, report.html, each student's results.json.

Everything here reads the students' records (record.StudentRecord) and
only presents them. A student's name is data: it goes into each file as a
value serialised by the library (csv, json, ElementTree, html.escape), and
the student's own folder under the results gets a safe name derived from it
(`student_folder`), never the name pasted into a path.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import unicodedata
from pathlib import Path
from xml.etree import ElementTree

from grader.engine.atomic import write_atomically
from grader.engine.renderers import gradescope_results, junit_suite
from grader.engine.report import Report, shared_error
from grader.instructor.batch.record import StudentRecord

CLASS_FILES = frozenset({"gradebook.csv", "junit.xml", "report.html"})
# The folder of the pages to hand back to students (`grade batch --student-view`).
STUDENT_VIEW = "student-view"
# Names a student's folder never has: the class's own files and folders.
_RESERVED = CLASS_FILES | {STUDENT_VIEW}
# A file name holds at most 255 bytes on Linux, macOS and Windows file systems.
MAX_FOLDER_BYTES = 255
# How much of an unsafe name stays readable in front of its fingerprint.
_READABLE_BYTES = 64
# Never in a folder name as given: path separators, what Windows refuses, and
# "~", which marks a derived name, so a derived name never equals a given one.
_UNSAFE_IN_FOLDER = frozenset('/\\:*?"<>|~')

# A spreadsheet runs a cell starting with one of these as a formula; student
# names and messages are untrusted, so such a cell gets a leading quote.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# Characters XML 1.0 cannot hold at all, not even as a character reference.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# Control characters: a terminal acts on them (ESC starts a colour or cursor command).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def _visible(match: re.Match) -> str:
    return ascii(match.group())[1:-1]


def xml_text(text: str) -> str:
    """`text` with each character XML 1.0 forbids (most C0 controls, lone surrogates,
    U+FFFE/U+FFFF) written as its Python escape, e.g. "\\x01"; tab and newlines stay."""
    return _NOT_XML.sub(_visible, text)


def terminal_text(text: str) -> str:
    """`text` with every control character written as its Python escape ("\\x1b", "\\n"),
    so that printing a student's name cannot move the cursor or recolour a terminal."""
    return _CONTROL.sub(_visible, text)


def _safe_in_folder(char: str) -> bool:
    return char not in _UNSAFE_IN_FOLDER and not unicodedata.category(char).startswith("C")


def student_folder(name: str) -> str:
    """The name of a student's folder under the results: the name itself when it is a
    plain file name, otherwise a readable part of it plus a fingerprint of the whole.

    Plain: 1-255 UTF-8 bytes, no leading dot or surrounding space, no control
    character, path separator or character Windows refuses, and not a class file or
    folder (CLASS_FILES, STUDENT_VIEW).
    The derived form `<readable>~<12 hex digits of sha256(name)>` always holds a "~",
    which no plain name does, so two different students never share a folder,
    and "..", "a/b" or a 300-byte name still get a folder of their own inside it.
    """
    encoded = name.encode("utf-8", "surrogatepass")
    plain = (
        0 < len(encoded) <= MAX_FOLDER_BYTES
        and name == name.strip()
        and not name.startswith(".")
        and name.casefold() not in _RESERVED
        and all(_safe_in_folder(char) for char in name)
    )
    if plain:
        return name
    readable = "".join(char if _safe_in_folder(char) else "_" for char in name)
    readable = readable.strip().lstrip(".")
    while len(readable.encode("utf-8")) > _READABLE_BYTES:
        readable = readable[:-1]
    return f"{readable.rstrip() or 'student'}~{hashlib.sha256(encoded).hexdigest()[:12]}"


def _reports(record: StudentRecord) -> list[Report]:
    requested = set(record.exercises_requested)
    return [
        Report.from_dict(r) for r in record.exercises if not requested or r["exercise"] in requested
    ]


def gradescope_json(record: StudentRecord) -> str:
    """A student's Gradescope results.json text: every requested exercise's checks, and
    the record's error and notice first in its output."""
    results = gradescope_results(_reports(record))
    results["max_score"] = record.max_score
    results["output"] = "\n".join(filter(None, [record_message(record), results["output"]]))
    return json.dumps(results, indent=2, ensure_ascii=False)


def spreadsheet_cell(value: object) -> str:
    """`value` as a gradebook cell: text a spreadsheet would run as a formula (it starts
    with =, +, -, @, a tab or a carriage return) gets a leading apostrophe."""
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _score(value: float) -> str:
    return f"{value:g}"


def record_message(record: StudentRecord) -> str:
    """What the gradebook says about a record: its error, its notice (e.g. "no
    exercise modules found", see run.modules_notice) and, per exercise whose module
    could not be used at all, the first line of why ("ex02: ex02_activations.py,
    line 28: SyntaxError: ..."); "" when there is none of these."""
    problems = []
    for exercise in record.exercises:
        if exercise.get("notice"):  # a module not found: the record's notice says so
            continue
        shared = shared_error(Report.from_dict(exercise).checks)
        if shared:
            problems.append(f"ex{int(exercise['exercise']):02d}: {shared.splitlines()[0]}")
    parts = [record.error, record.notice, *problems]
    return "; ".join(filter(None, parts))


def gradebook_csv(records: list[StudentRecord], numbers: list[int]) -> str:
    """The gradebook: one row per student, one column per exercise, then total and status.

    Written by the csv module in its standard dialect (CRLF rows; a cell with a comma,
    quote or line break is quoted), so a name cannot add a row or a column. Names and
    messages that start like a formula are neutralised with a leading apostrophe
    (`spreadsheet_cell`); report.json keeps every name exactly.
    """
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["student", *(f"ex{n:02d}" for n in numbers), "total", "max_score", "status", "message"]
    )
    for record in records:
        by_number = record.reports_by_number()
        scores = [_score(by_number[n]["score"]) if n in by_number else "0" for n in numbers]
        writer.writerow(
            [
                spreadsheet_cell(record.student),
                *scores,
                _score(record.score),
                _score(record.max_score),
                record.status,
                spreadsheet_cell(record_message(record)),
            ]
        )
    return out.getvalue()


def _xml_safe(root: ElementTree.Element) -> ElementTree.Element:
    """`root` with every attribute value and text rewritten by `xml_text`, in place."""
    for element in root.iter():
        for key, value in element.attrib.items():
            element.attrib[key] = xml_text(value)
        if element.text:
            element.text = xml_text(element.text)
    return root


def junit_xml(records: list[StudentRecord]) -> str:
    """JUnit XML for the class: one testsuite per student and exercise.

    A student whose submission could not be graded at all gets one suite with
    an errored "grading" test case carrying the message. Characters XML 1.0
    cannot hold are written as visible escapes (`xml_text`), so the file
    always parses.
    """
    suites = ElementTree.Element("testsuites", name="nnlab batch")
    for record in records:
        prefix = f"{record.student}: "
        for report in _reports(record):
            suites.append(junit_suite(report, prefix))
        if record.error:
            suite = ElementTree.SubElement(
                suites, "testsuite", name=f"{prefix}grading", tests="1", failures="0", errors="1"
            )
            case = ElementTree.SubElement(
                suite, "testcase", classname=f"{record.student}.grading", name="grading"
            )
            ElementTree.SubElement(case, "error", message="not graded").text = record.error
    return ElementTree.tostring(_xml_safe(suites), encoding="unicode", xml_declaration=True)


def write_class_files(
    out: Path,
    records: list[StudentRecord],
    numbers: list[int],
    lang: str = "en",
    student_view: bool = False,
) -> None:
    """Write gradebook.csv, junit.xml and the HTML reports (in `lang`) for the class into `out`,
    and with `student_view` each student's page to hand back, under `out/STUDENT_VIEW`."""
    from grader.instructor.batch.html import write_html_reports, write_student_views

    write_atomically(out / "gradebook.csv", gradebook_csv(records, numbers))
    write_atomically(out / "junit.xml", junit_xml(records))
    write_html_reports(out, records, lang=lang)
    if student_view:
        write_student_views(out / STUDENT_VIEW, records, lang=lang)
