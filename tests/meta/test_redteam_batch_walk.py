"""Red team, the batch's walk over a class: one hostile submission costs only its own row.

Before the batch walked submissions defensively, a folder chain 1,200 levels deep
killed `grade batch` with RecursionError before anyone was graded, a FIFO in a
module's place hung it forever, `/dev/zero` there grew it to MemoryError, and a
2 MB zip bomb spiked it to 2 GB (`archive.read` inflates everything before cutting).
Here each case runs the real `grade batch` on exercise 2 with the hostile student
beside an honest one: the honest student gets full marks, the hostile one 0 and a
plain message, every class file is written, the exit code is the README's, and
the batch's peak memory (wait4) stays near what grading the honest student costs.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import pytest
from batch_class import gradebook_rows
from grade_cli import KIT_ROOT
from html_page import Page
from peak import run_measured

from grader.course.registry import get_exercise
from grader.instructor.batch.export import student_folder

EX02 = get_exercise(2).filename
HONEST = "honest"
HOSTILE = "hostile"
DEPTH = 1_200  # pathlib's recursive glob used one Python frame per level (the limit is 1,000)
BOMB_BYTES = 2 << 30  # what the bomb's module inflates to
# The batch may cost at most this much more memory than grading the honest student
# alone does (that figure is mostly the job process's, which wait4 includes).
EXTRA_PEAK_BYTES = 200 << 20
# The batch process's own peak when no job runs (Python, the grader, the walk).
OWN_PEAK_BYTES = 256 << 20
BATCH_TIMEOUT_S = 600
SUMMARY = re.compile(r"(\d+) students: (\d+) graded, (\d+) already graded \(skipped\), (\d+) could")


@dataclass(frozen=True)
class Run:
    """A finished `grade batch`: exit code, output (stdout and stderr), its peak RSS in bytes."""

    code: int
    output: str
    peak: int

    def counts(self) -> tuple[int, int, int, int]:
        """(students, graded, skipped, could not be graded) from the summary line."""
        found = SUMMARY.search(self.output)
        assert found, self.output[-3000:]
        return tuple(int(n) for n in found.groups())


def grade_batch(submissions: Path, out: Path) -> Run:
    """Run `grade batch SUBMISSIONS --exercises 2 --jobs 2` behind bwrap and measure the
    batch process's peak memory (it includes the job processes it waited for; tests/peak.py);
    a batch still running after BATCH_TIMEOUT_S is killed (exit -9)."""
    command = [sys.executable, "-m", "grader.cli", "batch", str(submissions)]
    command += ["--exercises", "2", "--jobs", "2", "--out", str(out)]
    env = os.environ | {"NNLAB_ISOLATION": "bwrap", "COLUMNS": "200"}
    with tempfile.TemporaryFile() as output:
        code, peak = run_measured(command, env, output, subprocess.STDOUT, BATCH_TIMEOUT_S)
        output.seek(0)
        text = output.read().decode("utf-8", "replace")
    return Run(code, text, peak)


def _honest(submissions: Path) -> None:
    (submissions / HONEST).mkdir()
    shutil.copy(KIT_ROOT / "solutions" / EX02, submissions / HONEST / EX02)


# Each builder writes one hostile student named `name` into the submissions folder.


def _deep_chain(submissions: Path, name: str, bomb: Path) -> None:
    """A chain of DEPTH folders with the module at the bottom (nothing there is graded)."""
    fd = os.open(submissions, os.O_RDONLY | os.O_DIRECTORY)
    for step in [name] + ["d"] * DEPTH:
        os.mkdir(step, dir_fd=fd)
        below = os.open(step, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
        os.close(fd)
        fd = below
    module = os.open(EX02, os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
    os.write(module, (KIT_ROOT / "solutions" / EX02).read_bytes())
    os.close(module)
    os.close(fd)


def _fifo(submissions: Path, name: str, bomb: Path) -> None:
    (submissions / name).mkdir()
    os.mkfifo(submissions / name / EX02)


def _link_to_dev_zero(submissions: Path, name: str, bomb: Path) -> None:
    (submissions / name).mkdir()
    os.symlink("/dev/zero", submissions / name / EX02)


def _device(submissions: Path, name: str, bomb: Path) -> None:
    """A character device node of /dev/zero's numbers in the module's place (root only)."""
    (submissions / name).mkdir()
    os.mknod(submissions / name / EX02, stat.S_IFCHR | 0o644, os.makedev(1, 5))


def _zip_bomb(submissions: Path, name: str, bomb: Path) -> None:
    shutil.copy(bomb, submissions / f"{name}.zip")


def _zip_escape(submissions: Path, name: str, bomb: Path) -> None:
    """The right module, and a member that would land two folders above where it is unpacked."""
    with zipfile.ZipFile(submissions / f"{name}.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(KIT_ROOT / "solutions" / EX02, f"exercises/{EX02}")
        archive.writestr("../../escape.py", "print('outside the archive')\n")


def _zip_link(submissions: Path, name: str, bomb: Path) -> None:
    """The module's member is a symbolic link (to the honest student's module)."""
    member = zipfile.ZipInfo(EX02)
    member.create_system = 3  # Unix: the high 16 bits of external_attr are st_mode
    member.external_attr = (stat.S_IFLNK | 0o777) << 16
    with zipfile.ZipFile(submissions / f"{name}.zip", "w") as archive:
        archive.writestr(member, f"../{HONEST}/{EX02}")


@dataclass(frozen=True)
class Case:
    """A hostile student: how to build it, and the phrase its row's message must hold
    ("unreadable submission: ..."), or, for one that is graded, its report's notice."""

    build: Callable[[Path, str, Path], None]
    message: str
    refused: bool = True


