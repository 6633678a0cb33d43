"""Copies of the kit, and `grade` run as a learner or an instructor runs it, for tests.

Tests never touch the kit's own exercises/: it is a learner's working copy. A test
that needs a kit whose exercises/ it may change works on `copy_kit`, and drives
`grade` in it through `run_grade` (a real process, with the copy's grader).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from grader.course.stubs import write_stubs

KIT_ROOT = Path(__file__).resolve().parent.parent
# What an instructor's checkout holds besides exercises/ (tests/ and bench/ are not needed).
KIT_PARTS = ("grader", "solutions", "pyproject.toml", "README.md", "datasets/README.md")
CACHES = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", ".hypothesis")


def copy_kit(dest: Path) -> Path:
    """Copy the instructor kit into `dest` (created), with an exercises/ of untouched stubs
    generated from solutions/ (never the kit's own exercises/). Returns `dest`."""
    for part in KIT_PARTS:
        source, target = KIT_ROOT / part, dest / part
        if source.is_dir():
            shutil.copytree(source, target, ignore=CACHES)
        elif source.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    (dest / "exercises").mkdir()
    write_stubs(dest / "solutions", dest / "exercises")
    return dest


def run_grade(folder: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """`grade ARGS` as its own process in `folder` (the working directory), with the grader
    package of `folder` and English messages; returns the finished process (text output)."""
    env = {**os.environ, "PYTHONPATH": str(folder), "NNLAB_LANG": "en", "COLUMNS": "160"}
    return subprocess.run(
        [sys.executable, "-m", "grader.cli", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
