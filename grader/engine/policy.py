"""What learner code may not use or reach: one list of forbidden libraries, read by the
static scan here and passed to every sandbox worker's import blocker, and the folders a
worker's import path may not reach (the sandbox takes both from its caller:
`LearnerProxy(..., **SANDBOX_POLICY)`)."""

from __future__ import annotations

import ast
from types import MappingProxyType

from grader.course.paths import PACKAGE, solutions_folder

FORBIDDEN_MODULES = ("tensorflow", "keras", "tf_keras", "torch", "jax", "scipy", "sklearn")
"""Libraries exercises may not import: the checks compare with them, learners write NumPy."""

PROTECTED_FOLDERS = (PACKAGE, solutions_folder())
"""What learner code may never import: the grader (its checks and oracles) and the
reference solutions; the sandbox also refuses any folder above them (the kit's root)."""

SANDBOX_POLICY = MappingProxyType({"forbidden": FORBIDDEN_MODULES, "protect": PROTECTED_FOLDERS})
"""The policy's arguments to grader.sandbox.LearnerProxy."""


def forbidden_imports(source: str) -> list[str]:
    """Forbidden libraries a module's source names in an import (static scan).

    Inputs: the module's source text. Returns the sorted top-level names found;
    a source that does not parse (or is too deeply nested to parse) returns []
    (the worker reports the syntax error itself, and its import blocker still holds).
    """
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    found = set()
    try:
        nodes = list(ast.walk(tree))
    except RecursionError:
        return []
    for node in nodes:
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
