"""`grade batch`: a synthetic class graded locally, through Dask, and after a kill."""

from __future__ import annotations

import base64
import csv
import io
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from urllib.parse import unquote
from xml.etree import ElementTree

import pytest
from batch_class import (
    BACKSLASH,
    CHINESE,
    CONTROL,
    DOT,
    EX01,
    EX02,
    EXERCISES,
    EXPECTED,
    FORMULA,
    GRADEBOOK_NAMES,
    JSON_WRITER,
    LONG,
    ODD_NAMES,
    build_class,
    gradebook_rows,
)
from click.testing import CliRunner
from html_page import Page

import grader.engine.grade
import grader.instructor.batch.run
import grader.instructor.batch.submissions
from grader.cli import main
from grader.course.registry import get_exercise
from grader.engine.submission import MAX_MODULE_BYTES
from grader.instructor.batch.export import (
    STUDENT_VIEW,
    gradebook_csv,
    junit_xml,
    student_folder,
    xml_text,
)
from grader.instructor.batch.html import student_href
from grader.instructor.batch.job import as_student, run_job
from grader.instructor.batch.record import StudentRecord
from grader.instructor.batch.run import (
    BatchOptions,
    ExerciseSelectionError,
    parse_exercises,
    run_batch,
)
from grader.instructor.batch.submissions import (
    Submission,
    UnreadableSubmission,
    discover,
    read_submission,
    snapshot_hash,
)

EXPECTED_ROWS = {
    GRADEBOOK_NAMES[name]: (float(a), float(b), status) for name, (a, b, status) in EXPECTED.items()
}
GRADED = sum(status == "graded" for *_, status in EXPECTED.values())


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


def _record(out: Path, student: str, file: str = "report.json") -> dict:
    return json.loads((out / student_folder(student) / file).read_text("utf-8"))


def test_the_class_grades_to_the_expected_gradebook(graded_class):
    out, summary = graded_class
    assert gradebook_rows(out / "gradebook.csv") == EXPECTED_ROWS
    assert (summary.graded, summary.skipped, summary.failed) == (GRADED, 0, 2) == (18, 0, 2)


def test_each_student_gets_a_report_and_gradescope_results(graded_class):
    out, _ = graded_class
    for student, (ex01, ex02, status) in EXPECTED.items():
        record = _record(out, student)
        assert record["student"] == student
        assert record["status"] == status
        assert record["score"] == ex01 + ex02 and record["max_score"] == 26
        results = _record(out, student, "results.json")
        assert results["score"] == ex01 + ex02 and results["max_score"] == 26
        if status == "graded":
            assert len(results["tests"]) == 17  # exercise 1 has 8 checks, exercise 2 has 9
            assert record["submission_hash"] and record["grader_version"]


def test_broken_submissions_get_plain_messages(graded_class):
    out, _ = graded_class

    def first_message(student: str) -> str:
        return _record(out, student)["exercises"][0]["checks"][0]["message"]

    assert "did not finish within" in first_message("eve")
    assert "os._exit" in first_message("hal")
    assert "my module is broken" in first_message("dan")
    assert "symbolic link" in json.loads((out / "mia" / "report.json").read_text())["error"]
    assert "not a readable zip" in json.loads((out / "lee" / "report.json").read_text())["error"]
    for path in out.rglob("*.json"):
        assert "Traceback" not in path.read_text("utf-8")


def test_the_gradebook_says_which_modules_were_not_found(graded_class):
    out, _ = graded_class
    with (out / "gradebook.csv").open(encoding="utf-8", newline="") as handle:
        messages = {row["student"]: row["message"] for row in csv.DictReader(handle)}
    assert messages["jon"] == "no exercise modules found"  # an empty folder
    assert messages["kim"] == f"not found: {EX02}"
    assert messages[GRADEBOOK_NAMES[FORMULA]] == f"not found: {EX01}"
    assert messages["ada"] == ""
    # A module that raises at import is found, and why no check could use it is said.
    assert messages["dan"].startswith("ex01: ") and "my module is broken" in messages["dan"]
    assert messages["lee"].startswith("unreadable submission: lee.zip is not a readable zip")


def test_printed_fake_results_are_inert(graded_class):
    out, _ = graded_class
    record = _record(out, "gus")
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
    page = Page((out / "report.html").read_text("utf-8"))
    for student in EXPECTED:
        row = page.one("tr", data_student=student)
        href = page.one("a", within=row).attrs["href"]
        assert href == student_href(student)
        assert (out / unquote(href)).is_file()
        assert (out / unquote(href)).parent.name == student_folder(student)


