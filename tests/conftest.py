"""Shared fixtures for the kit's own tests."""

from __future__ import annotations

import os
import secrets
import socket
import sys
import types
from pathlib import Path

import pytest

from grader.course.stubs import write_stubs
from grader.engine.runner import grade_exercise

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
def pristine_stubs(tmp_path_factory) -> Path:
    """A folder `exercises/` holding the untouched stubs, generated from solutions/.

    Tests never read the kit's own exercises/: it is a learner's working copy (their
    progress, backups and answers live there). Shared by the session: copy it before
    changing anything in it.
    """
    folder = tmp_path_factory.mktemp("pristine") / "exercises"
    folder.mkdir()
    write_stubs(KIT_ROOT / "solutions", folder)
    return folder


@pytest.fixture(scope="session")
def graded():
    """Grade (exercise, folder) once per test session and reuse the Report (folder: relative
    to the kit, e.g. "solutions", or an absolute path)."""
    cache = {}

    def grade(number: int, folder: str | Path):
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


@pytest.fixture
def scene(tmp_path):
    """A red-team attack's surroundings (test_redteam.Scene): its submission folder, a
    folder and a listening port of the test's outside the sandbox, a process name."""
    from scene import Scene

    outside = tmp_path / "outside"
    outside.mkdir()
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.setblocking(False)
        yield Scene(tmp_path / "submission", outside, "rt" + secrets.token_hex(6), listener)


@pytest.fixture
def worker_modules(monkeypatch):
    """Install learner modules where the trainer imports them, as the worker does, with a
    progress channel that keeps what it is told. Returns install(name -> module), which
    returns the list of progress messages."""

    def install(modules: dict) -> list:
        reports: list = []
        channel = types.ModuleType("nnlab_channel")
        channel.report = reports.append
        monkeypatch.setitem(sys.modules, "nnlab_channel", channel)
        for name, module in modules.items():
            monkeypatch.setitem(sys.modules, name, module)
        return reports

    return install
