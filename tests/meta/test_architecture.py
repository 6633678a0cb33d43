"""The folders are the architecture: who may import whom, checked on every module's syntax tree.

- grader.sandbox imports nothing from the rest of grader (it runs learner code);
- grader.messages (the catalogue) imports nothing from grader;
- grader.course (registry, paths, points, stubs) imports only the catalogue;
- the checks' toolkit (grader/checks/ modules that are not check files) adds the sandbox;
- grader.engine (the trusted grading) adds the toolkit;
- check files and their conftest add the engine;
- grader.learner and grader.instructor use the engine, never each other, never the checks;
- nothing imports grader.cli, which only parses options and delegates.

Imports inside functions count as much as those at the top. Tests may not import
a private name (`_name`) of a grader module: what they need is public API.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from grade_cli import KIT_ROOT

PACKAGE = KIT_ROOT / "grader"
TESTS = KIT_ROOT / "tests"

CATALOGUE = {"grader.messages"}
COURSE = CATALOGUE | {"grader.course"}
TOOLKIT = COURSE | {"grader.sandbox", "toolkit"}
ENGINE = TOOLKIT | {"grader.engine"}
ALLOWED = {
    "grader.sandbox": {"grader.sandbox"},
    "grader.messages": set(),
    "grader.course": COURSE,
    "toolkit": TOOLKIT,
    "grader.engine": ENGINE,
    "check files": ENGINE | {"check files"},
    "grader.learner": ENGINE - {"toolkit"} | {"grader.learner"},
    "grader.instructor": ENGINE - {"toolkit"} | {"grader.instructor"},
    "grader": {"grader.learner"},  # the package's lazy `check`
    "grader.cli": {"*"},
}


def module_name(path: Path) -> str:
    """The dotted name of a module file of the kit (grader/engine/grade.py: grader.engine.grade)."""
    parts = path.relative_to(KIT_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> str:
    """The layer a grader module belongs to (a key of ALLOWED)."""
    if module.startswith("grader.checks"):
        leaf = module.rpartition(".")[2]
        is_check = leaf.startswith("test_") or leaf == "conftest"
        return "check files" if is_check else "toolkit"
    for name in sorted(ALLOWED, key=len, reverse=True):
        if module == name or module.startswith(name + "."):
            return name
    raise AssertionError(f"{module} is in no layer: add its package to ALLOWED")


def imported_modules(path: Path, source: str | None = None) -> list[tuple[int, str]]:
    """(line, module) for every `grader` module `path` (or `source`, as if it were there)
    imports, at any depth of its code.

    `from grader.engine import oracles` names grader.engine.oracles; relative imports are
    resolved against the module's own package.
    """
    tree = ast.parse(source if source is not None else path.read_text("utf-8"))
    own = module_name(path).split(".")
    if path.name != "__init__.py":
        own = own[:-1]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(own[: len(own) - node.level + 1] + ([base] if base else []))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return [(line, name) for line, name in found if name.split(".")[0] == "grader"]


def violations(path: Path, source: str | None = None) -> list[str]:
    """What `path` (a module of the grader package; `source`: its text, if not the file's)
    imports against ALLOWED."""
    source_layer = layer(module_name(path))
    allowed = ALLOWED[source_layer]
    problems = []
    for line, target in imported_modules(path, source):
        if target == "grader.cli" or target.startswith("grader.cli."):
            problems.append(f"{path.relative_to(KIT_ROOT)}:{line} imports grader.cli")
            continue
        if "*" in allowed or target in ("grader", "grader.__version__"):
            continue
        target_layer = layer(_module_of(target))
        if target_layer != source_layer and target_layer not in allowed:
            problems.append(
                f"{path.relative_to(KIT_ROOT)}:{line} ({source_layer}) imports {target} "
                f"({target_layer})"
            )
    return problems


def _module_of(name: str) -> str:
    """`name` if it is a module or package of the kit, else the module it is defined in."""
    candidate = KIT_ROOT.joinpath(*name.split("."))
    if candidate.with_suffix(".py").is_file() or candidate.is_dir():
        return name
    return name.rpartition(".")[0]


GRADER_MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", GRADER_MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_each_module_imports_only_what_its_layer_may(path):
    assert violations(path) == []


def test_the_rule_catches_a_forbidden_import():
    # The rule can fail: a sandbox module importing the catalogue, even inside a function.
    path = PACKAGE / "sandbox" / "isolation.py"
    source = path.read_text("utf-8") + "\n\ndef _late():\n    from grader.messages import text\n"
    assert any("imports grader.messages" in problem for problem in violations(path, source))
    engine = PACKAGE / "engine" / "runner.py"
    assert violations(engine, "from grader.learner import progress\n")
    assert violations(engine, "import grader.cli\n")


def private_uses(path: Path) -> list[str]:
    """Where a test file reaches a private name (`_name`) of a grader module: `from grader.x
    import _name`, `module._name` or `monkeypatch.setattr(module, "_name", ...)` on a grader
    module it imported, or a "grader.x._name" target."""
    tree = ast.parse(path.read_text("utf-8"))
    modules, found = set(), []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules |= {a.asname for a in node.names if a.asname and a.name.startswith("grader")}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("grader"):
            for alias in node.names:
                if _is_private(alias.name):
                    found.append(f"{_shown(path)}:{node.lineno} {alias.name}")
                elif _module_of(f"{node.module}.{alias.name}") == f"{node.module}.{alias.name}":
                    modules.add(alias.asname or alias.name)
    for node in ast.walk(tree):
        is_attribute = isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
        if is_attribute and node.value.id in modules and _is_private(node.attr):
            found.append(f"{_shown(path)}:{node.lineno} {node.value.id}.{node.attr}")
        elif _patches_private(node, modules):
            found.append(f"{_shown(path)}:{node.lineno} {ast.unparse(node)[:60]}")
    return found


def _patches_private(node: ast.AST, modules: set[str]) -> bool:
    """Whether `node` is `<x>.setattr(module, "_name", ...)` or names "grader.<...>._name"."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value.startswith("grader.") and _is_private(node.value.rpartition(".")[2])
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return False
    args = node.args
    return (
        node.func.attr == "setattr"
        and len(args) >= 2
        and isinstance(args[0], ast.Name)
        and args[0].id in modules
        and isinstance(args[1], ast.Constant)
        and _is_private(str(args[1].value))
    )


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _shown(path: Path) -> str:
    return str(path.relative_to(KIT_ROOT)) if path.is_relative_to(KIT_ROOT) else path.name


def test_no_test_imports_a_private_name():
    found = [line for path in sorted(TESTS.rglob("*.py")) for line in private_uses(path)]
    assert found == []


def test_the_private_name_rule_can_fail(tmp_path):
    probe = tmp_path / "test_probe.py"
    probe.write_text(
        "from grader.sandbox import cgroups\nfrom grader.engine.runner import _hidden\n"
        "def test_x(monkeypatch):\n"
        "    monkeypatch.setattr(cgroups, '_plans', {})\n"
        "    monkeypatch.setattr('grader.engine.data._cache', 1)\n"
        "    return cgroups._mounts()\n",
        "utf-8",
    )
    assert len(private_uses(probe)) == 4