def test_every_name_comes_back_exactly_with_its_own_score(graded_class):
    out, _ = graded_class
    rows = gradebook_rows(out / "gradebook.csv")
    class_page = Page((out / "report.html").read_text("utf-8"))
    for name, (ex01, ex02, status) in ODD_NAMES.items():
        assert rows[GRADEBOOK_NAMES[name]] == (ex01, ex02, status), name
        record = _record(out, name)
        assert (record["student"], record["score"]) == (name, ex01 + ex02)
        assert [r["score"] for r in record["exercises"]] == [ex01, ex02]
        for report in record["exercises"]:  # the module, or the folder when it is missing
            module = {1: EX01, 2: EX02}[report["exercise"]]
            assert report["submission"] in (f"{name}/{module}", name), report["submission"]
        assert _record(out, name, "results.json")["score"] == ex01 + ex02
        row = class_page.one("tr", data_student=name)
        assert class_page.number(within=row, data_field="total") == ex01 + ex02
        assert class_page.one("a", within=row).raw == name
        own = Page((out / student_folder(name) / "report.html").read_text("utf-8"))
        assert own.one("h1", id="student-name").raw == name
        assert own.number(id="total-score") == ex01 + ex02
    assert rows[GRADEBOOK_NAMES[JSON_WRITER]][:2] == (0, 0), "the JSON-writing name got points"


def test_junit_parses_and_carries_every_name(graded_class):
    out, _ = graded_class
    suites = {suite.get("name"): suite for suite in ElementTree.parse(out / "junit.xml").getroot()}
    for name, (ex01, ex02, status) in EXPECTED.items():
        if status == "error":
            assert f"{xml_text(name)}: grading" in suites
            continue
        for number, score, points in ((1, ex01, 12), (2, ex02, 14)):
            title = get_exercise(number).title
            suite = suites[f"{xml_text(name)}: exercise {number}: {title}"]
            not_passed = int(suite.get("failures")) + int(suite.get("errors"))
            assert (not_passed == 0) == (score == points), (name, number)
    assert xml_text(CONTROL) == "tab\there\nnew line\\x01\\x1b[31mred\rend"


def test_every_student_has_a_folder_of_its_own_inside_the_results(graded_class):
    out, _ = graded_class
    folders = {student_folder(name) for name in EXPECTED}
    assert len(folders) == len(EXPECTED)
    assert {p.name for p in out.iterdir() if p.is_dir()} == folders
    assert len(LONG.encode()) == 255
    assert [student_folder(name) for name in (LONG, CHINESE, FORMULA)] == [LONG, CHINESE, FORMULA]
    for name in (DOT, JSON_WRITER, CONTROL, BACKSLASH):
        assert student_folder(name) != name and (out / student_folder(name)).parent == out


