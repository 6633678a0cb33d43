"""`grade watch` in a real terminal: tmux runs it, the test saves files and reads the screen."""

import os
import re
import shutil
import sys
import time
from pathlib import Path

import pytest
from terminal import Terminal

from grader.learner.watch import FileWatcher

IDLE_S = 10  # the looping watcher graded again within a second; 10 s idle is generous


@pytest.fixture
def learner(tmp_path, pristine_stubs):
    """A learner's folder: a copy of the stubs in tmp_path/exercises."""
    shutil.copytree(pristine_stubs, tmp_path / "exercises")
    return tmp_path


def save(path: Path, text: str) -> None:
    """Save like an editor that writes a new file and renames it over the old one."""
    temporary = path.with_name(f".{path.name}.swp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def test_watch_grades_once_per_save_shows_syntax_errors_and_moves_on(learner, kit_root):
    assert shutil.which("tmux"), "the watch test needs tmux (apt-get install tmux)"
    exercise = learner / "exercises" / "ex01_tensors.py"
    solution = (kit_root / "solutions" / "ex01_tensors.py").read_text("utf-8")
    command = [sys.executable, "-m", "grader.cli", "watch", "--debounce", "0.2"]
    log = learner / "watch.log"
    terminal = Terminal(f"nnlab-watch-{os.getpid()}", learner, command, log)
    graded = "watching ex01_tensors.py"  # the last line of every report of exercise 1
    try:
        terminal.wait_for("Exercise 1: Tensors and labels", "Score: 0/12", "watching ex01")

        # Grading reads the file, a touch changes its times, an in-place write of the
        # same text truncates it first: none of these is a save.
        exercise.touch()
        exercise.write_text(exercise.read_text("utf-8"), encoding="utf-8")
        time.sleep(IDLE_S)
        assert terminal.count(graded) == 1, "an idle watcher grades once"

        unshuffled = solution.replace("order = rng.permutation(n)", "order = np.arange(n)")
        save(exercise, unshuffled)
        screen = terminal.wait_for("Score: 11/12", gone="Score: 0/12")
        assert "minibatches are shuffled by rng" in screen
        time.sleep(IDLE_S / 2)
        assert terminal.count(graded) == 2, "one save, one grading"

        broken = solution.splitlines()
        line = next(i for i, text in enumerate(broken) if text.startswith("def flatten")) + 1
        broken[line - 1] = broken[line - 1].replace("(", "((", 1)
        save(exercise, "\n".join(broken))
        screen = terminal.wait_for("SyntaxError", gone="Score: 11/12")
        assert f"line {line}" in screen and "def flatten((" in screen
        assert "Score: 0/12" in screen and "Traceback" not in screen

        save(exercise, solution)
        # The next exercise's report follows the congratulation: wait for all of it.
        terminal.wait_for(
            "Exercise 1 passes (12/12). On to exercise 2!",
            "Exercise 2: Activation functions",
            "Score: 0/14",
            "watching ex02_activations.py",
        )

        terminal.press("C-c")
        screen = terminal.wait_for("WATCH-EXITED=0")
        assert "stopped watching" in screen and "Traceback" not in screen
    finally:
        terminal.close()
    progress = (learner / "exercises" / ".nnlab-progress.json").read_text()
    assert re.search(r'"1": \{\s*"best_score": 12\.0', progress)


@pytest.mark.parametrize("poll", [False, True], ids=["native", "polling"])
def test_the_watcher_sees_a_change_of_content_only(tmp_path, poll):
    target = tmp_path / "ex01_tensors.py"
    target.write_text("one")
    with FileWatcher(tmp_path, poll=poll) as watcher:
        assert watcher.polling == poll
        watcher.target = target.resolve()
        watcher.arm()
        (tmp_path / "unrelated.py").write_text("x")
        assert target.read_text() == "one"  # grading reads it: opened, closed, no write
        time.sleep(1.2)
        os.utime(target, (time.time() + 5, time.time() + 5))
        target.write_text("one")
        time.sleep(1.2)
        assert not watcher.saved, "reading, touching or rewriting the same text is not a save"
        save(target, "two")
        started = time.monotonic()
        watcher.wait(debounce_s=0.1)
        assert time.monotonic() - started < 60  # generous: a busy machine, not a hang


def test_a_write_in_place_seen_half_done_is_not_a_save(tmp_path):
    # An editor writing in place truncates first; an event read in between sees an
    # empty file. Once the same text is back, nothing was saved.
    target = tmp_path / "ex01_tensors.py"
    target.write_text("one")
    watcher = FileWatcher(tmp_path)  # not started: the event is fed by hand
    watcher.target = target.resolve()
    watcher.arm()
    target.write_text("")
    watcher.notice("modified", str(target))
    target.write_text("one")
    assert not watcher.saved


def test_cli_watch_leaves_its_defaults_to_the_watch_function(kit_root, monkeypatch):
    from click.testing import CliRunner

    from grader.cli import main
    from grader.learner import watch as watching

    calls = []
    monkeypatch.setattr(watching, "watch", lambda *args, **kwargs: calls.append((args, kwargs)))
    result = CliRunner().invoke(main, ["--lang", "zh", "watch", "3"])
    assert result.exit_code == 0, result.output
    assert calls == [((3,), {"lang": "zh"})]
    help_text = CliRunner().invoke(main, ["watch", "--help"]).output
    assert f"[default: {watching.DEBOUNCE_S:g}]" in " ".join(help_text.split())
