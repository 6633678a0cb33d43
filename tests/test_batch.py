"""`grade batch`: a synthetic class graded locally, through Dask, and after a kill."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest
from batch_class import EXERCISES, EXPECTED, build_class, gradebook_rows
from click.testing import CliRunner

from grader.batch import (
    BatchOptions,
    ExerciseSelectionError,
    Submission,
    UnreadableSubmission,
    discover,
    parse_exercises,
    read_submission,
    run_batch,
    snapshot_hash,
)
from grader.batch_export import gradebook_csv
from grader.cli import main

EXPECTED_ROWS = {name: (float(a), float(b), status) for name, (a, b, status) in EXPECTED.items()}


@pytest.fixture(scope="module")
def submissions(tmp_path_factory, kit_root) -> Path:
    """The synthetic class's submissions folder."""
    return build_class(tmp_path_factory.mktemp("class"), kit_root)


@pytest.fixture(scope="module")
def graded_class(submissions, tmp_path_factory):
    """The class graded once locally with two jobs: (out folder, summary)."""
    out = tmp_path_factory.mktemp("out") / "batch"
    summary = run_batch(submissions, BatchOptions(out=out, exercises=EXERCISES, jobs=2))
    return out, summary


def _comparable(record: dict) -> dict:
    """A record without what legitimately differs between two gradings: timings."""
    record = json.loads(json.dumps(record))
    record.pop("duration_s", None)
    for report in record["exercises"]:
        report.pop("duration_s", None)
        for check in report["checks"]:
            check.pop("duration_s", None)
    return record


def _records(out: Path) -> dict[str, dict]:
    return {
        p.parent.name: _comparable(json.loads(p.read_text("utf-8")))
        for p in out.glob("*/report.json")
    }


def test_the_class_grades_to_the_expected_gradebook(graded_class):
    out, summary = graded_class
    assert gradebook_rows((out / "gradebook.csv").read_text("utf-8")) == EXPECTED_ROWS
    assert (summary.graded, summary.skipped, summary.failed) == (11, 0, 2)


def test_each_student_gets_a_report_and_gradescope_results(graded_class):
    out, _ = graded_class
    for student, (ex01, ex02, status) in EXPECTED.items():
        record = json.loads((out / student / "report.json").read_text("utf-8"))
        assert record["status"] == status
        assert record["score"] == ex01 + ex02 and record["max_score"] == 26
        results = json.loads((out / student / "results.json").read_text("utf-8"))
        assert results["score"] == ex01 + ex02 and results["max_score"] == 26
        if status == "graded":
            assert len(results["tests"]) == 17  # exercise 1 has 8 checks, exercise 2 has 9
            assert record["submission_hash"] and record["grader_version"]


def test_broken_submissions_get_plain_messages(graded_class):
    out, _ = graded_class

    def first_message(student: str) -> str:
        record = json.loads((out / student / "report.json").read_text("utf-8"))
        return record["exercises"][0]["checks"][0]["message"]

    assert "did not finish within" in first_message("eve")
    assert "os._exit" in first_message("hal")
    assert "my module is broken" in first_message("dan")
    assert "symbolic link" in json.loads((out / "mia" / "report.json").read_text())["error"]
    assert "not a readable zip" in json.loads((out / "lee" / "report.json").read_text())["error"]
    for path in out.rglob("*.json"):
        assert "Traceback" not in path.read_text("utf-8")


def test_printed_fake_results_are_inert(graded_class):
    out, _ = graded_class
    record = json.loads((out / "gus" / "report.json").read_text("utf-8"))
    assert record["score"] == 0
    assert all(c["points"] == 0 for r in record["exercises"] for c in r["checks"])


def test_junit_has_a_suite_per_student_and_exercise(graded_class):
    out, _ = graded_class
    root = ElementTree.fromstring((out / "junit.xml").read_text("utf-8"))
    names = [suite.get("name") for suite in root]
    assert "ada: exercise 1: Tensors and labels" in names
    assert "lee: grading" in names
    ada = next(s for s in root if s.get("name").startswith("ada: exercise 2"))
    assert ada.get("failures") == "0" and ada.get("tests") == "9"


def test_report_html_links_every_student(graded_class):
    out, _ = graded_class
    page = (out / "report.html").read_text("utf-8")
    for student in EXPECTED:
        assert f"{student}/report.html" in page
        assert (out / student / "report.html").is_file()


def test_running_again_skips_everyone_already_graded(graded_class, submissions):
    out, _ = graded_class
    before = _records(out)
    result = CliRunner().invoke(
        main, ["batch", str(submissions), "--exercises", "1-2", "--out", str(out)]
    )
    assert "11 already graded (skipped)" in result.output, result.output
    assert result.exit_code == 1  # two submissions could not be graded
    assert _records(out) == before
    assert gradebook_rows((out / "gradebook.csv").read_text("utf-8")) == EXPECTED_ROWS