def test_grade_batch_grades_the_odd_names_and_exits_0(submissions, tmp_path):
    """`grade batch` itself, as a process, on the odd names (exercise 1): exit 0, no
    traceback, each name's own score, and names printed without raw control characters."""
    odd, results = tmp_path / "odd", tmp_path / "results"
    odd.mkdir()
    for submission in discover(submissions):
        if submission.name in ODD_NAMES:
            copy = shutil.copytree if submission.path.is_dir() else shutil.copy2
            copy(submission.path, odd / submission.path.name)
    grade = Path(sys.executable).with_name("grade")
    command = [str(grade), "batch", str(odd), "--exercises", "1", "--out", str(results)]
    # Wide enough that the summary table prints each name on one line.
    env = os.environ | {"COLUMNS": "1000"}
    result = subprocess.run(
        [*command, "--jobs", "2"], capture_output=True, text=True, timeout=900, env=env
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Traceback" not in output
    assert f"{len(ODD_NAMES)} students: {len(ODD_NAMES)} graded" in output, output
    assert "\x1b" not in output and "\\x1b[31mred" in output
    expected = {GRADEBOOK_NAMES[n]: (float(a), s) for n, (a, _, s) in ODD_NAMES.items()}
    assert gradebook_rows(results / "gradebook.csv", [1]) == expected
    ElementTree.parse(results / "junit.xml")
    for name, (ex01, _, _) in ODD_NAMES.items():
        assert _record(results, name)["score"] == ex01
        assert (results / student_folder(name) / "report.html").is_file()


def test_the_name_replaces_scratch_paths_as_a_value():
    scratch = "/tmp/nnlab-submission-x1/submission"
    report = {
        "score": 0.0,
        "submission": f"{scratch}/ex01_tensors.py",
        "checks": [{"message": f'File "{scratch}/ex01_tensors.py" \ud800', "points": 0.0}],
    }
    record = as_student(report, {scratch: JSON_WRITER})
    assert record["score"] == 0.0 and set(record) == set(report)
    assert record["submission"] == f"{JSON_WRITER}/ex01_tensors.py"
    message = record["checks"][0]["message"]
    assert message == f'File "{JSON_WRITER}/ex01_tensors.py" \\ud800'
    json.dumps(record, ensure_ascii=False).encode("utf-8")


def test_running_again_skips_everyone_already_graded(graded_class, submissions):
    out, _ = graded_class
    before = _records(out)
    result = CliRunner().invoke(
        main, ["batch", str(submissions), "--exercises", "1-2", "--out", str(out)]
    )
    assert f"{GRADED} already graded (skipped)" in result.output, result.output
    assert result.exit_code == 1  # two submissions could not be graded
    assert _records(out) == before
    assert gradebook_rows(out / "gradebook.csv") == EXPECTED_ROWS


def test_a_changed_submission_is_graded_again(graded_class, submissions, tmp_path, pristine_stubs):
    out, _ = graded_class
    copy = tmp_path / "one"
    (copy / "ada").mkdir(parents=True)
    for name in ("ex01_tensors.py", "ex02_activations.py"):
        (copy / "ada" / name).write_bytes((submissions / "ada" / name).read_bytes())
    (copy / "ada" / "ex02_activations.py").write_text(
        (pristine_stubs / "ex02_activations.py").read_text("utf-8")
    )
    target = tmp_path / "out"
    target.mkdir()
    (target / "ada").mkdir()
    (target / "ada" / "report.json").write_bytes((out / "ada" / "report.json").read_bytes())
    summary = run_batch(copy, BatchOptions(out=target, exercises=[2]))
    assert (summary.graded, summary.skipped) == (1, 0)
    assert summary.records[0].score == 0


def test_snapshot_is_the_same_from_a_folder_or_a_zip(tmp_path, kit_root):
    folder = tmp_path / "ann"
    folder.mkdir()
    source = (kit_root / "solutions" / "ex01_tensors.py").read_bytes()
    (folder / "ex01_tensors.py").write_bytes(source)
    (folder / "notes.txt").write_text("not an exercise")
    with zipfile.ZipFile(tmp_path / "bob.zip", "w") as archive:
        archive.writestr("bob/exercises/ex01_tensors.py", source)
        archive.writestr("bob/too/deep/ex02_activations.py", "not in a module's place")
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
    for name in ("b", ".git", "gradebook.csv", "c"):
        (tmp_path / name).mkdir()
    for name in ("a.zip", "..zip", "...zip", "._a.zip", "c.zip"):
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "notes.txt").write_text("")
    (tmp_path / "link").symlink_to(tmp_path / "b")
    found = discover(tmp_path)
    assert [s.name for s in found] == [".", "..", "a", "b", "c", "c.zip", "gradebook.csv"]
    assert found[-1].folder != "gradebook.csv"  # the class's own file keeps its name


def test_a_name_that_is_not_utf8_is_shown_with_escapes(tmp_path):
    os.mkdir(os.path.join(os.fsencode(tmp_path), b"Jos\xe9"))
    (found,) = discover(tmp_path)
    assert found.name == "Jos\\xe9" and found.path.is_dir()
    assert student_folder(found.name).encode("utf-8")


def test_any_name_gets_a_folder_of_its_own():
    names = ["", ".", "..", "...", "a/b", "../../etc", "/abs", "a\\b", " alice", "alice "]
    names += ["alice", "Alice", "gradebook.csv", "REPORT.HTML", "a~b", "a_b", "x\x00y"]
    names += ["student-view", "Student-View"]  # the folder of the pages to hand back
    names += ["x\ud800", LONG, LONG + "b", "名" * 200, JSON_WRITER, CONTROL, "<script>", "C:"]
    folders = [student_folder(name) for name in names]
    assert len(set(folders)) == len(names)
    for name, folder in zip(names, folders, strict=True):
        assert folder not in ("", ".", "..") and not folder.startswith("."), name
        assert not set(folder) & set('/\\\x00:"<>|*?') and len(folder.encode()) <= 255, name
        assert folder.lower() not in ("gradebook.csv", "junit.xml", "report.html"), name
        assert folder.lower() != STUDENT_VIEW, name
    plain = ["alice", "Alice", "a_b", "王小明", LONG]
    assert [student_folder(name) for name in plain] == plain


