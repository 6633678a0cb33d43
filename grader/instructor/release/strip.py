"""Hidden checks out of the check modules: the one transform a release applies to them.

Hidden checks are removed from the syntax tree, not by matching text: a
top-level test decorated with `hidden` goes with its decorators, then every
top-level helper, constant, fixture and imported name that nothing left uses
goes too, until nothing more can go. So no hidden check's text is shipped,
the rewritten module still imports and runs, and what stays keeps its
comments and layout. (Like nbgrader's preprocessors/clearhiddentests.py: one
module, one job; grader/instructor/release/build.py writes the release.)
"""

from __future__ import annotations

import ast
import symtable
from collections.abc import Callable
from pathlib import Path

from grader.course.points import decorator_name

CONFTEST = "conftest.py"
LINE_LENGTH = 100


def public_checks(folder: Path, keep_hidden: bool = False) -> tuple[dict[str, str], list[str]]:
    """The check modules of `folder` as a release ships them.

    Returns:
    - {file name: source} for every check file and conftest.py (the toolkit beside them
      ships as it is), hidden checks
      removed unless keep_hidden; fixtures of conftest.py that no remaining check
      asks for are removed too (the `reference` fixture, which loads solutions/);
    - the removed checks, as "file.py::test_name".
    """
    paths = [*sorted(folder.glob("test_*.py")), folder / CONFTEST]
    sources = {path.name: path.read_text("utf-8") for path in paths if path.is_file()}
    # A self-study kit keeps the hidden checks, but not those that time the learner
    # against solutions/: without the instructor's solutions they cannot run.
    drop = _needs_reference if keep_hidden else _is_hidden
    public, removed = {}, []
    for name, source in sources.items():
        if name != CONFTEST:
            public[name], gone = strip_hidden_checks(source, drop=drop)
            removed.extend(f"{name}::{test}" for test in gone)
    if CONFTEST in sources:
        requested = set().union(*(_used_names(ast.parse(text)) for text in public.values()))
        public[CONFTEST], _ = strip_hidden_checks(sources[CONFTEST], frozenset(requested))
    return public, removed


def strip_hidden_checks(
    source: str,
    used_elsewhere: frozenset[str] = frozenset(),
    drop: Callable[[ast.stmt], bool] | None = None,
) -> tuple[str, list[str]]:
    """Remove the hidden checks from one check module's source.

    Inputs:
    - source: the module's text.
    - used_elsewhere: names other modules use (fixtures conftest.py provides).
    - drop: which top-level tests go (default: those marked `hidden`).

    Returns:
    - the new source: top-level tests decorated with `hidden` removed with their
      decorators, then, repeatedly, every top-level function, class, assignment and
      imported name nothing left uses; the unchanged source if nothing goes;
    - the names of the removed tests.
    """
    drop = drop or _is_hidden
    tree = ast.parse(source)
    removed = [node.name for node in tree.body if drop(node)]
    kept = _still_used([node for node in tree.body if not drop(node)], used_elsewhere)
    used = set(used_elsewhere).union(
        *(_used_names(n) for n in kept if not isinstance(n, ast.Import | ast.ImportFrom))
    )
    replaced = {}
    for node in kept:
        if isinstance(node, ast.Import | ast.ImportFrom):
            pruned = _pruned_import(node, used)
            if pruned is not node:
                replaced[node] = pruned
    if len(kept) == len(tree.body) and not replaced:
        return source, removed
    return _rebuild(source, tree.body, set(kept), replaced), removed


def _is_hidden(node: ast.stmt) -> bool:
    return isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and any(
        decorator_name(d) == "hidden" for d in node.decorator_list
    )


def _needs_reference(node: ast.stmt) -> bool:
    return isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and any(
        a.arg == "reference" for a in node.args.args
    )


