"""Ctrl-C during `grade exercise` (the real command): never a pass, never a record.

As `grade batch` does, an interrupted grading prints "interrupted" and exits
with 130; it records no progress, writes no report file, and its worker is
killed. The submission's function sleeps, giving itself a process name when
its module is imported and another when it is called: SIGINT is sent once a
check is waiting on it, and no process of either name may be left afterwards.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
from grade_cli import GRADE, KIT_ROOT, grade_env
from scene import live_processes_named
from terminal import Terminal

START_TIMEOUT_S = 180  # TensorFlow's import and the worker's start, on a busy machine
STOP_TIMEOUT_S = 60

SLEEPER = """
import ctypes
import time

import numpy as np


def _name(text):
    ctypes.CDLL(None).prctl(15, text.encode(), 0, 0, 0)  # PR_SET_NAME


_name("__IMPORTED__")


def one_hot(labels, num_classes=None):
    _name("__CALLED__")
    while True:
        time.sleep(0.05)


def scale_pixels(images):
    return images.astype(np.float32) / 255
"""

EARLIER_PROGRESS = {
    "format_version": 1,
    "exercises": {
        "2": {"best_score": 14.0, "max_score": 14.0, "passed": True, "hints_revealed": 1}
    },
}


class Sleeper:
    """A learner's folder whose exercise 1 sleeps in `one_hot`, with progress from before."""

    def __init__(self, folder: Path):
        token = secrets.token_hex(5)
        self.imported, self.called = f"nni{token}", f"nnc{token}"
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        source = SLEEPER.replace("__IMPORTED__", self.imported)
        (folder / "ex01_tensors.py").write_text(source.replace("__CALLED__", self.called))
        self.progress = folder / ".nnlab-progress.json"
        self.progress.write_text(json.dumps(EARLIER_PROGRESS, indent=2) + "\n")
        self.before = self.progress.read_bytes()

    def wait_until_called(self, process: subprocess.Popen | None = None) -> None:
        """Block until a check waits on the sleeping call (fails if `process` ends first)."""
        deadline = time.monotonic() + START_TIMEOUT_S
        while not live_processes_named(self.called):
            assert process is None or process.poll() is None, "grade ended before the call"
            assert time.monotonic() < deadline, "the check never called one_hot"
            time.sleep(0.1)

    def assert_nothing_left(self) -> None:
        """No worker of this submission alive, the progress file untouched."""
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while live_processes_named(self.imported) + live_processes_named(self.called):
            assert time.monotonic() < deadline, "the worker outlived the interrupted grading"
            time.sleep(0.2)
        assert self.progress.read_bytes() == self.before, "the interrupted grading was recorded"


def interrupt_when(command: list[str], cwd: Path, ready) -> tuple[int, str]:
    """Run `grade command` in `cwd`, SIGINT it once `ready(process)` returns: (exit code,
    output)."""
    process = subprocess.Popen(
        [str(GRADE), *command],
        cwd=cwd,
        env=grade_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        ready(process)
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=STOP_TIMEOUT_S)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return process.returncode, output


def interrupt(command: list[str], sleeper: Sleeper) -> tuple[int, str]:
    """Run `grade command` in the sleeper's folder, SIGINT it mid-check: (exit code, output)."""
    return interrupt_when(command, sleeper.folder, sleeper.wait_until_called)


def assert_interrupted(code: int, output: str) -> None:
    assert code == 130, output
    assert "interrupted" in output and "Traceback" not in output, output
    assert "Score:" not in output and '"score"' not in output, output


def test_ctrl_c_in_a_learners_folder_records_nothing(tmp_path):
    sleeper = Sleeper(tmp_path / "learner")
    code, output = interrupt(["exercise", "1"], sleeper)
    assert_interrupted(code, output)
    sleeper.assert_nothing_left()


def test_ctrl_c_writes_no_report_file(tmp_path):
    sleeper = Sleeper(tmp_path / "learner")
    report = tmp_path / "ci" / "results.json"
    command = ["exercise", "1", "--submission", ".", "--format", "gradescope"]
    code, output = interrupt([*command, "--output", str(report)], sleeper)
    assert_interrupted(code, output)
    assert not report.exists()
    sleeper.assert_nothing_left()


