"""Where a learner's exercise module is, and what it imports.

A submission is a folder holding the exercise modules (a learner's
`exercises/`, or the kit's `solutions/`), or a checkout whose `exercises/`
holds them.
"""

from __future__ import annotations

import ast
from pathlib import Path

from grader.registry import Exercise

KIT_ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN_MODULES = ("tensorflow", "keras", "tf_keras", "torch", "jax", "scipy", "sklearn")


class MissingSubmission(FileNotFoundError):
    """The exercise module is not where the submission says."""


def default_submission() -> Path:
    """The folder graded when none is given: ./exercises, else the kit's own stubs."""
    here = Path.cwd()
    for candidate in (here / "exercises", here):
        if any(candidate.glob("ex[0-9][0-9]_*.py")):
            return candidate
    return KIT_ROOT / "exercises"


def module_path(submission: Path | None, exercise: Exercise) -> Path:
    """Return the path of `exercise`'s module inside `submission`.

    Inputs:
    - submission: a folder of exercise modules, a checkout with `exercises/`, or None.
    - exercise: the registry record.

    Returns:
    - the module file's path; raises MissingSubmission with a plain message if absent.
    """
    folder = Path(submission) if submission is not None else default_submission()
    for candidate in (folder / exercise.filename, folder / "exercises" / exercise.filename):
        if candidate.is_file():
            return candidate.resolve()
    raise MissingSubmission(
        f"{exercise.filename} was not found in {folder} (nor in {folder / 'exercises'})"
    )


def solutions_path(exercise: Exercise) -> Path:
    """Path of the kit's reference solution for `exercise`."""
    return KIT_ROOT / "solutions" / exercise.filename


def forbidden_imports(path: Path) -> list[str]:
    """Forbidden libraries the module's source names in an import (static scan).

    Returns the sorted top-level names found; a file that does not parse
    returns [] (the worker reports the syntax error itself).
    """
    try:
        tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
    except (SyntaxError, ValueError):
        return []
    found = set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Call) and _is_dynamic_import(node.func) and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                names = [first.value]
        found.update(n.partition(".")[0] for n in names if n.partition(".")[0] in FORBIDDEN_MODULES)
    return sorted(found)


def _is_dynamic_import(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id in ("__import__", "import_module")
    return isinstance(func, ast.Attribute) and func.attr in ("__import__", "import_module")
