"""`grade batch`'s records and class files, through the real command: what the gradebook
says of an empty folder, the students' pages to hand back (--student-view), a resumed
student's time, and a --regrade stopped with Ctrl-C that keeps every student."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from xml.etree import ElementTree

import pytest
from batch_class import EX01, gradebook_rows
from click.testing import CliRunner
from grade_cli import killed_at_end, press_ctrl_c
from html_page import Page, rendered_dom

from grader.cli import main
from grader.instructor.batch.export import STUDENT_VIEW

# ada: right; ben: one_hot reversed (a public and a hidden check fail); frank: nothing.
EXPECTED = {"ada": (12.0, "graded"), "ben": (9.0, "graded"), "frank": (0.0, "graded")}
NO_MODULES = "no exercise modules found"
# Wide enough that the summary table prints each status on one line.
WIDE = {"COLUMNS": "200"}


def _write_class(root: Path, kit_root: Path) -> Path:
    solution = (kit_root / "solutions" / EX01).read_text("utf-8")
    reversed_one_hot = solution.replace("def one_hot(", "def _right_one_hot(", 1) + (
        "\n\ndef one_hot(labels, num_classes):\n"
        "    return _right_one_hot(labels, num_classes)[:, ::-1]\n"
    )
    for name, source in (("ada", solution), ("ben", reversed_one_hot), ("frank", None)):
        (root / name).mkdir(parents=True)
        if source is not None:
            (root / name / EX01).write_text(source, encoding="utf-8")
    return root


def _batch_arguments(submissions: Path, out: Path) -> list[str]:
    return ["batch", str(submissions), "--exercises", "1", "--out", str(out), "--jobs", "1"]


@pytest.fixture(scope="module")
def graded(tmp_path_factory, kit_root) -> tuple[Path, Path, str]:
    """The three students graded once by `grade batch --student-view`: (submissions, out,
    output). In this process, so that a second run has the same grader version."""
    root = tmp_path_factory.mktemp("records")
    submissions = _write_class(root / "submissions", kit_root)
    out = root / "out"
    arguments = [*_batch_arguments(submissions, out), "--student-view"]
    result = CliRunner().invoke(main, arguments, env=WIDE)
    assert result.exit_code == 0, result.output
    return submissions, out, result.output


def _record(out: Path, name: str) -> dict:
    return json.loads((out / name / "report.json").read_text("utf-8"))


def _messages(out: Path) -> dict[str, str]:
    with (out / "gradebook.csv").open(encoding="utf-8", newline="") as handle:
        return {row["student"]: row["message"] for row in csv.DictReader(handle)}


def test_an_empty_folder_says_no_exercise_modules_were_found(graded):
    _, out, output = graded
    assert gradebook_rows(out / "gradebook.csv", [1]) == EXPECTED
    assert _messages(out) == {"ada": "", "ben": "", "frank": NO_MODULES}
    assert f"graded: {NO_MODULES}" in output
    assert _record(out, "frank")["notice"] == NO_MODULES
    class_page = Page((out / "report.html").read_text("utf-8"))
    assert class_page.one("td", data_student="frank", data_field="message").text == NO_MODULES


def _not_shown_lines(record: dict) -> list[str]:
    """The lines of the hidden checks' messages that no public check's message holds."""
    checks = [check for report in record["exercises"] for check in report["checks"]]
    public = {line for c in checks if c["visible"] for line in c["message"].splitlines()}
    hidden = [line for c in checks if not c["visible"] for line in c["message"].splitlines()]
    return [line.strip() for line in hidden if line.strip() and line not in public]


def test_the_student_view_leaves_out_what_hidden_checks_say(graded, tmp_path):
    _, out, _ = graded
    record = _record(out, "ben")
    failed = {c["name"]: c for c in record["exercises"][0]["checks"] if c["status"] != "passed"}
    hidden = [c for c in failed.values() if not c["visible"]]
    public = [c for c in failed.values() if c["visible"]]
    assert hidden and public, failed
    secret = _not_shown_lines(record)
    assert secret, "the hidden checks' messages say nothing of their own"
    instructor = (out / "ben" / "report.html").read_text("utf-8")
    view = out / STUDENT_VIEW / "ben" / "report.html"
    page = Page(rendered_dom(view, tmp_path))
    text = page.one("body").raw
    for line in secret:
        assert Page(instructor).one("body").raw.count(line), line  # the instructor sees it
        assert line not in text and line not in view.read_text("utf-8"), line
    for check in hidden:
        row = page.one("tr", data_check=check["name"])
        assert page.one("td", within=row, data_field="status").text == "failed"
        assert page.find_all("pre", within=row) == []
    for check in public:
        row = page.one("tr", data_check=check["name"])
        assert page.one("pre", within=row).text == " ".join(check["message"].split())
    assert page.number(id="total-score") == EXPECTED["ben"][0]
    assert sorted(p.name for p in (out / STUDENT_VIEW).iterdir()) == sorted(EXPECTED)
    assert [p.name for p in (out / STUDENT_VIEW / "ben").iterdir()] == ["report.html"]


def test_a_resumed_student_keeps_the_time_it_was_graded_in(graded, tmp_path):
    submissions, out, _ = graded
    again = CliRunner().invoke(main, _batch_arguments(submissions, out))
    assert "3 already graded (skipped)" in again.output, again.output
    for name in EXPECTED:
        seconds = _record(out, name)["duration_s"]
        page = Page(rendered_dom(out / name / "report.html", tmp_path / name))
        assert seconds > 0 and page.number(id="duration") == pytest.approx(seconds, abs=0.006)


def _job_processes(mark: str) -> list[int]:
    """The grading jobs whose environment holds `mark` (those of one batch, not of
    others running on the machine)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if (
                entry.name.isdigit()
                and b"grader.instructor.batch.job" in (entry / "cmdline").read_bytes()
                and mark.encode() in (entry / "environ").read_bytes()
            ):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def _written(path: Path) -> tuple[int, int]:
    info = path.stat()
    return info.st_ino, info.st_mtime_ns