def test_exercise_selections():
    assert parse_exercises("1-3,5") == [1, 2, 3, 5]
    assert parse_exercises("all")[:2] == [1, 2]
    for wrong in ("0", "x", "3-", "99"):
        with pytest.raises(ExerciseSelectionError):
            parse_exercises(wrong)


def test_gradebook_cells_cannot_become_spreadsheet_formulas():
    record = StudentRecord.from_dict(
        {
            "student": "=HYPERLINK(1)",
            "exercises": [],
            "score": 0.0,
            "max_score": 12.0,
            "status": "error",
            "error": "-bad",
        }
    )
    row = next(csv.DictReader(io.StringIO(gradebook_csv([record], [1]), newline="")))
    assert row["student"] == "'=HYPERLINK(1)" and row["message"] == "'-bad"


def test_junit_holds_what_xml_cannot_as_visible_escapes():
    check = {"name": "one_hot", "status": "failed", "points": 0.0, "max_points": 2.0}
    check["message"] = "raised ValueError: \x00\x1b[31m \udc80\nsecond line"
    report = {"exercise": 1, "title": "Tensors", "score": 0.0, "max_score": 2.0}
    record = {"student": "a\x01b", "exercises": [report | {"checks": [check]}], "error": ""}
    suite = ElementTree.fromstring(junit_xml([StudentRecord.from_dict(record)]))[0]
    assert suite.get("name") == "a\\x01b: exercise 1: Tensors"
    failure = suite.find("testcase/failure")
    assert failure.text == "raised ValueError: \\x00\\x1b[31m \\udc80\nsecond line"


def test_a_line_break_in_a_name_cannot_add_a_gradebook_row():
    record = {"student": "x\rmallory,12", "exercises": [], "score": 0.0, "max_score": 12.0}
    record |= {"status": "graded", "error": ""}
    gradebook = gradebook_csv([StudentRecord.from_dict(record)], [1])
    rows = list(csv.reader(io.StringIO(gradebook, newline="")))
    assert len(rows) == 2 and rows[1][0] == "x\rmallory,12"


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
    assert (summary.graded, summary.failed) == (GRADED, 2)
    assert gradebook_rows(target / "gradebook.csv") == EXPECTED_ROWS
    assert _records(target) == _records(out)


def _batch_processes() -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if b"grader.instructor.batch.job" in (entry / "cmdline").read_bytes():
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
    done_before = {
        json.loads(p.read_text("utf-8"))["student"]: p.stat().st_mtime_ns
        for p in out.glob("*/report.json")
    }
    assert 5 <= len(done_before) < len(EXPECTED)
    deadline = time.monotonic() + 10
    while _batch_processes() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _batch_processes() == [], "a grading job outlived the killed batch"

    summary = run_batch(submissions, BatchOptions(out=out, exercises=EXERCISES, jobs=2))
    assert gradebook_rows(out / "gradebook.csv") == EXPECTED_ROWS
    graded_before = {s for s in done_before if EXPECTED[s][2] == "graded"}
    assert summary.skipped == len(graded_before)
    for student in graded_before:
        path = out / student_folder(student) / "report.json"
        assert path.stat().st_mtime_ns == done_before[student]


def test_batch_refuses_an_unknown_exercise_selection(tmp_path):
    result = CliRunner().invoke(main, ["batch", str(tmp_path), "--exercises", "1-99"])
    assert result.exit_code == 2
    assert "do not exist; there are" in result.output


def test_a_secret_seed_is_recorded_and_another_seed_grades_again(tmp_path, kit_root):
    """The class's records keep the seed's fingerprint (never the seed); resuming under
    the same seed skips, under another seed grades again."""
    submissions = tmp_path / "class"
    (submissions / "ada").mkdir(parents=True)
    shutil.copy(kit_root / "solutions" / "ex02_activations.py", submissions / "ada")
    out = tmp_path / "out"
    first = run_batch(submissions, BatchOptions(out=out, exercises=[2], seed="term one"))
    assert (first.graded, first.records[0].score) == (1, 14)
    saved = (out / "ada" / "report.json").read_text("utf-8")
    assert "term one" not in saved
    assert json.loads(saved)["exercises"][0]["seed"].startswith("sha256:")
    again = run_batch(submissions, BatchOptions(out=out, exercises=[2], seed="term one"))
    assert (again.graded, again.skipped) == (0, 1)
    other = run_batch(submissions, BatchOptions(out=out, exercises=[2], seed="term two"))
    assert (other.graded, other.skipped) == (1, 0)


