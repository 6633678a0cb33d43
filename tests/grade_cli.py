"""`grade exercise` as a learner runs it (its own process, the venv's entry point), for tests
of what the screen, JSON and JUnit say about a module with a known mistake."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

from mutants import MUTANTS

GRADE = str(Path(sys.executable).with_name("grade"))
KIT_ROOT = Path(__file__).resolve().parent.parent
TIMEOUT_S = 600  # generous: two cores are shared with other runs


def grade_env(**extra: str) -> dict[str, str]:
    """The environment the kit's CLI tests run `grade` in: English, the terminal's width
    unset, and conftest's NNLAB_OFFLINE and NNLAB_DATA_DIR; `extra` on top."""
    environment = dict(os.environ, NNLAB_LANG="en")
    environment.pop("COLUMNS", None)
    environment.update(extra)
    return environment


def grade(
    folder: Path, number: int, *options: str, env: dict | None = None, cwd: Path | None = None
):
    """`grade exercise NUMBER --submission FOLDER OPTIONS` in English (unless `env` says
    otherwise) on a wide screen, in `cwd`; returns the finished process (text output)."""
    return subprocess.run(
        [GRADE, "exercise", str(number), "--submission", str(folder), *options],
        capture_output=True,
        text=True,
        env=grade_env(COLUMNS="200", **(env or {})),
        cwd=cwd,
        timeout=TIMEOUT_S,
        check=False,
    )


def mutated(kit_root: Path, folder: Path, mistake: str) -> Path:
    """`folder` (created) holding the reference module with the mutant `mistake`
    (tests/meta/mutants) applied; returns `folder`."""
    from grader.course.registry import get_exercise

    mutant = next(m for m in MUTANTS if m.mistake == mistake)
    filename = get_exercise(mutant.exercise).filename
    source = (kit_root / "solutions" / filename).read_text("utf-8")
    assert source.count(mutant.old) == 1, "the mutation no longer applies to the solution"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / filename).write_text(source.replace(mutant.old, mutant.new), "utf-8")
    return folder


@contextlib.contextmanager
def killed_at_end(process: subprocess.Popen):
    """Yield `process` (started with start_new_session=True); whatever happens in the
    block, its whole group is killed if it is still running at the end."""
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def press_ctrl_c(process: subprocess.Popen, timeout: float = 120) -> tuple:
    """Send SIGINT to `process`'s group, as Ctrl-C in its terminal does; return its
    (stdout, stderr) once it has ended."""
    os.killpg(process.pid, signal.SIGINT)
    return process.communicate(timeout=timeout)
