"""Red team, the grading itself: submissions are regular files, hidden checks run apart.

- A symbolic link to the reference (the module, the `exercises/` folder, a
  capstone's exercise modules, Gradescope's layout) earns nothing and leaks nothing.
- A FIFO or a device in a module's place is refused at once, plainly.
- Hidden checks get a worker of their own, so no hidden input reaches a visible
  message; an instructor's secret seed changes every hidden check's inputs, and
  only hidden ones.
- A function whose answer changes for the same input is reported as the
  learner's non-determinism, not as the grader's internal error.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from scene import KIT_ROOT, REDTEAM

from grader.course.registry import get_exercise
from grader.engine import runner
from grader.engine.runner import GradingOptions, grade_exercise
from grader.engine.submission import LAST_LAYER_EXERCISE

SOLUTIONS = KIT_ROOT / "solutions"
WALLS = ("bwrap", "rlimits")


def _messages(report) -> str:
    return "\n".join([report.notice, *(c.message for c in report.checks)])


def _no_reference_text(report, *numbers: int) -> None:
    """No line of the references' fenced answers appears in the report's messages."""
    text = _messages(report)
    for number in numbers:
        source = (SOLUTIONS / get_exercise(number).filename).read_text("utf-8")
        assert "BEGIN SOLUTION" not in text
        body = re.findall(r"# BEGIN SOLUTION\n(.*?)# END SOLUTION", source, re.S)
        for line in {line.strip() for block in body for line in block.splitlines()}:
            if len(line) > 30:
                assert line not in text, f"the report carries the reference's line {line!r}"


@pytest.mark.parametrize("wall", WALLS)
def test_a_link_to_the_reference_earns_nothing(tmp_path, monkeypatch, wall):
    monkeypatch.setenv("NNLAB_ISOLATION", wall)
    record = get_exercise(2)
    (tmp_path / record.filename).symlink_to(SOLUTIONS / record.filename)
    report = grade_exercise(2, tmp_path)
    assert report.score == 0
    assert "symbolic link" in report.notice
    _no_reference_text(report, 2)


def test_a_linked_exercises_folder_earns_nothing(tmp_path):
    (tmp_path / "exercises").symlink_to(SOLUTIONS, target_is_directory=True)
    report = grade_exercise(2, tmp_path)
    assert report.score == 0
    assert "symbolic link" in report.notice


def test_links_among_a_capstones_exercise_modules_are_refused(tmp_path):
    capstone = get_exercise(12)
    shutil.copy(SOLUTIONS / capstone.filename, tmp_path / capstone.filename)
    for number in range(1, LAST_LAYER_EXERCISE + 1):
        name = get_exercise(number).filename
        if number in (5, 7):
            (tmp_path / name).symlink_to(SOLUTIONS / name)
        else:
            shutil.copy(SOLUTIONS / name, tmp_path / name)
    report = grade_exercise(12, tmp_path)
    assert report.score == 0
    assert "symbolic link" in report.notice
    _no_reference_text(report, 5, 7)


def test_a_fifo_or_a_device_in_a_modules_place_is_refused_at_once(tmp_path):
    record = get_exercise(2)
    fifo = tmp_path / "fifo"
    fifo.mkdir()
    os.mkfifo(fifo / record.filename)
    report = grade_exercise(2, fifo)  # would block forever if the FIFO were read
    assert report.score == 0 and "named pipe" in report.notice
    device = tmp_path / "device"
    device.mkdir()
    (device / record.filename).symlink_to("/dev/zero")
    report = grade_exercise(2, device)
    assert report.score == 0 and "symbolic link" in report.notice


def test_a_folder_or_an_oversized_file_in_a_modules_place_is_refused(tmp_path):
    record = get_exercise(2)
    (tmp_path / "dir" / record.filename).mkdir(parents=True)
    report = grade_exercise(2, tmp_path / "dir")
    assert report.score == 0 and "a folder" in report.notice
    (tmp_path / "big").mkdir()
    (tmp_path / "big" / record.filename).write_bytes(b"#" * (2**20 + 1))
    report = grade_exercise(2, tmp_path / "big")
    assert report.score == 0 and "larger than" in report.notice


def test_gradescope_layout_with_a_link_to_the_reference_earns_nothing(tmp_path):
    root = tmp_path / "autograder"
    (root / "source" / "solutions").mkdir(parents=True)
    record = get_exercise(2)
    reference = root / "source" / "solutions" / record.filename
    shutil.copy(SOLUTIONS / record.filename, reference)
    (root / "submission").mkdir()
    (root / "submission" / record.filename).symlink_to(reference)
    env = dict(os.environ, NNLAB_AUTOGRADER_ROOT=str(root))
    done = subprocess.run(
        [sys.executable, "-m", "grader.cli", "exercise", "2", "--format", "gradescope"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert "Traceback" not in done.stderr, done.stderr
    results = json.loads((root / "results" / "results.json").read_text("utf-8"))
    assert results["score"] == 0
    assert "symbolic link" in json.dumps(results)


def _tokens(report, hidden: bool) -> set[str]:
    found = set()
    for check in report.checks:
        if check.visible != hidden:
            found.update(re.findall(r"worker (\w+) digest", check.message))
    return found


def _digests(report) -> dict[str, str]:
    return {
        c.name: re.search(r"digest (\w+) calls", c.message).group(1)
        for c in report.checks
        if "digest" in c.message
    }


def _submit(tmp_path: Path, module: str, exercise: int) -> Path:
    folder = tmp_path / module
    folder.mkdir(exist_ok=True)
    shutil.copy(REDTEAM / f"{module}.py", folder / get_exercise(exercise).filename)
    return folder


@pytest.mark.parametrize("wall", WALLS)
def test_hidden_checks_inputs_never_reach_a_visible_message(tmp_path, monkeypatch, wall):
    monkeypatch.setenv("NNLAB_ISOLATION", wall)
    report = grade_exercise(2, _submit(tmp_path, "smuggles_hidden_inputs", 2))
    visible, hidden = _tokens(report, hidden=False), _tokens(report, hidden=True)
    assert visible and hidden, _messages(report)
    assert not visible & hidden, "a hidden check and a visible one shared a worker"


def test_a_secret_seed_changes_hidden_inputs_only(tmp_path, monkeypatch):
    folder = _submit(tmp_path, "smuggles_hidden_inputs", 2)
    monkeypatch.delenv("NNLAB_SEED", raising=False)
    plain = grade_exercise(2, folder)
    spring = grade_exercise(2, folder, GradingOptions(seed="spring 2027"))
    again = grade_exercise(2, folder, GradingOptions(seed="spring 2027"))
    monkeypatch.setenv("NNLAB_SEED", "autumn 2027")
    autumn = grade_exercise(2, folder)
    hidden = {c.name for c in plain.checks if not c.visible and "digest" in c.message}
    generated = hidden & {"tanh_backward_matches_gradient_tape"}
    assert generated, "exercise 2 should have a hidden check with generated inputs"
    for report in (spring, again, autumn):
        for name, digest in _digests(report).items():
            if name not in hidden:
                assert digest == _digests(plain)[name], f"the seed changed visible {name}"
    for name in generated:
        assert _digests(spring)[name] == _digests(again)[name], "one seed, one set of inputs"
        assert len({_digests(r)[name] for r in (plain, spring, autumn)}) == 3
    assert plain.seed == ""
    assert spring.seed.startswith("sha256:") and "spring" not in json.dumps(spring.to_dict())
    assert autumn.seed not in ("", spring.seed)


def test_an_answer_that_changes_on_replay_is_the_learners_non_determinism(tmp_path):
    source = (SOLUTIONS / get_exercise(2).filename).read_text("utf-8")
    flaky = (
        source
        + "\n\n_CALLS = [0]\n_relu = relu\n\n\ndef relu(x):\n"
        + "    _CALLS[0] += 1\n"
        + "    return _relu(x) + (1.0 if _CALLS[0] % 3 == 0 else 0.0)\n"
    )
    (tmp_path / get_exercise(2).filename).write_text(flaky, "utf-8")
    report = grade_exercise(2, tmp_path)
    relu_checks = [c for c in report.checks if "relu_matches" in c.name]
    assert relu_checks and relu_checks[0].points == 0
    assert "internal error" not in _messages(report)
    assert "different result when the same input was tried again" in relu_checks[0].message


def test_the_exercise_time_limit_holds_during_a_check(tmp_path, monkeypatch):
    """Calls that sleep just under the call timeout and answer wrong: each check stops
    at its share of the exercise's time, and the exercise at its limit, mid-check."""
    limit, sleep = 16.0, 2.5
    record = dataclasses.replace(get_exercise(2), time_limit_s=limit, call_timeout_s=3.0)
    monkeypatch.setattr(runner, "get_exercise", lambda number: record)
    source = (REDTEAM / "slow_wrong.py").read_text("utf-8").replace("__SLEEP__", str(sleep))
    (tmp_path / record.filename).write_text(source, "utf-8")
    started = time.monotonic()
    report = grade_exercise(2, tmp_path)
    took = time.monotonic() - started
    assert report.score == 0
    shares = [c for c in report.checks if "used its share of the exercise's time" in c.message]
    assert shares, _messages(report)
    stopped = [c for c in report.checks if "time limit of 16 s was reached" in c.message]
    not_run = [c for c in report.checks if c.message.startswith("not run")]
    assert stopped or not_run, _messages(report)
    assert "internal error" not in _messages(report)
    # Without the watchdog, shrinking alone took minutes; the limit plus worker start-ups
    # and a generous margin for a loaded machine:
    assert took < limit + 60, f"grading took {took:.0f} s for a {limit:g} s exercise"