def _refusal(submission: Path) -> str:
    """The message read_submission refuses `submission` with."""
    with pytest.raises(UnreadableSubmission) as refused:
        read_submission(Submission(submission.name, submission))
    return str(refused.value)


def test_only_regular_files_are_read_from_a_folder(tmp_path):
    """A module that is a link (to /dev/zero), a device or a folder is refused with a plain
    message, without being read (the FIFO is in test_redteam_batch_walk, behind a watchdog)."""
    for name in ("link", "device", "folder"):
        (tmp_path / name).mkdir()
    os.symlink("/dev/zero", tmp_path / "link" / EX02)
    os.mknod(tmp_path / "device" / EX02, stat.S_IFCHR | 0o644, os.makedev(1, 5))
    (tmp_path / "folder" / EX02).mkdir()
    assert _refusal(tmp_path / "link") == (
        f"{EX02} is a symbolic link: links are not graded, submit the file itself"
    )
    assert _refusal(tmp_path / "device") == f"{EX02} is a device, not a file: submit the file"
    assert _refusal(tmp_path / "folder") == f"{EX02} is a folder, not a file: submit the file"


def test_the_walk_looks_only_where_a_module_may_be(tmp_path, kit_root):
    """The top, a folder in it, that folder's exercises/: the shallowest wins; deeper
    folders (here a chain deeper than Python's recursion limit), hidden folders and
    linked folders are never looked into."""
    root = tmp_path / "ann"
    (root / "repo-main" / "exercises").mkdir(parents=True)
    (root / "repo-main" / "exercises" / EX01).write_bytes(b"# ex01 in a repository\n")
    (root / "exercises").mkdir()
    (root / "exercises" / EX02).write_bytes(b"# ex02 in exercises\n")
    (root / "repo-main" / EX02).write_bytes(b"# ex02, a second copy as deep\n")
    (root / ".git").mkdir()
    (root / ".git" / "ex03_softmax_losses.py").write_bytes(b"# hidden\n")
    os.symlink(kit_root / "solutions", root / "linked")
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    for _ in range(1_200):  # Path.mkdir(parents=True) recurses once per level
        os.mkdir("d", dir_fd=fd)
        fd, above = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd), fd
        os.close(above)
    os.close(os.open("ex04_dense.py", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd))
    os.close(fd)
    try:
        files = read_submission(Submission("ann", root))
    finally:
        subprocess.run(["rm", "-rf", "--", str(root / "d")], check=True)  # rmtree recurses
    assert files == {
        EX01: b"# ex01 in a repository\n",
        EX02: b"# ex02 in exercises\n",  # "exercises" sorts before "repo-main"
    }


def test_a_folder_or_zip_with_too_many_entries_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(grader.instructor.batch.submissions, "MAX_ENTRIES", 10)
    (tmp_path / "many" / "exercises").mkdir(parents=True)
    for number in range(10):
        (tmp_path / "many" / "exercises" / f"notes{number}.txt").write_text("")
    assert "more than 10 files and folders" in _refusal(tmp_path / "many")
    with zipfile.ZipFile(tmp_path / "many.zip", "w") as archive:
        for number in range(11):
            archive.writestr(f"notes{number}.txt", "")
    assert "more than 10 files and folders" in _refusal(tmp_path / "many.zip")


def test_a_zip_table_of_contents_is_measured_before_it_is_parsed(tmp_path, monkeypatch):
    """zipfile keeps ~600 bytes per member of the table of contents it parses whole: a
    65 MB zip of empty members cost the batch 465 MB. Its size is checked first."""
    monkeypatch.setattr(grader.instructor.batch.submissions, "MAX_ZIP_DIRECTORY_BYTES", 1_000)
    parsed = []
    monkeypatch.setattr(zipfile.ZipFile, "_RealGetContents", lambda self: parsed.append(self))
    with zipfile.ZipFile(tmp_path / "wide.zip", "w") as archive:
        for number in range(30):  # 30 entries of 46 + 12 bytes
            archive.writestr(f"note{number:04d}.txt", "")
    assert "more than" in _refusal(tmp_path / "wide.zip")
    assert parsed == []


