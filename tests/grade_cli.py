"""`grade exercise` as a learner runs it (its own process, the venv's entry point), for tests
of what the screen, JSON and JUnit say about a module with a known mistake."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from mutants import MUTANTS

GRADE = str(Path(sys.executable).with_name("grade"))


def grade(folder: Path, number: int, *options: str, env: dict | None = None):
    """`grade exercise NUMBER --submission FOLDER OPTIONS` in English (unless `env` says
    otherwise) on a wide screen; returns the finished process (text output)."""
    environment = {**os.environ, "COLUMNS": "200", "NNLAB_LANG": "en", **(env or {})}
    return subprocess.run(
        [GRADE, "exercise", str(number), "--submission", str(folder), *options],
        capture_output=True,
        text=True,
        env=environment,
        timeout=600,
        check=False,
    )


def mutated(kit_root: Path, folder: Path, mistake: str) -> Path:
    """`folder` (created) holding the reference module with the mutant `mistake`
    (tests/mutants) applied; returns `folder`."""
    from grader.registry import get_exercise

    mutant = next(m for m in MUTANTS if m.mistake == mistake)
    filename = get_exercise(mutant.exercise).filename
    source = (kit_root / "solutions" / filename).read_text("utf-8")
    assert source.count(mutant.old) == 1, "the mutation no longer applies to the solution"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / filename).write_text(source.replace(mutant.old, mutant.new), "utf-8")
    return folder
