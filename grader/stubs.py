"""Learner stubs, cut mechanically from the fenced reference solutions.

In `solutions/exNN_*.py` the code a learner must write sits between
`# BEGIN SOLUTION` and `# END SOLUTION`. In the stub, a fence inside a
function becomes `raise NotImplementedError(...)`; a fence at module level
(a private helper) disappears; lines inside a fence that start with
`# STUB: ` are kept, uncommented, instead of the raise. Everything outside
the fences -- imports, signatures, teaching docstrings -- is the same in both,
so the two cannot drift (tests/test_stubs.py regenerates and compares).

Run `python -m grader.stubs` to rewrite `exercises/` from `solutions/`.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

BEGIN = "# BEGIN SOLUTION"
END = "# END SOLUTION"
STUB_PREFIX = "# STUB: "
_DEF = re.compile(r"^(\s*)(?:async\s+)?def\s+(\w+)")


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


def write_stubs(solutions: Path, exercises: Path) -> list[Path]:
    """Write a stub into `exercises` for every `ex*.py` in `solutions`; return their paths."""
    written = []
    for solution in sorted(solutions.glob("ex[0-9][0-9]_*.py")):
        target = exercises / solution.name
        target.write_text(make_stub(solution.read_text("utf-8"), solution.name), "utf-8")
        written.append(target)
    return written


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    for path in write_stubs(root / "solutions", root / "exercises"):
        print(f"wrote {path.relative_to(root)}")
    sys.exit(0)
