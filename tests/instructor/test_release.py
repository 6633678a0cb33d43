"""The student release: public checks only, no solution text, and it grades on its own."""

import ast
import base64
import builtins
import json
import os
import shutil
import subprocess
import symtable
import sys
from pathlib import Path

import pytest
import yaml  # installed with the dev extra (dask[distributed] requires it)
from click.testing import CliRunner
from kit_copy import copy_kit, run_grade

from grader.cli import main
from grader.course.points import check_points
from grader.course.registry import exercises, get_exercise
from grader.course.stubs import generate_stubs, make_stub
from grader.instructor.gradescope import autograder_paths, submission_folder
from grader.instructor.release import build as release
from grader.instructor.release.build import ReleaseError, build_release

EXERCISE = 3
FORBIDDEN = ("solutions", "tests", "bench", ".git")

# Run inside the release (cwd and PYTHONPATH): grade exercise 3 of the kit's solutions
# and of the release's stubs, and say which grader did it.
GRADE_IN_RELEASE = """
import json, sys
from pathlib import Path
import grader
from grader.course.registry import get_exercise
from grader.engine.renderers import classroom_results
from grader.engine.runner import grade_exercise

result = {"grader": grader.__file__, "checks": str(get_exercise(3).check_file)}
for name, folder in (("solutions", sys.argv[1]), ("stubs", sys.argv[2])):
    report = grade_exercise(3, Path(folder))
    result[name] = report.to_dict()
    result[name + "_classroom"] = classroom_results(report)
print(json.dumps(result))
"""


def _decorated_hidden(node: ast.stmt) -> bool:
    return isinstance(node, ast.FunctionDef) and any(
        isinstance(d, ast.Name) and d.id == "hidden" for d in node.decorator_list
    )


def _hidden_checks(kit_root: Path) -> list[tuple[Path, ast.FunctionDef, str]]:
    """(check file, hidden test, its source with decorators) for every hidden check of the kit."""
    found = []
    for path in sorted((kit_root / "grader" / "checks").glob("test_*.py")):
        source = path.read_text("utf-8")
        lines = source.splitlines(keepends=True)
        for node in ast.parse(source).body:
            if _decorated_hidden(node):
                text = "".join(lines[node.decorator_list[0].lineno - 1 : node.end_lineno])
                found.append((path, node, text))
    return found


def _texts(folder: Path) -> dict[Path, str]:
    return {
        path: path.read_text("utf-8", errors="replace")
        for path in folder.rglob("*")
        if path.is_file()
    }


def _public_kit_text(kit_root: Path) -> str:
    """All of the kit's grader package as text, with its hidden checks cut out."""
    text = "\n".join(_texts(kit_root / "grader").values())
    for _, _, hidden in _hidden_checks(kit_root):
        text = text.replace(hidden, "")
    return text


def _solution_lines(kit_root: Path) -> set[str]:
    """Lines of the solutions' function bodies, longer than 30 characters, not in the stubs."""
    lines = set()
    for solution in sorted((kit_root / "solutions").glob("ex[0-9][0-9]_*.py")):
        source = solution.read_text("utf-8")
        stub = make_stub(source)
        source_lines = source.splitlines()
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef):
                for line in source_lines[node.body[0].lineno - 1 : node.end_lineno]:
                    if len(line.strip()) > 30 and line.strip() not in stub:
                        lines.add(line.strip())
    return lines


def _undefined_globals(source: str) -> set[str]:
    """Module-level names the source reads but never defines or imports (a NameError to be)."""
    module = symtable.symtable(source, "<check>", "exec")
    defined = {s.get_name() for s in module.get_symbols() if s.is_assigned() or s.is_imported()}
    defined |= set(dir(builtins))
    missing, scopes = set(), [module]
    while scopes:
        scope = scopes.pop()
        scopes.extend(scope.get_children())
        missing |= {
            s.get_name()
            for s in scope.get_symbols()
            if s.is_referenced() and s.is_global() and s.get_name() not in defined
        }
    return missing


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    outdir = tmp_path_factory.mktemp("release")
    return outdir, build_release(outdir)


