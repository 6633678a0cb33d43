"""The student distribution: what `grade release OUTDIR` writes.

A release holds the stubs (exercises/), the grader package with every check
file rewritten so that its hidden checks are gone, pyproject.toml, a README
for students, a GitHub Classroom workflow and Gradescope templates. It never
holds solutions/, tests/, bench/, .git or caches.

The stubs are generated from the fenced references in solutions/ (grader.course.stubs),
never copied from the kit's exercises/, which is an instructor's working copy
and may hold their answers. The same stubs are shipped read-only in
grader/pristine/, where `grade reset` finds them without solutions/.

Hidden checks are removed from the syntax tree, not by matching text: a
top-level test decorated with `hidden` goes with its decorators, then every
top-level helper, constant, fixture and imported name that nothing left uses
goes too, until nothing more can go. So no hidden check's text is shipped,
the rewritten module still imports and runs, and what stays keeps its
comments and layout.
"""

from __future__ import annotations

import ast
import json
import math
import re
import shutil
import symtable
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from grader.course.paths import CHECKS, KIT_ROOT, PACKAGE, PRISTINE
from grader.course.points import check_points, decorator_name
from grader.course.registry import exercises
from grader.course.stubs import FenceError, generate_stubs

CONFTEST = "conftest.py"
SKIPPED_PARTS = frozenset({"__pycache__", ".pytest_cache", ".hypothesis", ".ruff_cache"})
SKIPPED_SUFFIXES = (".pyc", ".pyo")
# What a release consists of: --force removes exactly these before writing again.
OWNED = (
    "README.md",
    "pyproject.toml",
    ".gitignore",
    "exercises",
    "grader",
    "gradescope",
    "datasets/README.md",
    ".github/workflows/classroom.yml",
)
STEP_OVERHEAD_MINUTES = 5  # beyond the time limit: importing TensorFlow, starting workers
LINE_LENGTH = 100

_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


class ReleaseError(Exception):
    """The release cannot be written (a plain message says why)."""


@dataclass(frozen=True)
class ReleaseSummary:
    """What build_release wrote.

    - outdir: the release folder.
    - files: every file written, relative to outdir, sorted.
    - points: exercise number -> the points its shipped checks are worth.
    - removed: the hidden checks left out, as "test_file.py::test_name".
    - keep_hidden: True when every check was kept (a self-study kit).
    """

    outdir: Path
    files: tuple[str, ...]
    points: dict[int, float]
    removed: tuple[str, ...]
    keep_hidden: bool

    def describe(self) -> str:
        """One paragraph for the terminal: where, how much, what was left out."""
        total = sum(e.points for e in exercises() if e.number in self.points)
        shipped = sum(self.points.values())
        hidden = (
            f"hidden checks kept (self-study kit), {len(self.removed)} that need "
            "solutions/ left out"
            if self.keep_hidden
            else f"{len(self.removed)} hidden checks left out"
        )
        return (
            f"wrote {len(self.files)} files to {self.outdir}: exercises "
            f"{min(self.points)}-{max(self.points)}, checks worth {shipped:g} of {total:g} "
            f"points, {hidden}; no solutions/"
        )


def build_release(
    outdir: Path, *, keep_hidden: bool = False, force: bool = False
) -> ReleaseSummary:
    """Write the student distribution into `outdir`.

    Inputs:
    - outdir: the folder to write; it must be empty or absent unless `force`.
    - keep_hidden: keep the hidden checks too (self-study kits); solutions/ is never written.
    - force: write into a non-empty folder, replacing an earlier release's files.

    Returns:
    - a ReleaseSummary. Raises ReleaseError with a plain message when it cannot.
    """
    outdir = Path(outdir).resolve()
    _check_outdir(outdir, force)
    for needed in (KIT_ROOT / "solutions", KIT_ROOT / "pyproject.toml"):
        if not needed.exists():
            raise ReleaseError(
                f"grade release needs the instructor kit's source folder: {needed} does not "
                "exist (the stubs are generated from solutions/; run it from a checkout of "
                "the kit, installed with pip install -e)"
            )
    files, points, removed = _release_files(keep_hidden)
    if force:
        _remove_owned(outdir)
    for relative, content in files.items():
        target = outdir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            target.write_text(content, encoding="utf-8")
        else:
            target.write_bytes(content)
    for script in ("gradescope/setup.sh", "gradescope/run_autograder"):
        (outdir / script).chmod(0o755)
    for stub in (outdir / "grader" / PRISTINE.relative_to(PACKAGE)).iterdir():
        stub.chmod(0o444)  # what `grade reset` puts back: read, never edited
    return ReleaseSummary(outdir, tuple(sorted(files)), points, tuple(removed), keep_hidden)


def _release_files(
    keep_hidden: bool,
) -> tuple[dict[str, str | bytes], dict[int, float], list[str]]:
    """(relative path -> content of every file of the release, points per exercise, the
    removed checks)."""
    checks, removed = public_checks(CHECKS, keep_hidden)
    points = {e.number: check_points(checks[e.check_file.name]) for e in exercises() if e.available}
    files: dict[str, str | bytes] = {}
    for path in _package_files():
        relative = path.relative_to(PACKAGE)
        is_check = path.parent == CHECKS and path.name in checks
        files[f"grader/{relative.as_posix()}"] = (
            checks[path.name] if is_check else path.read_bytes()
        )
    for name, stub in _stubs().items():
        files[f"exercises/{name}"] = stub
        files[f"grader/{PRISTINE.relative_to(PACKAGE).as_posix()}/{name}"] = stub
    files["pyproject.toml"] = (KIT_ROOT / "pyproject.toml").read_bytes()
    if (KIT_ROOT / "datasets" / "README.md").is_file():
        files["datasets/README.md"] = (KIT_ROOT / "datasets" / "README.md").read_bytes()
    files["README.md"] = student_readme(points, keep_hidden)
    files[".gitignore"] = _template("student_gitignore")
    files[".github/workflows/classroom.yml"] = classroom_workflow(points)
    files["gradescope/setup.sh"] = _template("gradescope_setup.sh")
    files["gradescope/run_autograder"] = _template("gradescope_run_autograder")
    return files, points, removed