def test_ctrl_c_in_a_capstones_first_epoch_is_not_a_pass(tmp_path):
    """The issue's case: `grade exercise 15 --submission solutions`, Ctrl-C in epoch 1.

    Without a terminal the capstone prints a line per epoch: SIGINT follows the first.
    """
    command = ["exercise", "15", "--submission", str(KIT_ROOT / "solutions")]
    command += ["--report-dir", str(tmp_path / "plots")]
    process = subprocess.Popen(
        [str(GRADE), *command],
        cwd=tmp_path,
        env=grade_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    first_epoch = threading.Event()

    def read() -> None:
        for line in process.stdout:
            output.append(line)
            if line.startswith("epoch 1/"):
                first_epoch.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not first_epoch.wait(0.5):
            assert process.poll() is None, "".join(output)
            assert time.monotonic() < deadline, "no epoch line:\n" + "".join(output)
        process.send_signal(signal.SIGINT)
        process.wait(timeout=STOP_TIMEOUT_S)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        reader.join(timeout=STOP_TIMEOUT_S)
    assert_interrupted(process.returncode, "".join(output))
    assert not (tmp_path / "plots").exists(), "an interrupted training writes no plots"


def test_ctrl_c_in_a_real_terminal(tmp_path):
    assert shutil.which("tmux"), "the terminal test needs tmux (apt-get install tmux)"
    sleeper = Sleeper(tmp_path / "learner")
    # The tmux server's environment may predate this test's: pass the wall along.
    wall = grade_env().get("NNLAB_ISOLATION", "auto")
    command = ["env", f"NNLAB_ISOLATION={wall}", str(GRADE), "exercise", "1"]
    name = f"nnlab-interrupt-{os.getpid()}"
    terminal = Terminal(name, sleeper.folder, command, tmp_path / "terminal.log")
    try:
        sleeper.wait_until_called()
        terminal.press("C-c")
        screen = terminal.wait_for("WATCH-EXITED=130")
        assert "interrupted" in screen and "Traceback" not in screen, screen
        assert "Score:" not in screen, screen
    finally:
        terminal.close()
    sleeper.assert_nothing_left()


def _grading_started(process: subprocess.Popen) -> None:
    """Block until `process` runs a second thread (TensorFlow's import: grading has begun)."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while len(os.listdir(f"/proc/{process.pid}/task")) < 2:
        assert process.poll() is None, process.communicate()[0]
        assert time.monotonic() < deadline, "the command never started grading"
        time.sleep(0.05)


def test_ctrl_c_ends_every_command_alike(tmp_path):
    """Not only `grade exercise`: `grade selfcheck` too says "interrupted" and exits 130
    (Click alone would print "Aborted!" and exit 1)."""
    code, output = interrupt_when(["selfcheck", "1"], tmp_path, _grading_started)
    assert code == 130, output
    assert "interrupted" in output and "Traceback" not in output and "Aborted" not in output


def test_ctrl_c_while_tensorflow_is_imported_still_says_interrupted(tmp_path):
    # TensorFlow's import points file descriptor 2 at /dev/null for a few seconds;
    # the spinner, the cursor it hid and the "interrupted" line must still reach the screen.
    assert shutil.which("tmux"), "the terminal test needs tmux (apt-get install tmux)"
    wall = grade_env().get("NNLAB_ISOLATION", "auto")
    command = ["env", f"NNLAB_ISOLATION={wall}", str(GRADE), "exercise", "1"]
    command += ["--submission", str(KIT_ROOT / "solutions")]
    name = f"nnlab-interrupt-import-{os.getpid()}"
    log = tmp_path / "terminal.log"
    terminal = Terminal(name, tmp_path, command, log)
    try:
        _wait_until_stderr_is_silenced("exercise")
        terminal.press("C-c")
        screen = terminal.wait_for("WATCH-EXITED=130")
        assert "interrupted" in screen and "Traceback" not in screen, screen
        raw = log.read_text("utf-8", errors="replace")
        hidden, shown = raw.rfind("\x1b[?25l"), raw.rfind("\x1b[?25h")
        assert shown > hidden, "the cursor the spinner hid is shown again"
    finally:
        terminal.close()


def _wait_until_stderr_is_silenced(argument: str) -> None:
    """Block until a `grade ... argument ...` process has pointed its file descriptor 2 at
    /dev/null: TensorFlow's import is under way (grader.engine.oracles)."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        for process in Path("/proc").glob("[0-9]*"):
            try:
                command = (process / "cmdline").read_bytes().split(b"\0")
                is_grade = any(part.endswith(b"grade") for part in command)
                ours = is_grade and argument.encode() in command
                if ours and os.readlink(process / "fd" / "2") == os.devnull:
                    return
            except OSError:
                continue
        time.sleep(0.02)
    pytest.fail("no grade process ever silenced its stderr (TensorFlow's import)")
