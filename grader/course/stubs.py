"""Learner stubs, cut mechanically from the fenced reference solutions.

In `solutions/exNN_*.py` the code a learner must write sits between
`# BEGIN SOLUTION` and `# END SOLUTION`. In the stub, a fence inside a
function becomes `raise NotImplementedError(...)`; a fence at module level
(a private helper) disappears; lines inside a fence that start with
`# STUB: ` are kept, uncommented, instead of the raise. Everything outside
the fences -- imports, signatures, teaching docstrings -- is the same in both,
so the two cannot drift (tests/course/test_stubs.py regenerates and compares).

Run `python -m grader.course.stubs` to rewrite `exercises/` from `solutions/`.
`grade release` ships the same stubs twice: as the student's `exercises/`,
and read-only in `grader/pristine/`, where `grade reset` finds them in a kit
that has no `solutions/`.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from grader.course.paths import KIT_ROOT, PRISTINE

BEGIN = "# BEGIN SOLUTION"
END = "# END SOLUTION"
STUB_PREFIX = "# STUB: "
_DEF = re.compile(r"^(\s*)(?:async\s+)?def\s+(\w+)")
MODULES = "ex[0-9][0-9]_*.py"


class FenceError(ValueError):
    """A solution file whose fences do not pair up."""


def make_stub(source: str, filename: str = "<solution>") -> str:
    """Return the learner stub for one fenced solution module's source text."""
    output: list[str] = []
    function = None
    fence: list[str] | None = None
    indent = ""
    for number, line in enumerate(source.splitlines(), start=1):
        stripped = line.strip()
        if stripped == BEGIN:
            if fence is not None:
                raise FenceError(f"{filename}:{number}: nested {BEGIN}")
            fence, indent = [], line[: len(line) - len(line.lstrip())]
            continue
        if stripped == END:
            if fence is None:
                raise FenceError(f"{filename}:{number}: {END} without {BEGIN}")
            output.extend(_replacement(fence, indent, function))
            fence = None
            continue
        if fence is not None:
            fence.append(line)
            continue
        match = _DEF.match(line)
        if match:
            function = match.group(2)
        output.append(line)
    if fence is not None:
        raise FenceError(f"{filename}: {BEGIN} is never closed")
    return "\n".join(_collapse_blank_lines(output)).rstrip() + "\n"


def _replacement(fence: list[str], indent: str, function: str | None) -> list[str]:
    kept = [
        line.replace(STUB_PREFIX, "", 1)
        for line in fence
        if line.strip().startswith(STUB_PREFIX.strip())
    ]
    if kept:
        return kept
    if not indent:
        return []
    return [f'{indent}raise NotImplementedError("{function}: write your code here")']


def _collapse_blank_lines(lines: list[str]) -> list[str]:
    """Keep at most two blank lines in a row (what removing a helper leaves)."""
    result: list[str] = []
    for line in lines:
        if (
            not line.strip()
            and len(result) >= 2
            and not result[-1].strip()
            and not result[-2].strip()
        ):
            continue
        result.append(line)
    return result


def generate_stubs(solutions: Path) -> dict[str, str]:
    """The stub of every `exNN_*.py` in `solutions`: {file name: stub text}, sorted by name.

    Raises FenceError for a solution whose fences do not pair up.
    """
    return {
        solution.name: make_stub(solution.read_text("utf-8"), solution.name)
        for solution in sorted(solutions.glob(MODULES))
    }


def write_stubs(solutions: Path, exercises: Path) -> list[Path]:
    """Write a stub into `exercises` for every `ex*.py` in `solutions`; return their paths."""
    written = []
    for name, stub in generate_stubs(solutions).items():
        target = exercises / name
        target.write_text(stub, "utf-8")
        written.append(target)
    return written


def pristine_stub(filename: str, root: Path = KIT_ROOT) -> str | None:
    """The untouched stub of the exercise module `filename` (e.g. `ex01_tensors.py`).

    Inputs:
    - filename: the module's file name.
    - root: the kit (its `solutions/` is looked at first).

    Returns the stub generated from `root/solutions/` in the instructor kit, else
    the copy a student release ships in `grader/pristine/`, else None. Never the
    learner's own `exercises/`, which may hold their work.
    """
    solution = root / "solutions" / filename
    if solution.is_file():
        return make_stub(solution.read_text("utf-8"), filename)
    shipped = PRISTINE / filename
    return shipped.read_text("utf-8") if shipped.is_file() else None


if __name__ == "__main__":
    for path in write_stubs(KIT_ROOT / "solutions", KIT_ROOT / "exercises"):
        print(f"wrote {path.relative_to(KIT_ROOT)}")
    sys.exit(0)