def test_a_changed_submission_is_graded_again(graded_class, submissions, tmp_path, kit_root):
    out, _ = graded_class
    copy = tmp_path / "one"
    (copy / "ada").mkdir(parents=True)
    for name in ("ex01_tensors.py", "ex02_activations.py"):
        (copy / "ada" / name).write_bytes((submissions / "ada" / name).read_bytes())
    (copy / "ada" / "ex02_activations.py").write_text(
        (kit_root / "exercises" / "ex02_activations.py").read_text("utf-8")
    )
    target = tmp_path / "out"
    target.mkdir()
    (target / "ada").mkdir()
    (target / "ada" / "report.json").write_bytes((out / "ada" / "report.json").read_bytes())
    summary = run_batch(copy, BatchOptions(out=target, exercises=[2]))
    assert (summary.graded, summary.skipped) == (1, 0)
    assert summary.records[0]["score"] == 0


def test_snapshot_is_the_same_from_a_folder_or_a_zip(tmp_path, kit_root):
    folder = tmp_path / "ann"
    folder.mkdir()
    source = (kit_root / "solutions" / "ex01_tensors.py").read_bytes()
    (folder / "ex01_tensors.py").write_bytes(source)
    (folder / "notes.txt").write_text("not an exercise")
    with zipfile.ZipFile(tmp_path / "bob.zip", "w") as archive:
        archive.writestr("bob/exercises/ex01_tensors.py", source)
        archive.writestr("../../etc/ex02_activations.py", "escape")
    from_folder = read_submission(Submission("ann", folder))
    from_zip = read_submission(Submission("bob", tmp_path / "bob.zip"))
    assert from_folder == from_zip == {"ex01_tensors.py": source}
    assert snapshot_hash(from_folder) == snapshot_hash(from_zip)


def test_an_oversized_module_is_refused(tmp_path):
    (tmp_path / "big").mkdir()
    (tmp_path / "big" / "ex01_tensors.py").write_bytes(b"#" * (2 << 20))
    with pytest.raises(UnreadableSubmission, match="at most"):
        read_submission(Submission("big", tmp_path / "big"))


def test_discover_takes_folders_and_zips_only(tmp_path):
    for name in ("b", ".git", "gradebook.csv"):
        (tmp_path / name).mkdir()
    (tmp_path / "a.zip").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("")
    names = [s.name for s in discover(tmp_path)]
    assert names == ["a", "b", "gradebook.csv_"]


def test_exercise_selections():
    assert parse_exercises("1-3,5") == [1, 2, 3, 5]
    assert parse_exercises("all")[:2] == [1, 2]
    for wrong in ("0", "x", "3-", "99"):
        with pytest.raises(ExerciseSelectionError):
            parse_exercises(wrong)


def test_gradebook_cells_cannot_become_spreadsheet_formulas():
    record = {
        "student": "=HYPERLINK(1)",
        "exercises": [],
        "score": 0.0,
        "max_score": 12.0,
        "status": "error",
        "error": "-bad",
    }
    row = next(csv.DictReader(io.StringIO(gradebook_csv([record], [1]))))
    assert row["student"] == "'=HYPERLINK(1)" and row["message"] == "'-bad"


@pytest.mark.slow
def test_a_dask_cluster_gives_the_same_results(graded_class, submissions, tmp_path):
    distributed = pytest.importorskip("distributed", reason="the cluster extra is not installed")
    out, _ = graded_class
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        target = tmp_path / "dask"
        options = BatchOptions(out=target, exercises=EXERCISES, scheduler=cluster.scheduler_address)
        summary = run_batch(submissions, options)
    assert (summary.graded, summary.failed) == (11, 2)
    assert gradebook_rows((target / "gradebook.csv").read_text("utf-8")) == EXPECTED_ROWS
    assert _records(target) == _records(out)


def _batch_processes() -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if b"grader.batch_job" in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@pytest.mark.slow
def test_a_batch_killed_half_way_resumes_where_it_stopped(submissions, tmp_path):
    out = tmp_path / "resumed"
    command = [sys.executable, "-m", "grader.cli", "batch", str(submissions)]
    command += ["--exercises", "1-2", "--out", str(out), "--jobs", "1"]
    batch = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 300
    while len(list(out.glob("*/report.json"))) < 5 and time.monotonic() < deadline:
        time.sleep(0.5)
    os.killpg(batch.pid, signal.SIGKILL)
    batch.wait()
    done_before = {p.parent.name: p.stat().st_mtime_ns for p in out.glob("*/report.json")}
    assert 5 <= len(done_before) < len(EXPECTED)
    deadline = time.monotonic() + 10
    while _batch_processes() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _batch_processes() == [], "a grading job outlived the killed batch"

    summary = run_batch(submissions, BatchOptions(out=out, exercises=EXERCISES, jobs=2))
    assert gradebook_rows((out / "gradebook.csv").read_text("utf-8")) == EXPECTED_ROWS
    graded_before = {s for s in done_before if EXPECTED[s][2] == "graded"}
    assert summary.skipped == len(graded_before)
    for student in graded_before:
        assert (out / student / "report.json").stat().st_mtime_ns == done_before[student]


def test_batch_refuses_an_unknown_exercise_selection(tmp_path):
    result = CliRunner().invoke(main, ["batch", str(tmp_path), "--exercises", "1-99"])
    assert result.exit_code == 2
    assert "no gradable exercise" in result.output