def test_zip_members_that_leave_the_archive_or_are_links_are_refused(tmp_path, kit_root):
    source = (kit_root / "solutions" / EX02).read_bytes()
    for number, outside in enumerate(("../x.py", "a/../../x.py", "/etc/x.py", "C:/x.py", "\\x.py")):
        path = tmp_path / f"escape{number}.zip"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr(EX02, source)
            archive.writestr(outside, "")
        assert "a path outside the archive" in _refusal(path), outside

    def link(name: str) -> zipfile.ZipInfo:
        member = zipfile.ZipInfo(name)
        member.create_system, member.external_attr = 3, (stat.S_IFLNK | 0o777) << 16
        return member

    with zipfile.ZipFile(tmp_path / "link.zip", "w") as archive:
        archive.writestr(link(f"exercises/{EX02}"), "/etc/passwd")
    assert _refusal(tmp_path / "link.zip") == (
        f"exercises/{EX02} in link.zip is a symbolic link: links are not graded, "
        f"submit the file itself"
    )
    # A link where no module is taken from is never read, as in a folder.
    with zipfile.ZipFile(tmp_path / "elsewhere.zip", "w") as archive:
        archive.writestr(EX02, source)
        archive.writestr(link("docs/README.md"), "../README.md")
    assert read_submission(Submission("e", tmp_path / "elsewhere.zip")) == {EX02: source}


def test_a_zip_member_is_streamed_never_inflated_whole(tmp_path, monkeypatch):
    """A member declaring more than the cap is refused unread; one whose table of contents
    lies is inflated at most the cap at a time and refused by its checksum; bzip2 and
    LZMA (which zipfile inflates a whole read at a time) are refused."""
    asked = []
    read = zipfile.ZipExtFile.read
    monkeypatch.setattr(
        zipfile.ZipExtFile, "read", lambda self, n=-1: asked.append(n) or read(self, n)
    )
    zeros = bytes(4 << 20)
    with zipfile.ZipFile(tmp_path / "big.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(EX02, zeros)
    assert _refusal(tmp_path / "big.zip") == (
        f"{EX02} is 4,194,304 bytes; an exercise module may be at most 1,048,576"
    )
    assert asked == []
    with zipfile.ZipFile(tmp_path / "lies.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(EX02, zeros)
        archive.filelist[-1].file_size = 1_000
    assert "cannot be read: the zip is damaged (Bad CRC-32" in _refusal(tmp_path / "lies.zip")
    assert asked and all(0 <= n <= MAX_MODULE_BYTES for n in asked), asked
    with zipfile.ZipFile(tmp_path / "bz.zip", "w", zipfile.ZIP_BZIP2) as archive:
        archive.writestr(EX02, b"x = 1\n")
    assert f"{EX02} in bz.zip is compressed with method 12" in _refusal(tmp_path / "bz.zip")


def test_a_student_whose_reading_fails_unexpectedly_gets_a_row(tmp_path, monkeypatch):
    def broken(submission):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(grader.instructor.batch.run, "read_submission", broken)
    (tmp_path / "class" / "ann").mkdir(parents=True)
    summary = run_batch(tmp_path / "class", BatchOptions(out=tmp_path / "out", exercises=[2]))
    (record,) = summary.records
    assert record.status == "error" and record.score == 0
    assert record.error == (
        "unreadable submission: RecursionError('maximum recursion depth exceeded')"
    )


class _Stop(Exception):
    pass


def test_the_job_unpacks_a_submission_into_a_private_folder(tmp_path, monkeypatch, kit_root):
    """run_job's scratch folder is made by mkdtemp: mode 0700, owned by the grader, a new
    unpredictable name each time, removed afterwards (a daemon left by one student once
    rewrote the next one's modules at a predictable /tmp path)."""
    seen = []

    def capture(number, submission, options):
        info = os.stat(submission.parent)
        seen.append((submission, info, {p.name: p.read_bytes() for p in submission.iterdir()}))
        raise _Stop

    monkeypatch.setattr(grader.engine.grade, "grade", capture)
    source = (kit_root / "solutions" / EX02).read_bytes()
    request = {"student": "ann", "files": {EX02: base64.b64encode(source).decode()}}
    for _ in range(2):
        with pytest.raises(_Stop):
            run_job(request | {"exercises": [2]}, tmp_path / "result.json")
    (first, info, files), (second, _, _) = seen
    assert stat.S_IMODE(info.st_mode) == 0o700 and info.st_uid == os.geteuid()
    assert first.parent.name.startswith("nnlab-submission-") and first.parent != second.parent
    assert files == {EX02: source}
    assert not first.parent.exists() and not second.parent.exists()
