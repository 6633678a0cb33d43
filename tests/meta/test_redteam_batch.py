"""Red team, `grade batch`: student names that try to write the class's records.

A zip named `eve","score":12,"x":".zip` holding the untouched stub once got 12/12
in gradebook.csv, report.json and report.html, because the job pasted the
student's name into JSON text; a name with a backslash (`bob\\x`) made that text
invalid, scored the student 0 and ended `grade batch` with a traceback before
any HTML page was written. Here both attack through the real `grade batch`
command, behind bubblewrap, beside an honest student: the attackers must earn
0 everywhere, the honest student full marks, and every class file and every
student's files must be there, inside the results folder.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest
from batch_class import BACKSLASH, EX01, JSON_WRITER, gradebook_rows
from grade_cli import KIT_ROOT
from html_page import Page

from grader.course.registry import get_exercise
from grader.course.stubs import make_stub
from grader.instructor.batch.export import CLASS_FILES, student_folder, xml_text

HONEST = "ada"
ATTACKERS = (JSON_WRITER, BACKSLASH)
STUDENT_FILES = ("report.json", "results.json", "report.html")


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """The attackers (the untouched stub) and an honest student (the reference) graded on
    exercise 1 by `grade batch` behind bwrap: (the results folder, the finished command)."""
    root = tmp_path_factory.mktemp("redteam-batch")
    submissions = root / "submissions"
    submissions.mkdir()
    stub = make_stub((KIT_ROOT / "solutions" / EX01).read_text("utf-8")).encode("utf-8")
    with zipfile.ZipFile(submissions / f"{JSON_WRITER}.zip", "w") as archive:
        archive.writestr(EX01, stub)
    for name, source in ((BACKSLASH, stub), (HONEST, (KIT_ROOT / "solutions" / EX01).read_bytes())):
        (submissions / name).mkdir()
        (submissions / name / EX01).write_bytes(source)
    results = root / "results"
    grade = Path(sys.executable).with_name("grade")
    command = [str(grade), "batch", str(submissions), "--exercises", "1", "--out", str(results)]
    env = os.environ | {"NNLAB_ISOLATION": "bwrap", "COLUMNS": "1000"}
    finished = subprocess.run(
        [*command, "--jobs", "2"], capture_output=True, text=True, timeout=900, env=env
    )
    return results, finished


def _record(results: Path, name: str, file: str = "report.json") -> dict:
    return json.loads((results / student_folder(name) / file).read_text("utf-8"))


def test_grade_batch_finishes_cleanly(batch):
    _, finished = batch
    output = finished.stdout + finished.stderr
    assert finished.returncode == 0, output
    assert "Traceback" not in output
    assert "3 students: 3 graded" in output, output


@pytest.mark.parametrize("name", ATTACKERS)
def test_the_attacking_name_earns_nothing_anywhere(batch, name):
    results, _ = batch
    assert gradebook_rows(results / "gradebook.csv", [1])[name] == (0, "graded")
    record = _record(results, name)
    assert (record["student"], record["score"], record["status"]) == (name, 0, "graded")
    (report,) = record["exercises"]
    assert report["isolation"] == "bwrap"
    assert report["max_score"] == get_exercise(1).points
    assert [c["points"] for c in report["checks"]] == [0] * len(report["checks"])
    gradescope = _record(results, name, "results.json")
    assert gradescope["score"] == 0 and all(t["score"] == 0 for t in gradescope["tests"])
    class_page = Page((results / "report.html").read_text("utf-8"))
    row = class_page.one("tr", data_student=name)
    assert class_page.number(within=row, data_field="total") == 0
    own = Page((results / student_folder(name) / "report.html").read_text("utf-8"))
    assert own.one("h1", id="student-name").raw == name
    assert own.number(id="total-score") == 0


def test_the_honest_student_beside_them_earns_full_marks(batch):
    results, _ = batch
    points = get_exercise(1).points
    assert gradebook_rows(results / "gradebook.csv", [1])[HONEST] == (points, "graded")
    assert _record(results, HONEST)["score"] == points
    assert _record(results, HONEST, "results.json")["score"] == points


def test_every_class_and_student_file_is_complete_and_inside_the_results(batch):
    results, _ = batch
    names = [HONEST, *ATTACKERS]
    assert sorted(p.name for p in results.parent.iterdir()) == ["results", "submissions"]
    folders = {student_folder(name) for name in names}
    assert {p.name for p in results.iterdir()} == folders | set(CLASS_FILES)
    for name in names:
        for file in STUDENT_FILES:
            assert (results / student_folder(name) / file).is_file(), (name, file)
    assert set(gradebook_rows(results / "gradebook.csv", [1])) == set(names)
    suites = ElementTree.parse(results / "junit.xml").getroot()
    title = get_exercise(1).title
    assert {s.get("name") for s in suites} == {f"{xml_text(n)}: exercise 1: {title}" for n in names}
    rows = Page((results / "report.html").read_text("utf-8")).find_all("tr", data_student=None)
    assert {row.attrs["data-student"] for row in rows} == set(names)