def _stubs() -> dict[str, str]:
    """Every exercise's stub, generated from the kit's solutions/ (never its exercises/)."""
    try:
        stubs = generate_stubs(KIT_ROOT / "solutions")
    except FenceError as error:
        raise ReleaseError(f"a stub cannot be generated: {error}") from None
    missing = [e.filename for e in exercises() if e.available and e.filename not in stubs]
    if missing:
        raise ReleaseError(
            f"solutions/ has no reference for {', '.join(missing)}: every exercise's stub is "
            "generated from its fenced reference"
        )
    return stubs


def missing_instructor_kit(root: Path = KIT_ROOT) -> str:
    """A plain message when `root` is a student release (no solutions/), else ""."""
    if (root / "solutions").is_dir():
        return ""
    return (
        "grade selfcheck needs the instructor kit: it grades the reference solutions in "
        f"solutions/, and {root} is a student release without them"
    )


# ---------------------------------------------------------------- the folder


def _check_outdir(outdir: Path, force: bool) -> None:
    if KIT_ROOT.is_relative_to(outdir) or any(
        outdir.is_relative_to(source) for source in (PACKAGE, KIT_ROOT / "exercises")
    ):
        raise ReleaseError(
            f"a release cannot be written over the kit: {outdir} is the kit, holds it, or is "
            "inside its grader/ or exercises/; choose another folder"
        )
    if outdir.exists() and not outdir.is_dir():
        raise ReleaseError(f"{outdir} is a file, not a folder")
    if outdir.is_dir() and any(outdir.iterdir()) and not force:
        raise ReleaseError(
            f"{outdir} is not empty: choose an empty folder, or pass --force to write the "
            "release over it (an earlier release's files are replaced, other files are kept)"
        )


def _remove_owned(outdir: Path) -> None:
    for relative in OWNED:
        path = outdir / relative
        if path.is_symlink() or path.is_file():
            path.unlink()
        elif path.is_dir():
            shutil.rmtree(path)


def _package_files() -> list[Path]:
    """The grader package's files, without caches (and without pristine stubs: a release
    writes its own, generated from solutions/)."""
    skipped = SKIPPED_PARTS | {PRISTINE.name}
    return [
        path
        for path in sorted(PACKAGE.rglob("*"))
        if path.is_file()
        and path.suffix not in SKIPPED_SUFFIXES
        and not skipped.intersection(path.relative_to(PACKAGE).parts)
    ]


# ---------------------------------------------------------------- public checks


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


# ---------------------------------------------------------------- written files


def _template(name: str) -> str:
    return (
        resources.files("grader.instructor.release").joinpath("templates", name).read_text("utf-8")
    )


def _fill(template: str, **values) -> str:
    """The template with each {{name}} replaced by values[name]."""
    return _PLACEHOLDER.sub(lambda match: str(values[match.group(1)]), template)


def student_readme(points: dict[int, float], keep_hidden: bool) -> str:
    """The release's README.md: install, grade, the exercises and their points, hidden checks."""
    rows = []
    for exercise in exercises():
        here = f"{points[exercise.number]:g}" if exercise.number in points else "not available yet"
        rows.append(
            f"| {exercise.number} | {exercise.title} | `exercises/{exercise.filename}` "
            f"| {here} | {exercise.points} |"
        )
    if keep_hidden:
        note = (
            "This kit includes the checks an instructor would keep hidden too. Only the "
            "checks that time your code against the reference solution are left out (the "
            "reference is not included), so an exercise may be worth a little less here "
            "than in the last column."
        )
    else:
        note = (
            "The checks here are the public ones. Your instructor also runs hidden checks "
            "after the deadline -- edge cases, numerical stability, speed, statistics -- "
            "worth the rest of each exercise's points (the last column). Passing everything "
            "here is necessary, not sufficient: test the edge cases yourself."
        )
    return _fill(_template("student_README.md"), exercise_rows="\n".join(rows), hidden_note=note)


def classroom_workflow(points: dict[int, float]) -> str:
    """The GitHub Classroom workflow: one step per exercise in `points`, then the reporter."""
    steps, env, ids = [], [], []
    for exercise in exercises():
        if exercise.number not in points:
            continue
        step_id = f"ex{exercise.number:02d}"
        minutes = math.ceil(exercise.time_limit_s / 60) + STEP_OVERHEAD_MINUTES
        steps.append(
            _fill(
                _template("classroom_step.yml"),
                name=json.dumps(f"Exercise {exercise.number}: {exercise.title}"),
                id=step_id,
                minutes=minutes,
                max_score=f"{points[exercise.number]:g}",
                number=exercise.number,
            )
        )
        env.append(
            f'          {step_id.upper()}_RESULTS: "${{{{ steps.{step_id}.outputs.result }}}}"'
        )
        ids.append(step_id)
    return _fill(
        _template("classroom.yml"),
        steps="".join(steps).rstrip("\n"),
        reporter_env="\n".join(env),
        runners=",".join(ids),
    )
