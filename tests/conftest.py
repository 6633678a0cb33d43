"""Shared fixtures for the kit's own tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from grader.runner import grade_exercise

KIT_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATASETS = KIT_ROOT.parent / "shared" / "datasets"

# No test may need the network: a missing dataset is an error, never a download.
os.environ["NNLAB_OFFLINE"] = "1"
os.environ.setdefault("NNLAB_DATA_DIR", str(SHARED_DATASETS))


@pytest.fixture(scope="session")
def kit_root() -> Path:
    """The repository root."""
    return KIT_ROOT


@pytest.fixture(scope="session")
def graded():
    """Grade (exercise, folder) once per test session and reuse the Report."""
    cache = {}

    def grade(number: int, folder: str):
        key = (number, folder)
        if key not in cache:
            cache[key] = grade_exercise(number, KIT_ROOT / folder)
        return cache[key]

    return grade


def write_module(folder: Path, name: str, source: str) -> Path:
    """Write a module file `name`.py into `folder`; return the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.py").write_text(source, encoding="utf-8")
    return folder