def test_a_regrade_stopped_with_ctrl_c_keeps_every_student(graded, tmp_path):
    """Ctrl-C after the first student of a --regrade: the class files still hold every
    student, those not regraded yet with their earlier records (it once held one)."""
    submissions, out = tmp_path / "submissions", tmp_path / "out"
    shutil.copytree(graded[0], submissions)
    shutil.copytree(graded[1], out)
    # ben's module now sleeps as it is imported: his job is running when ada's is done.
    (submissions / "ben" / EX01).write_text("import time\ntime.sleep(600)\n", encoding="utf-8")
    earlier = {name: (out / name / "report.json").read_bytes() for name in ("ben", "frank")}
    ada = out / "ada" / "report.json"
    before = _written(ada)
    grade = Path(sys.executable).with_name("grade")
    mark = f"NNLAB_TEST_BATCH={uuid.uuid4().hex}"
    batch = subprocess.Popen(
        [str(grade), *_batch_arguments(submissions, out), "--regrade"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        env=os.environ | WIDE | dict([mark.split("=")]),
    )
    with killed_at_end(batch):
        deadline = time.monotonic() + 300
        while _written(ada) == before and batch.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _written(ada) != before, "ada was not regraded"
        stdout, stderr = press_ctrl_c(batch)
    assert batch.returncode == 130, stdout.decode() + stderr.decode()
    assert b"interrupted" in stderr and b"Traceback" not in stdout + stderr
    assert gradebook_rows(out / "gradebook.csv", [1]) == EXPECTED
    assert _messages(out)["frank"] == NO_MODULES
    assert {name: (out / name / "report.json").read_bytes() for name in earlier} == earlier
    rows = Page((out / "report.html").read_text("utf-8")).find_all("tr", data_student=None)
    assert {row.attrs["data-student"] for row in rows} == set(EXPECTED)
    suites = ElementTree.parse(out / "junit.xml").getroot()
    assert {suite.get("name").split(":")[0] for suite in suites} == set(EXPECTED)
    deadline = time.monotonic() + 10
    while _job_processes(mark) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _job_processes(mark) == [], "a grading job outlived the interrupted batch"


def test_the_gradebook_names_a_module_that_could_not_be_used_at_all():
    from grader.instructor.batch.export import record_message
    from grader.instructor.batch.record import StudentRecord

    def exercise(number: int, checks: list[tuple[str, str]]) -> dict:
        return {
            "exercise": number,
            "checks": [
                {"name": f"c{i}", "status": status, "points": 0, "max_points": 1, "message": m}
                for i, (status, m) in enumerate(checks)
            ],
        }

    syntax = "ex02_activations.py, line 28: SyntaxError: invalid syntax\n    def f(:\n          ^"
    record = {
        "notice": "not found: ex04_dense.py",
        "exercises": [
            exercise(1, [("passed", ""), ("failed", "values differ")]),
            exercise(2, [("error", syntax)] * 3),
            exercise(3, [("error", "`softmax` raised ValueError"), ("failed", "wrong")]),
        ],
    }
    assert record_message(StudentRecord.from_dict(record)) == (
        "not found: ex04_dense.py; ex02: ex02_activations.py, line 28: SyntaxError: invalid syntax"
    )