def _bound_names(node: ast.stmt) -> set[str]:
    """The names a top-level statement defines (imports are pruned separately)."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return {node.name}
    targets = {
        ast.Assign: lambda n: n.targets,
        ast.AnnAssign: lambda n: [n.target],
        ast.AugAssign: lambda n: [n.target],
    }
    if type(node) not in targets:
        return set()
    return {
        name.id
        for target in targets[type(node)](node)
        for name in ast.walk(target)
        if isinstance(name, ast.Name)
    }


def _used_names(node: ast.AST) -> set[str]:
    """The module-level names a node reads, and the parameters of its top-level functions
    (a check's or fixture's parameters request fixtures by name).

    Scope-aware (symtable): a function's own local that shares a module-level name
    (a variable called `hidden`) does not keep that name alive.
    """
    module = symtable.symtable(ast.unparse(node), "<check>", "exec")
    names = {s.get_name() for s in module.get_symbols() if s.is_referenced()}
    for child in module.get_children():
        if child.get_type() == "function":
            names.update(s.get_name() for s in child.get_symbols() if s.is_parameter())
    scopes = list(module.get_children())
    while scopes:
        scope = scopes.pop()
        scopes.extend(scope.get_children())
        names.update(
            s.get_name() for s in scope.get_symbols() if s.is_referenced() and s.is_global()
        )
    return names


def _is_root(node: ast.stmt) -> bool:
    """Kept whatever uses it: imports (pruned by name), tests, hooks, autouse fixtures, and
    statements that define nothing (the docstring, calls)."""
    if isinstance(node, ast.Import | ast.ImportFrom):
        return True
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        autouse = any(
            keyword.arg == "autouse"
            for decorator in node.decorator_list
            if isinstance(decorator, ast.Call)
            for keyword in decorator.keywords
        )
        return node.name.startswith(("test_", "pytest_")) or autouse
    return not _bound_names(node)


def _still_used(nodes: list[ast.stmt], used_elsewhere: frozenset[str]) -> list[ast.stmt]:
    """Drop, until none is left to drop, each definition that no other kept statement uses."""
    while True:
        uses = [_used_names(node) for node in nodes]
        kept = []
        for index, node in enumerate(nodes):
            others = set(used_elsewhere).union(*(u for i, u in enumerate(uses) if i != index))
            if _is_root(node) or _bound_names(node) & others:
                kept.append(node)
        if len(kept) == len(nodes):
            return kept
        nodes = kept


def _pruned_import(node: ast.Import | ast.ImportFrom, used: set[str]) -> ast.stmt | None:
    """The import without its unused names: the same node, a smaller one, or None."""
    if isinstance(node, ast.ImportFrom) and node.module == "__future__":
        return node
    names = [
        alias
        for alias in node.names
        if (alias.asname or alias.name.partition(".")[0]) in used or alias.name == "*"
    ]
    if len(names) == len(node.names):
        return node
    if not names:
        return None
    if isinstance(node, ast.Import):
        return ast.Import(names=names)
    return ast.ImportFrom(module=node.module, names=names, level=node.level)


def _import_text(node: ast.Import | ast.ImportFrom) -> str:
    text = ast.unparse(node)
    if len(text) <= LINE_LENGTH or isinstance(node, ast.Import):
        return text + "\n"
    names = "".join(f"    {ast.unparse(alias)},\n" for alias in node.names)
    return f"from {'.' * node.level}{node.module or ''} import (\n{names})\n"


def _rebuild(
    source: str, body: list[ast.stmt], kept: set[ast.stmt], replaced: dict[ast.stmt, ast.stmt]
) -> str:
    """`source` with the statements not kept cut out and the replaced imports rewritten.

    A statement goes with the comment lines right on top of it, and with the blank
    lines before it when blank lines follow it (so the spacing around stays as it was).
    """
    lines = source.splitlines(keepends=True)
    cut: set[int] = set()
    inserted: dict[int, str] = {}
    for node in body:
        if node in kept and node not in replaced:
            continue
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])]) - 1
        last = node.end_lineno
        substitute = replaced.get(node)
        if substitute is None:  # it goes, with its comments and the blank lines before it
            while first > 0 and lines[first - 1].startswith("#"):
                first -= 1
            followed_by_blank = last < len(lines) and not lines[last].strip()
            while followed_by_blank and first > 0 and not lines[first - 1].strip():
                first -= 1
        else:
            inserted[first] = _import_text(substitute)
        cut.update(range(first, last))
    text = "".join(inserted.get(i, "") + ("" if i in cut else line) for i, line in enumerate(lines))
    return _tidy(text)


def _tidy(text: str) -> str:
    """Drop top-level comment blocks left heading nothing (a section whose checks all went)
    and keep at most two blank lines in a row."""
    lines = text.splitlines(keepends=True)
    kept: list[str] = []
    for index, line in enumerate(lines):
        if line.startswith("#") and _heads_nothing(lines, index):
            continue
        if not line.strip() and len(kept) >= 2 and not kept[-1].strip() and not kept[-2].strip():
            continue
        kept.append(line)
    return "".join(kept).rstrip() + "\n"


def _heads_nothing(lines: list[str], index: int) -> bool:
    """True when the comment block holding lines[index] is followed, after a blank line,
    by another comment block or by the end of the file."""
    end = index
    while end < len(lines) and lines[end].startswith("#"):
        end += 1
    if end < len(lines) and lines[end].strip():
        return False  # the comment sits right on top of code: it belongs to it
    following = next((line for line in lines[end:] if line.strip()), "")
    return not following or following.startswith("#")
