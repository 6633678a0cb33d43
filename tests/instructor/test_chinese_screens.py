"""What an instructor who chose `--lang zh` reads: the batch's class page, the batch's
terminal (table, counts, Ctrl-C) and `grade selfcheck`, in Chinese, through the real CLI."""

from __future__ import annotations

import re
import secrets
import subprocess
import time

import pytest
from grade_cli import GRADE, TIMEOUT_S, grade_env, killed_at_end, press_ctrl_c
from html_page import Page
from scene import live_processes_named

from grader.course.registry import get_exercise
from grader.instructor.batch.html import render_batch_html
from grader.instructor.batch.record import StudentRecord
from grader.messages import text

EX01 = get_exercise(1)
START_TIMEOUT_S = 300  # a grading job's start, on a busy machine


def grade_zh(*arguments: str, **options) -> subprocess.Popen | subprocess.CompletedProcess:
    """`grade --lang zh ARGUMENTS` on a screen wide enough for one line of counts; finished
    (text output) unless `options` ask for a Popen."""
    command = [GRADE, "--lang", "zh", *arguments]
    env = grade_env(COLUMNS="1000")
    if options:
        return subprocess.Popen(command, env=env, **options)
    return subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=TIMEOUT_S, check=False
    )


@pytest.fixture(scope="module")
def zh_batch(tmp_path_factory, kit_root):
    """A class of two graded on exercise 1 by `grade --lang zh batch`: ada hands in the
    reference solution, bo an empty folder. Returns (out folder, finished process)."""
    root = tmp_path_factory.mktemp("zh-class")
    submissions, out = root / "submissions", root / "out"
    (submissions / "ada").mkdir(parents=True)
    (submissions / "bo").mkdir()
    solution = (kit_root / "solutions" / EX01.filename).read_text("utf-8")
    (submissions / "ada" / EX01.filename).write_text(solution, encoding="utf-8")
    result = grade_zh("batch", str(submissions), "--exercises", "1", "--out", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    return out, result


def test_the_class_page_names_the_exercises_and_itself_in_chinese(zh_batch):
    out, _ = zh_batch
    page = Page((out / "report.html").read_text("utf-8"))
    heading = text("page_class_report", "zh")
    assert page.one("h1").text == heading
    assert page.one("title", within=page.one("head")).text == heading
    card = page.one("h3", within=page.one(id="exercise-1")).text
    assert EX01.title_in("zh") in card and EX01.title_in("en") not in card, card
    head = page.one("th", within=page.one("table", id="students"), title=EX01.title_in("zh"))
    assert head.text.startswith("1")
    own = Page((out / "ada" / "report.html").read_text("utf-8"))
    section = own.one("h2", within=own.one("section", id="ex-1")).text
    assert EX01.title_in("zh") in section and EX01.title_in("en") not in section, section


def test_an_exercise_the_course_no_longer_has_keeps_its_recorded_title():
    gone = {"exercise": 99, "title": "Retired exercise", "score": 1.0, "max_score": 2.0}
    student = StudentRecord(
        student="ada",
        submission_hash="ab" * 32,
        grader_version="0.1.0",
        status="graded",
        score=1.0,
        max_score=2.0,
        exercises_requested=[99],
        exercises=[{**gone, "checks": []}],
    )
    page = Page(render_batch_html([student], lang="zh"))
    assert "Retired exercise" in page.one("h3", within=page.one(id="exercise-99")).text


def test_the_batch_terminal_speaks_chinese(zh_batch):
    out, result = zh_batch
    table, said = result.stdout, result.stderr
    assert text("batch_table_title", "zh", count=2) in table, table
    header = next(line for line in table.splitlines() if "ex01" in line)
    for key in ("page_student", "page_total", "column_status"):
        assert text(key, "zh") in header, header
    ada = next(line for line in table.splitlines() if "ada" in line)
    assert text("status_graded", "zh") in ada and "12/12" in ada, ada
    bo = next(line for line in table.splitlines() if " bo " in line)
    assert text("no_modules", "zh") in bo, bo
    files = ", ".join(str(out / name) for name in ("gradebook.csv", "junit.xml", "report.html"))
    counts = text(
        "batch_counts", "zh", students=2, graded=2, skipped=0, failed=0, seconds="N", files=files
    )
    before, after = counts.split(" N ")
    assert re.search(re.escape(before) + r" \d+ " + re.escape(after), said), said
    for english in ("nnlab batch", "students:", "already graded", "could not be graded"):
        assert english not in table + said, english


SLEEPS_AT_IMPORT = """
import ctypes
import time

ctypes.CDLL(None).prctl(15, b"__NAME__", 0, 0, 0)  # PR_SET_NAME: the test finds it
while True:
    time.sleep(0.05)
"""


def test_ctrl_c_in_a_chinese_batch_says_how_to_resume_in_chinese(tmp_path):
    name = f"nnz{secrets.token_hex(5)}"
    submissions, out = tmp_path / "submissions", tmp_path / "out"
    (submissions / "ada").mkdir(parents=True)
    (submissions / "ada" / EX01.filename).write_text(
        SLEEPS_AT_IMPORT.replace("__NAME__", name), encoding="utf-8"
    )
    batch = grade_zh(
        "batch",
        str(submissions),
        "--exercises",
        "1",
        "--out",
        str(out),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    with killed_at_end(batch):
        deadline = time.monotonic() + START_TIMEOUT_S
        while not live_processes_named(name):
            assert batch.poll() is None, batch.communicate()
            assert time.monotonic() < deadline, "the module was never imported"
            time.sleep(0.2)
        stdout, stderr = press_ctrl_c(batch)
    assert batch.returncode == 130, stdout + stderr
    assert text("batch_interrupted", "zh", out=out) in stderr, stderr
    assert "re-run" not in stderr and "Traceback" not in stderr, stderr


def test_selfcheck_names_the_exercise_in_chinese():
    result = grade_zh("selfcheck", "1")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    line = text(
        "selfcheck_line",
        "zh",
        mark=text("selfcheck_ok", "zh"),
        number=" 1",
        title=EX01.title_in("zh"),
        solution="12",
        max_score="12",
        stub="0",
    )
    assert line in output, output
    assert EX01.title_in("en") not in output and "solution" not in output, output


def test_selfcheck_of_an_exercise_the_course_lacks_says_so_in_chinese():
    result = grade_zh("selfcheck", "99")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "没有练习 99" in result.stderr and "there is no" not in result.stderr, result.stderr
