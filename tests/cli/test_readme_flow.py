"""The README's workflow as a new user runs it, through the real `grade` command.

The quick start's commands; `grade reset` on a solved exercise in the kit's own
exercises/ and in a student release; `grade list` and `grade exercise` counting
the same points in a release; and the kit's own tests passing in a fresh clone
after the README's first command has written a learner's progress into it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from click.testing import CliRunner
from kit_copy import KIT_ROOT, copy_kit, run_grade

from grader.cli import main
from grader.course.points import check_points
from grader.course.registry import exercises, get_exercise
from grader.course.stubs import make_stub, write_stubs
from grader.learner.progress import STATE_FILE

FIRST_COMMAND = (
    'python3 -m venv .venv && . .venv/bin/activate && pip install -e ".[dev]" && grade exercise 1'
)
LEARNER_COMMANDS = ["list", "watch", "hint", "reset"]
# The tests that read or write a learner's folder, the kit's stubs or the datasets: they
# must pass whatever a learner has left in the kit's exercises/.
STATE_SENSITIVE = [
    "tests/learner/test_progress.py",
    "tests/course/test_stubs.py",
    "tests/engine/test_data.py",
    "tests/engine/test_hints.py",
    "tests/cli/test_cli.py::test_exercise_on_stubs_scores_zero_and_exits_1",
    "tests/cli/test_cli.py::test_text_report_has_table_and_score_line",
    "tests/cli/test_cli.py::test_list_shows_every_exercise",
    "tests/cli/test_cli.py::test_selfcheck_one_exercise",
    "tests/meta/test_selfcheck.py::test_selfcheck_reports_a_healthy_exercise",
    "tests/meta/test_selfcheck.py::test_stubs_fail_every_check[1]",
    "tests/cli/test_readme_flow.py::test_the_quick_start_keeps_its_two_commands_then_says_what_to_run",
]
REGISTRY_UNREACHABLE = ("No matching distribution", "Could not find a version", "NewConnection")


def quick_start() -> str:
    """README.md from its start to its first section."""
    text = (KIT_ROOT / "README.md").read_text("utf-8")
    return text[: text.index("\n## ")]


def bash_blocks(text: str) -> list[list[str]]:
    """The lines of each ```bash block of `text`."""
    return [block.strip().splitlines() for block in re.findall(r"```bash\n(.*?)```", text, re.S)]


def table_rows(output: str) -> dict[str, list[str]]:
    """`grade list`'s rows by exercise number: the cells of each row."""
    rows = {}
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.split("│")[1:-1]]
        if cells and cells[0].removeprefix("→ ").isdigit():
            rows[cells[0].removeprefix("→ ")] = cells
    return rows


# ---------------------------------------------------------------- the quick start


def test_the_quick_start_keeps_its_two_commands_then_says_what_to_run():
    blocks = bash_blocks(quick_start())
    assert blocks[0] == [FIRST_COMMAND, "pytest"], "CI and the fresh-clone test run these two"
    assert len(blocks) >= 2, "the quick start must say what a learner runs after installing"
    learner = [line.split("#")[0].split() for line in blocks[1]]
    assert [words[:2] for words in learner] == [["grade", name] for name in LEARNER_COMMANDS]
    assert "pytest" not in "\n".join(blocks[1])
    for name in LEARNER_COMMANDS:
        assert CliRunner().invoke(main, [name, "--help"]).exit_code == 0, name


# ---------------------------------------------------------------- reset, list, exercise


@pytest.fixture(scope="module")
def kit(tmp_path_factory) -> Path:
    """An instructor's kit (a copy): solutions/ and an exercises/ of untouched stubs."""
    return copy_kit(tmp_path_factory.mktemp("kit") / "nnlab")


@pytest.fixture(scope="module")
def student(kit, tmp_path_factory) -> Path:
    """A student release written by `grade release` from the kit."""
    outdir = tmp_path_factory.mktemp("release") / "nnlab-student"
    done = run_grade(kit, "release", str(outdir))
    assert done.returncode == 0, done.stderr
    assert not (outdir / "solutions").exists()
    return outdir


def solve(folder: Path, kit: Path, number: int) -> tuple[Path, str]:
    """Write the reference of exercise `number` into `folder`/exercises; (its path, its text)."""
    name = get_exercise(number).filename
    solved = (kit / "solutions" / name).read_text("utf-8")
    mine = folder / "exercises" / name
    mine.write_text(solved, "utf-8")
    return mine, solved


def test_reset_puts_the_stub_back_on_a_solved_exercise_in_the_kit(kit):
    mine, solved = solve(kit, kit, 1)
    graded = run_grade(kit, "exercise", "1")
    assert graded.returncode == 0 and "Score: 12/12" in graded.stdout, graded.stdout[-2000:]
    done = run_grade(kit, "reset", "1")
    assert done.returncode == 0, done.stderr
    assert mine.read_text("utf-8") == make_stub(solved)
    (backup,) = mine.parent.glob(f"{mine.name}.bak-*")
    assert backup.read_text("utf-8") == solved and backup.name in done.stdout
    row = table_rows(run_grade(kit, "list").stdout)["1"]
    assert row[3] == "-/12", "after a reset the exercise reads as not attempted"
    again = run_grade(kit, "reset", "1")
    assert again.returncode == 0, again.stderr
    assert "is already the untouched stub of exercise 1" in again.stdout
    assert list(mine.parent.glob(f"{mine.name}.bak-*")) == [backup]


def test_a_release_counts_the_public_points_in_list_and_exercise_and_resets(student, kit):
    exercise = get_exercise(1)
    public = check_points((student / "grader" / "checks" / exercise.check_file.name).read_text())
    assert public < exercise.points, "exercise 1 has hidden checks: the test would prove little"
    rows = table_rows(run_grade(student, "list").stdout)
    for record in exercises():
        shipped = student / "grader" / "checks" / record.check_file.name
        assert rows[str(record.number)][3] == f"-/{check_points(shipped.read_text()):g}"
    mine, solved = solve(student, kit, 1)
    graded = run_grade(student, "exercise", "1")
    assert graded.returncode == 0, graded.stdout[-2000:]
    assert f"Score: {public:g}/{public:g}" in graded.stdout
    assert table_rows(run_grade(student, "list").stdout)["1"][3] == f"{public:g}/{public:g} ✓"
    done = run_grade(student, "reset", "1")
    assert done.returncode == 0, done.stderr
    pristine = student / "grader" / "pristine" / mine.name
    assert mine.read_text("utf-8") == pristine.read_text("utf-8") == make_stub(solved)
    (backup,) = mine.parent.glob(f"{mine.name}.bak-*")
    assert backup.read_text("utf-8") == solved
    assert table_rows(run_grade(student, "list").stdout)["1"][3] == f"-/{public:g}"


# ---------------------------------------------------------------- a fresh clone


def fresh_clone(tmp_path: Path) -> Path:
    """A fresh clone of the kit as its working tree would be committed: the files git tracks
    or would track, with exercises/ generated from solutions/ (the kit's own may hold a
    learner's work). Skips when the kit is not a git checkout."""
    if shutil.which("git") is None or not (KIT_ROOT / ".git").exists():
        pytest.skip("the kit is not a git checkout: there is no clone to make")
    files = ["ls-files", "-z", "--cached", "--others", "--exclude-standard"]
    listed = subprocess.run(
        ["git", "-C", str(KIT_ROOT), *files], capture_output=True, check=True
    ).stdout.decode()
    snapshot = tmp_path / "snapshot"
    for relative in filter(None, listed.split("\0")):
        source = KIT_ROOT / relative
        if source.is_file() and not relative.startswith("exercises/"):
            (snapshot / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, snapshot / relative)
    (snapshot / "exercises").mkdir()
    write_stubs(snapshot / "solutions", snapshot / "exercises")
    git = ["git", "-c", "user.name=nnlab", "-c", "user.email=nnlab@invalid", "-C", str(snapshot)]
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "snapshot"]):
        subprocess.run(git + command, check=True, capture_output=True)
    clone = tmp_path / "nnlab"
    subprocess.run(["git", "clone", "-q", str(snapshot), str(clone)], check=True)
    return clone


def readme_first_command(clone: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run the README's first command in `clone`; returns `grade exercise 1`'s process.

    Exactly its steps, with two changes that keep the test offline and light: the venv
    sees this interpreter's installed packages (TensorFlow and the rest) through a .pth
    file, and pip installs the clone with --no-deps.
    """
    steps = FIRST_COMMAND.split(" && ")
    assert steps[0] == "python3 -m venv .venv" and steps[2] == 'pip install -e ".[dev]"'
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    dependencies = Path(sysconfig.get_paths()["purelib"])
    script = "\n".join(
        [
            "set -e",
            f"{sys.executable} -m venv .venv",
            f"echo {dependencies} > .venv/lib/{version}/site-packages/nnlab-dependencies.pth",
            steps[1],
            steps[2].replace("pip install", "pip install --quiet --no-deps"),
        ]
    )
    installed = subprocess.run(
        ["bash", "-c", script], cwd=clone, env=env, capture_output=True, text=True, timeout=900
    )
    if installed.returncode and any(s in installed.stderr for s in REGISTRY_UNREACHABLE):
        pytest.skip(f"pip reached no package registry for the build: {installed.stderr[-500:]}")
    assert installed.returncode == 0, installed.stderr[-3000:]
    return learner(clone, env, steps[3])


def learner(clone: Path, env: dict[str, str], command: str) -> subprocess.CompletedProcess:
    """`command` run in `clone` with its virtual environment active."""
    return subprocess.run(
        ["bash", "-c", f". .venv/bin/activate && {command}"],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def folder_state(folder: Path) -> dict[str, bytes]:
    """Every file of `folder` with its bytes."""
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir()) if path.is_file()}


@pytest.mark.slow
def test_the_kits_tests_pass_after_the_readme_first_command_in_a_fresh_clone(tmp_path):
    clone = fresh_clone(tmp_path)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["NNLAB_LANG"] = "en"
    first = readme_first_command(clone, env)
    assert first.returncode == 1 and "Score: 0/12" in first.stdout, first.stdout[-2000:]
    exercises_dir = clone / "exercises"
    assert (exercises_dir / STATE_FILE).is_file(), "the first command records the learner's grade"
    # Then a learner's day: exercise 1 solved, exercise 2 tried and reset, a hint revealed.
    solve(clone, clone, 1)
    (exercises_dir / "ex02_activations.py").write_text("def relu(x):\n    return x\n")
    for command in ("grade exercise 1", "grade reset 2", "grade hint 3"):
        done = learner(clone, env, command)
        assert done.returncode == 0, (command, done.stdout[-2000:], done.stderr[-2000:])
    assert list(exercises_dir.glob("ex02_activations.py.bak-*"))
    before = folder_state(exercises_dir)
    status = ["git", "-C", str(clone), "status", "--porcelain"]
    assert subprocess.run(status, capture_output=True, text=True).stdout.split() == [
        "M",
        "exercises/ex01_tensors.py",
    ]
    tests = learner(clone, env, "python -m pytest -q " + " ".join(STATE_SENSITIVE))
    assert tests.returncode == 0, tests.stdout[-5000:]
    assert re.search(r"\d+ passed", tests.stdout) and "failed" not in tests.stdout
    assert folder_state(exercises_dir) == before, "a test changed the learner's exercises/"
    after = subprocess.run(status, capture_output=True, text=True).stdout.split()
    assert after == ["M", "exercises/ex01_tensors.py"], "a test left files in the kit"