CASES = {
    "deep_chain": Case(_deep_chain, "was not found", refused=False),
    "fifo": Case(_fifo, f"{EX02} is a named pipe (FIFO), not a file"),
    "link_to_dev_zero": Case(_link_to_dev_zero, f"{EX02} is a symbolic link"),
    "device": Case(_device, f"{EX02} is a device, not a file"),
    "zip_bomb": Case(_zip_bomb, f"{EX02} in {HOSTILE}.zip cannot be read: the zip is damaged"),
    "zip_escape": Case(_zip_escape, "holds ../../escape.py, a path outside the archive"),
    "zip_link": Case(_zip_link, f"{EX02} in {HOSTILE}.zip is a symbolic link"),
}


@pytest.fixture(scope="module")
def bomb(tmp_path_factory) -> Path:
    """A ~2 MB zip whose module inflates to BOMB_BYTES of zeros while its table of contents
    says 1,000 bytes (so a size check alone lets it through), written in 1 MiB chunks."""
    path = tmp_path_factory.mktemp("bomb") / "bomb.zip"
    zeros = bytes(1 << 20)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open(EX02, "w", force_zip64=True) as member:
            for _ in range(BOMB_BYTES // len(zeros)):
                member.write(zeros)
        archive.filelist[-1].file_size = 1_000
    assert path.stat().st_size < 4 << 20
    return path


@pytest.fixture(scope="module")
def honest_alone(tmp_path_factory) -> tuple[Path, Run]:
    """The honest student graded alone: (results folder, run); its peak is the baseline."""
    root = tmp_path_factory.mktemp("honest-alone")
    (root / "submissions").mkdir()
    _honest(root / "submissions")
    run = grade_batch(root / "submissions", root / "results")
    assert run.code == 0 and run.counts() == (1, 1, 0, 0), run.output[-3000:]
    assert _record(root / "results", HONEST)["score"] == 14
    return root / "results", run


def _record(results: Path, name: str) -> dict:
    return json.loads((results / student_folder(name) / "report.json").read_text("utf-8"))


def _remove(path: Path) -> None:
    # rm walks iteratively; shutil.rmtree (and pytest's cleanup) recurse once per level.
    subprocess.run(["rm", "-rf", "--", str(path)], check=True)


def _assert_class_files(results: Path, students: dict[str, tuple[float, str]]) -> None:
    """gradebook.csv, junit.xml and report.html hold exactly `students` (name -> score, status)."""
    assert gradebook_rows(results / "gradebook.csv", [2]) == students
    suites = [s.get("name") for s in ElementTree.parse(results / "junit.xml").getroot()]
    for name, (_, status) in students.items():
        suffix = "grading" if status == "error" else "exercise 2"
        assert any(s.startswith(f"{name}: {suffix}") for s in suites), (name, suites)
    page = Page((results / "report.html").read_text("utf-8"))
    for name in students:
        page.one("tr", data_student=name)
    for path in results.rglob("*.json"):
        assert "Traceback" not in path.read_text("utf-8"), path


@pytest.mark.parametrize("case", CASES)
def test_a_hostile_submission_costs_only_its_own_row(case, tmp_path, bomb, honest_alone):
    _, baseline = honest_alone
    submissions, results = tmp_path / "submissions", tmp_path / "results"
    submissions.mkdir()
    _honest(submissions)
    CASES[case].build(submissions, HOSTILE, bomb)
    try:
        run = grade_batch(submissions, results)
    finally:
        _remove(submissions)
    refused = CASES[case].refused
    assert run.code == (1 if refused else 0), f"exit {run.code}: {run.output[-3000:]}"
    assert "Traceback" not in run.output, run.output[-3000:]
    assert run.counts() == ((2, 1, 0, 1) if refused else (2, 2, 0, 0))
    _assert_class_files(
        results, {HONEST: (14.0, "graded"), HOSTILE: (0.0, "error" if refused else "graded")}
    )
    assert _record(results, HONEST)["score"] == 14
    hostile = _record(results, HOSTILE)
    assert hostile["score"] == 0
    if refused:
        assert hostile["error"].startswith("unreadable submission: "), hostile["error"]
        assert CASES[case].message in hostile["error"], hostile["error"]
    else:
        assert CASES[case].message in hostile["exercises"][0]["notice"], hostile
    assert run.peak < baseline.peak + EXTRA_PEAK_BYTES, f"batch peak {run.peak >> 20} MiB"
    print(f"{case}: batch peak {run.peak >> 20} MiB (honest alone: {baseline.peak >> 20} MiB)")


def test_the_batch_process_itself_stays_small(tmp_path, bomb, honest_alone):
    """Every refused case in one class beside the honest student, whose record is reused
    (no job process runs, so wait4 measures the batch process alone)."""
    graded, _ = honest_alone
    submissions, results = tmp_path / "submissions", tmp_path / "results"
    submissions.mkdir()
    _honest(submissions)
    shutil.copytree(graded / HONEST, results / HONEST)
    refused = {name: case for name, case in CASES.items() if case.refused}
    for name, case in refused.items():
        case.build(submissions, name, bomb)
    try:
        run = grade_batch(submissions, results)
    finally:
        _remove(submissions)
    assert run.code == 1 and "Traceback" not in run.output, run.output[-3000:]
    assert run.counts() == (len(refused) + 1, 0, 1, len(refused))
    expected = {HONEST: (14.0, "graded")} | {name: (0.0, "error") for name in refused}
    _assert_class_files(results, expected)
    for name in refused:
        assert _record(results, name)["error"].startswith("unreadable submission: ")
    assert run.peak < OWN_PEAK_BYTES, f"batch peak {run.peak >> 20} MiB"
    print(f"the batch process alone: peak {run.peak >> 20} MiB")
