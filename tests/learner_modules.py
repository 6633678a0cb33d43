"""The kit's reference modules, or their untouched stubs, as fresh module objects: what a
worker holds when a test stands in for it (see the `worker_modules` fixture)."""

from __future__ import annotations

import types
from pathlib import Path

from grader.course.stubs import make_stub

SOLUTIONS = Path(__file__).resolve().parent.parent / "solutions"


def _load(name: str, source: str) -> types.ModuleType:
    """`source` executed as a fresh module called `name` (not registered anywhere)."""
    module = types.ModuleType(name)
    exec(compile(source, f"{name}.py", "exec"), module.__dict__)  # noqa: S102 -- the kit's own code
    return module


def solution_module(name: str) -> types.ModuleType:
    """solutions/`name`.py as a fresh module."""
    return _load(name, (SOLUTIONS / f"{name}.py").read_text("utf-8"))


def stub_module(name: str) -> types.ModuleType:
    """The untouched stub of solutions/`name`.py as a fresh module."""
    return _load(name, make_stub((SOLUTIONS / f"{name}.py").read_text("utf-8")))
