"""The student distribution: what `grade release OUTDIR` writes.

A release holds the stubs (exercises/), the grader package with every check
file rewritten so that its hidden checks are gone, pyproject.toml, a README
for students, a GitHub Classroom workflow and Gradescope templates. It never
holds solutions/, tests/, bench/, .git or caches.

The stubs are generated from the fenced references in solutions/ (grader.course.stubs),
never copied from the kit's exercises/, which is an instructor's working copy
and may hold their answers. The same stubs are shipped read-only in
grader/pristine/, where `grade reset` finds them without solutions/.

Hidden checks are removed from the check modules' syntax trees by
grader/instructor/release/strip.py; this module writes the folder.
"""

from __future__ import annotations

import json
import math
import re
import shutil
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from grader.course.paths import CHECKS, KIT_ROOT, PACKAGE, PRISTINE
from grader.course.points import check_points
from grader.course.registry import exercises
from grader.course.stubs import FenceError, generate_stubs
from grader.instructor.release.strip import public_checks

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