@pytest.fixture(scope="module")
def graded_in_release(built, kit_root):
    outdir, _ = built
    completed = subprocess.run(
        [sys.executable, "-c", GRADE_IN_RELEASE, str(kit_root / "solutions"), "exercises"],
        cwd=outdir,
        env={**os.environ, "PYTHONPATH": str(outdir)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- which checks are hidden


def test_every_check_using_the_reference_is_hidden(kit_root):
    using = [
        (node.name, _decorated_hidden(node))
        for _, node in _taking_the_reference(kit_root)
        if node.name.startswith("test_")  # helpers of hidden checks may take it too
    ]
    assert using, "no check uses the reference: this test would prove nothing"
    assert [name for name, hidden in using if not hidden] == []


def _taking_the_reference(kit_root: Path) -> list[tuple[Path, ast.FunctionDef]]:
    """(check file, function) for every top-level function of the check files that takes
    the `reference` fixture: checks, and helpers of hidden checks."""
    found = []
    for path in sorted((kit_root / "grader" / "checks").glob("test_*.py")):
        for node in ast.parse(path.read_text("utf-8")).body:
            if isinstance(node, ast.FunctionDef) and "reference" in [a.arg for a in node.args.args]:
                found.append((path, node))
    return found


def test_each_exercise_keeps_most_of_its_points_public_and_capstones_all(built):
    _, summary = built
    for exercise in exercises():
        share = summary.points[exercise.number] / exercise.points
        if exercise.is_capstone:
            assert share == 1.0, exercise.number
        else:
            assert 0.6 <= share <= 0.75, (exercise.number, share)


# ---------------------------------------------------------------- what the release holds


def test_release_holds_the_student_files_and_nothing_of_the_instructors(built):
    outdir, summary = built
    for relative in (
        "README.md",
        "pyproject.toml",
        "exercises/ex03_softmax_losses.py",
        "grader/cli.py",
        "grader/course/curriculum.toml",
        "grader/instructor/release/templates/student_README.md",
        "grader/checks/conftest.py",
        ".github/workflows/classroom.yml",
        "gradescope/setup.sh",
        "gradescope/run_autograder",
    ):
        assert (outdir / relative).is_file(), relative
    assert os.access(outdir / "gradescope" / "run_autograder", os.X_OK)
    for name in FORBIDDEN:
        assert not (outdir / name).exists(), name
    caches = [p for p in outdir.rglob("*") if p.name == "__pycache__" or p.suffix == ".pyc"]
    assert caches == []
    assert sorted(str(p.relative_to(outdir)) for p in outdir.rglob("*") if p.is_file()) == list(
        summary.files
    )
    readme = (outdir / "README.md").read_text("utf-8")
    for words in ("pip install -e .", "grade exercise 1", "grade list", "hidden checks"):
        assert words in readme
    for command in ("grade watch", "grade hint 1", "grade reset 1"):
        assert f"\n{command} " in readme, f"the student README does not list {command}"


def test_release_generates_its_stubs_and_ships_them_read_only_for_reset(built, kit_root):
    outdir, _ = built
    generated = generate_stubs(kit_root / "solutions")
    assert {e.filename for e in exercises()} <= set(generated)
    for folder in ("exercises", "grader/pristine"):
        shipped = {p.name: p.read_text("utf-8") for p in (outdir / folder).glob("ex*.py")}
        assert shipped == generated, folder
    assert {p.stat().st_mode & 0o777 for p in (outdir / "grader/pristine").iterdir()} == {0o444}


def test_a_solved_module_in_the_kits_exercises_never_reaches_the_release(tmp_path):
    """An instructor who worked exercises 1, 3 and 5 in the kit's own exercises/ releases."""
    kit = copy_kit(tmp_path / "kit")
    planted = {}
    for number in (1, 3, 5):
        name = get_exercise(number).filename
        marker = f"# worked by the instructor {number}: planted-{number * 7919}\n"
        planted[name] = (kit / "solutions" / name).read_text("utf-8") + marker
        (kit / "exercises" / name).write_text(planted[name], "utf-8")
    done = run_grade(kit, "release", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    out = tmp_path / "out"
    generated = generate_stubs(kit / "solutions")
    for name in planted:
        assert (out / "exercises" / name).read_text("utf-8") == generated[name], name
        assert (out / "grader" / "pristine" / name).read_text("utf-8") == generated[name], name
    texts = _texts(out)
    leaks = [str(p) for p, text in texts.items() if "planted-" in text]
    assert leaks == [], "a planted module reached the release"


def test_release_needs_the_instructor_kits_solutions(tmp_path, monkeypatch):
    kit = tmp_path / "student-kit"
    (kit / "exercises").mkdir(parents=True)
    (kit / "pyproject.toml").write_text("")
    monkeypatch.setattr(release, "KIT_ROOT", kit)
    with pytest.raises(ReleaseError, match="needs the instructor kit.*solutions"):
        build_release(tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_release_has_no_solution_text(built, kit_root):
    outdir, _ = built
    solution_lines = _solution_lines(kit_root)
    assert len(solution_lines) > 100, "too few solution lines: this test would prove little"
    # A line the grader's public code also holds (an oracle such as TensorFlow's SAME
    # padding rule) is the grader's own; every other solution line must be absent.
    public_grader = _public_kit_text(kit_root)
    texts = _texts(outdir)
    leaks = [
        (str(path.relative_to(outdir)), line)
        for line in solution_lines
        if line not in public_grader
        for path, text in texts.items()
        if line in text
    ]
    assert leaks == []


def test_release_has_no_hidden_check_text(built, kit_root):
    outdir, summary = built
    hidden = _hidden_checks(kit_root)
    assert {f"{path.name}::{node.name}" for path, node, _ in hidden} == set(summary.removed)
    assert {path.name for path, _, _ in hidden} >= {
        get_exercise(n).check_file.name for n in range(1, 12)
    }
    texts = _texts(outdir)
    public = _public_kit_text(kit_root)
    for _, node, text in hidden:
        own_lines = {
            line.strip()
            for line in text.splitlines()
            if len(line.strip()) > 30 and line.strip() not in public
        }
        for release_path, release_text in texts.items():
            where = (node.name, str(release_path.relative_to(outdir)))
            assert text not in release_text, where
            assert f"def {node.name}(" not in release_text, where
            assert [line for line in own_lines if line in release_text] == [], where


def test_rewritten_checks_define_every_name_they_use(built, kit_root):
    outdir, _ = built
    assert _undefined_globals("def f():\n    return g()\n") == {"g"}  # the helper can fail
    for path in sorted((outdir / "grader" / "checks").glob("*.py")):
        assert _undefined_globals(path.read_text("utf-8")) == set(), path.name
    conftest = (outdir / "grader" / "checks" / "conftest.py").read_text("utf-8")
    assert "def reference(" not in conftest and "solutions_path" not in conftest


def test_check_points_adds_up_the_points_of_tests():
    source = "@points(2)\ndef test_a(): pass\n@points(3)\ndef test_b(): pass\ndef helper(): pass\n"
    assert check_points(source) == 5.0


# ---------------------------------------------------------------- the release grades on its own


def test_release_grader_gives_solutions_full_public_marks_and_stubs_zero(
    built, graded_in_release, kit_root
):
    outdir, summary = built
    for key in ("grader", "checks"):
        assert Path(graded_in_release[key]).is_relative_to(outdir), graded_in_release[key]
    solutions, stubs = graded_in_release["solutions"], graded_in_release["stubs"]
    public = summary.points[EXERCISE]
    assert public < get_exercise(EXERCISE).points
    assert solutions["score"] == solutions["max_score"] == public
    assert {c["status"] for c in solutions["checks"]} == {"passed"}
    assert all(c["visible"] for c in solutions["checks"])
    hidden_names = {
        node.name.removeprefix("test_")
        for path, node, _ in _hidden_checks(kit_root)
        if path.name == get_exercise(EXERCISE).check_file.name
    }
    assert hidden_names and not hidden_names & {c["name"] for c in solutions["checks"]}
    assert stubs["score"] == 0 and stubs["max_score"] == public


def test_classroom_result_carries_partial_points(graded_in_release):
    for name in ("solutions", "stubs"):
        report, result = graded_in_release[name], graded_in_release[f"{name}_classroom"]
        assert result["version"] == 1 and result["max_score"] == report["max_score"]
        assert sum(t["score"] for t in result["tests"]) == report["score"]
        assert len(result["tests"]) == len(report["checks"])
    assert graded_in_release["solutions_classroom"]["status"] == "pass"
    assert {t["status"] for t in graded_in_release["stubs_classroom"]["tests"]} == {"fail"}


def test_selfcheck_in_a_release_says_it_needs_the_instructor_kit(built):
    outdir, _ = built
    completed = subprocess.run(
        [sys.executable, "-m", "grader.cli", "selfcheck", "1"],
        cwd=outdir,
        env={**os.environ, "PYTHONPATH": str(outdir)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 1
    assert "needs the instructor kit" in completed.stderr
    assert "Traceback" not in completed.stderr


def test_keep_hidden_keeps_every_check_that_can_run_without_solutions(tmp_path, kit_root):
    summary = build_release(tmp_path / "kit", keep_hidden=True)
    checks = kit_root / "grader" / "checks"
    # The check files and their conftest; the toolkit beside them ships unchanged.
    for path in [*sorted(checks.glob("test_*.py")), checks / "conftest.py"]:
        copied = (tmp_path / "kit" / "grader" / "checks" / path.name).read_text("utf-8")
        if "reference" not in path.read_text("utf-8"):
            assert copied == path.read_text("utf-8"), path.name
        assert "def reference(" not in copied and "reference)" not in copied, path.name
    needing = {f"{path.name}::{node.name}" for path, node in _taking_the_reference(kit_root)}
    assert summary.removed and set(summary.removed) == needing
    assert not (tmp_path / "kit" / "solutions").exists()
    assert "keep hidden too" in (tmp_path / "kit" / "README.md").read_text("utf-8")


# ---------------------------------------------------------------- the command


def test_release_refuses_a_non_empty_folder_unless_forced(tmp_path):
    runner = CliRunner()
    (tmp_path / "notes.txt").write_text("mine")
    result = runner.invoke(main, ["release", str(tmp_path)])
    assert result.exit_code == 2, "a folder that is not empty is a usage error"
    assert "is not empty" in result.output and "--force" in result.output
    assert not (tmp_path / "README.md").exists()
    result = runner.invoke(main, ["release", str(tmp_path), "--force"])
    assert result.exit_code == 0, result.output
    assert "hidden checks left out" in result.output
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert (tmp_path / "grader" / "checks" / "conftest.py").is_file()


def test_release_refuses_to_write_over_the_kit(tmp_path, monkeypatch):
    kit = tmp_path / "kit"
    (kit / "exercises").mkdir(parents=True)
    (kit / "README.md").write_text("the kit")
    monkeypatch.setattr(release, "KIT_ROOT", kit)
    for outdir in (kit, tmp_path, kit / "exercises" / "out"):
        with pytest.raises(ReleaseError, match="cannot be written over the kit"):
            build_release(outdir, force=True)
    assert (kit / "README.md").read_text() == "the kit"


# ---------------------------------------------------------------- GitHub Classroom


def test_classroom_workflow_has_one_step_per_exercise_with_its_points(built):
    outdir, summary = built
    workflow = yaml.safe_load((outdir / ".github/workflows/classroom.yml").read_text("utf-8"))
    assert "push" in workflow["on"]
    steps = workflow["jobs"]["run-autograding-tests"]["steps"]
    setup = next(s for s in steps if s.get("uses", "").startswith("actions/setup-python"))
    assert setup["with"]["python-version"] == "3.11"
    assert any(s.get("run") == "pip install -e ." for s in steps)
    graded = [s for s in steps if s.get("id", "").startswith("ex")]
    in_course_order = [e.number for e in exercises() if e.number in summary.points]
    assert [s["id"] for s in graded] == [f"ex{n:02d}" for n in in_course_order]
    for step in graded:
        number = int(step["id"][2:])
        assert float(step["env"]["MAX_SCORE"]) == summary.points[number]
        assert f"grade exercise {number} --format classroom" in step["run"]
        assert '>> "$GITHUB_OUTPUT"' in step["run"]
    reporter = steps[-1]
    assert reporter["uses"] == "classroom-resources/autograding-grading-reporter@v1"
    assert reporter["with"]["runners"] == ",".join(s["id"] for s in graded)
    for step in graded:
        value = reporter["env"][f"{step['id'].upper()}_RESULTS"]
        assert value == f"${{{{ steps.{step['id']}.outputs.result }}}}"


def test_classroom_step_reports_zero_of_its_points_when_the_grader_cannot_run(built, tmp_path):
    outdir, summary = built
    workflow = yaml.safe_load((outdir / ".github/workflows/classroom.yml").read_text("utf-8"))
    step = next(s for s in workflow["jobs"]["run-autograding-tests"]["steps"] if s.get("id"))
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "grade").write_text("#!/bin/sh\nexit 1\n")  # a grader that crashed: no output
    (fake / "grade").chmod(0o755)
    output = tmp_path / "github_output"
    env = {
        "PATH": f"{fake}:{os.environ['PATH']}",
        "GITHUB_OUTPUT": str(output),
        **step["env"],
    }
    subprocess.run(["bash", "-e", "-c", step["run"]], cwd=tmp_path, env=env, check=True)
    encoded = output.read_text().strip().removeprefix("result=")
    result = json.loads(base64.b64decode(encoded))
    assert result["status"] == "error" and result["tests"][0]["score"] == 0
    assert result["max_score"] == summary.points[int(step["id"][2:])]


# ---------------------------------------------------------------- Gradescope


def test_gradescope_format_uses_the_autograder_layout(tmp_path, kit_root, monkeypatch):
    root = tmp_path / "autograder"
    (root / "submission" / "exercises").mkdir(parents=True)
    shutil.copy(kit_root / "solutions" / "ex01_tensors.py", root / "submission" / "exercises")
    monkeypatch.setenv("NNLAB_AUTOGRADER_ROOT", str(root))
    result = CliRunner().invoke(main, ["exercise", "1", "--format", "gradescope"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == ""
    results = json.loads((root / "results" / "results.json").read_text("utf-8"))
    assert results["score"] == results["max_score"] == get_exercise(1).points
    visibility = {t["visibility"] for t in results["tests"]}
    assert visibility == {"visible", "after_published"}


def test_gradescope_submission_may_be_nested_in_a_folder(tmp_path, monkeypatch):
    exercise = get_exercise(EXERCISE)
    submission = tmp_path / "submission"
    nested = submission / "my-repo" / "exercises"
    nested.mkdir(parents=True)
    (nested / exercise.filename).write_text("")
    assert submission_folder(submission, exercise) == nested
    (submission / exercise.filename).write_text("")
    assert submission_folder(submission, exercise) == submission
    assert submission_folder(tmp_path / "empty", exercise) == tmp_path / "empty"
    monkeypatch.setenv("NNLAB_AUTOGRADER_ROOT", str(tmp_path / "absent"))
    assert autograder_paths(EXERCISE) is None
