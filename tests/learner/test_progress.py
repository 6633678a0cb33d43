"""A learner's progress file, `grade list` and `grade reset`."""

import json
import shutil

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.course.points import points_checked
from grader.course.registry import exercises, get_exercise
from grader.course.stubs import pristine_stub
from grader.engine.report import CheckResult, Report
from grader.learner.progress import STATE_FILE, Progress, learner_folder
from grader.learner.reset import ResetRefused, restore_stub


@pytest.fixture
def runner():
    return CliRunner(env={"NNLAB_LANG": "en"})


@pytest.fixture
def folder(tmp_path, pristine_stubs):
    """A learner's copy of the untouched stubs (never of the kit's exercises/, which may hold
    a learner's progress, backups and answers)."""
    return shutil.copytree(pristine_stubs, tmp_path / "exercises")


def graded(number: int, points: list[float]) -> Report:
    checks = [
        CheckResult(f"check_{i}", "passed" if p else "failed", p, 1.0) for i, p in enumerate(points)
    ]
    return Report(exercise=number, title="", checks=checks)


def test_the_best_score_is_kept_and_a_pass_is_never_lost(folder):
    progress = Progress.load(folder)
    progress.record(graded(1, [1, 0, 0]))
    progress.record(graded(1, [1, 1, 1]))
    progress.record(graded(1, [0, 0, 0]))
    progress.save()
    entry = Progress.load(folder).get(1)
    assert (entry.best_score, entry.max_score, entry.passed) == (3, 3, True)


def test_the_file_is_written_atomically_and_is_plain_json(folder):
    progress = Progress.load(folder)
    progress.record(graded(2, [1, 0]))
    progress.save()
    assert [p.name for p in folder.iterdir() if "progress" in p.name] == [STATE_FILE]
    data = json.loads((folder / STATE_FILE).read_text())
    assert data["exercises"]["2"]["best_score"] == 1


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        "[]",
        '{"format_version": 1, "exercises": {"1": {"passed": "x"}}}',
        b"\xff\xfe\x00garbage",
    ],
)
def test_a_corrupt_file_is_ignored_with_a_warning_and_rewritten(folder, content):
    (folder / STATE_FILE).write_bytes(content if isinstance(content, bytes) else content.encode())
    progress = Progress.load(folder)
    assert progress.exercises == {} and "could not be read" in progress.warning
    progress.reveal_hint(3)
    progress.save()
    assert Progress.load(folder).get(3).hints_revealed == 1


def test_deleting_the_file_forgets_progress(folder):
    progress = Progress.load(folder)
    progress.record(graded(1, [1]))
    progress.save()
    (folder / STATE_FILE).unlink()
    assert Progress.load(folder).next_exercise() == 1


def test_the_next_exercise_is_the_first_not_passed(folder):
    progress = Progress.load(folder)
    for number in (1, 2, 4):
        progress.record(graded(number, [1]))
    assert progress.next_exercise() == 3
    assert progress.next_exercise(after=3) == 16  # the course order, not the numbers'
    for number in (16, 17):
        progress.record(graded(number, [1]))
    assert progress.next_exercise(after=3) == 5
    assert progress.next_exercise(after=17) == 5
    assert progress.next_exercise(after=exercises()[-1].number) == 3  # from the last, around


def test_the_progress_of_a_checkout_is_kept_in_its_exercises_folder(folder):
    assert learner_folder(folder.parent) == folder
    assert learner_folder(folder) == folder


def test_grade_exercise_records_the_learners_own_folder_only(
    runner, folder, pristine_stubs, monkeypatch
):
    monkeypatch.chdir(folder.parent)
    result = runner.invoke(main, ["exercise", "1"])
    assert result.exit_code == 1 and "Score: 0/12" in result.output
    assert Progress.load(folder).get(1).max_score == 12
    # `grade list` counts the points `grade exercise` counted (in a release, the public ones:
    # tests/cli/test_readme_flow.py grades one through the CLI there).
    listed = runner.invoke(main, ["list"]).output.splitlines()
    assert "0/12" in next(line for line in listed if "Tensors and labels" in line)
    other = folder.parent / "other"
    shutil.copytree(pristine_stubs, other)
    runner.invoke(main, ["exercise", "1", "--submission", str(other)])
    assert not (other / STATE_FILE).exists(), "grading someone's folder must not write into it"


def test_list_shows_best_score_pass_and_the_next_exercise(runner, folder):
    progress = Progress.load(folder)
    progress.record(graded(1, [1, 1]))
    progress.record(graded(2, [1, 0, 0]))
    progress.save()
    result = runner.invoke(main, ["list", "--submission", str(folder)])
    assert result.exit_code == 0, result.output
    rows = {line.split("│")[1].strip(): line for line in result.output.splitlines() if "│" in line}
    assert "2/12 ✓" in rows["1"]
    assert "1/14" in rows["→ 2"] and "next to do" in rows["→ 2"] and "✓" not in rows["→ 2"]
    assert f"-/{points_checked(get_exercise(3)):g}" in rows["3"] and "ready" in rows["3"]


def test_list_warns_about_a_corrupt_file(runner, folder):
    (folder / STATE_FILE).write_text("{")
    result = runner.invoke(main, ["list", "--submission", str(folder)])
    assert result.exit_code == 0
    assert (
        "could not be read" in result.stderr and "starting a fresh progress file" in result.stderr
    )


def test_reset_restores_the_stub_and_keeps_a_backup(runner, folder):
    mine = folder / "ex02_activations.py"
    mine.write_text("def relu(x):\n    return x\n")
    progress = Progress.load(folder)
    progress.record(graded(2, [1]))
    progress.reveal_hint(2)
    progress.save()
    result = runner.invoke(main, ["reset", "2", "--submission", str(folder)])
    assert result.exit_code == 0, result.output
    assert mine.read_text() == pristine_stub(mine.name)
    (backup,) = folder.glob("ex02_activations.py.bak-*")
    assert backup.read_text() == "def relu(x):\n    return x\n"
    assert backup.name in result.output
    entry = Progress.load(folder).get(2)
    assert (entry.passed, entry.best_score, entry.hints_revealed) == (False, 0, 1)
    listed = runner.invoke(main, ["list", "--submission", str(folder)], env={"COLUMNS": "200"})
    row = next(line for line in listed.output.splitlines() if "ex02_activations.py" in line)
    assert "-/14" in row, "after a reset the exercise reads as not attempted, not 0 points"
    mine.write_text("def relu(x):\n    return 2 * x\n")  # a second try, reset in the same second
    runner.invoke(main, ["reset", "2", "--submission", str(folder)])
    backups = sorted(p.read_text() for p in folder.glob("ex02_activations.py.bak-*"))
    assert backups == ["def relu(x):\n    return 2 * x\n", "def relu(x):\n    return x\n"], (
        "a backup was overwritten"
    )


def test_reset_of_the_untouched_stub_says_so_and_changes_nothing(runner, folder):
    stub = folder / "ex02_activations.py"
    before = sorted(folder.iterdir())
    result = runner.invoke(main, ["reset", "2", "--submission", str(folder)])
    assert result.exit_code == 0, result.output
    assert "is already the untouched stub of exercise 2" in result.output
    assert stub.read_text() == pristine_stub(stub.name)
    assert sorted(folder.iterdir()) == before, "no backup, no progress file"


def test_reset_in_a_folder_that_does_not_exist_creates_nothing(runner, tmp_path):
    result = runner.invoke(main, ["reset", "1", "--submission", str(tmp_path / "nowhere")])
    assert result.exit_code == 2 and "does not exist" in result.output  # a usage error
    with pytest.raises(ResetRefused, match="is not a folder"):
        restore_stub(1, tmp_path / "nowhere")
    assert not (tmp_path / "nowhere").exists()


def test_reset_of_a_missing_file_just_puts_the_stub(runner, folder):
    (folder / "ex04_dense.py").unlink()
    result = runner.invoke(main, ["--lang", "zh", "reset", "4", "--submission", str(folder)])
    assert result.exit_code == 0 and "已把练习 4 的初始代码恢复到" in result.output
    assert (folder / "ex04_dense.py").is_file()


def test_cli_defaults_are_the_apis(runner, folder, monkeypatch):
    from grader.engine.runner import GradingOptions
    from grader.learner import grading

    seen = {}

    def fake_grade(number, submission=None, options=None, record=True):
        seen.update(number=number, submission=submission, options=options, record=record)
        return Report(exercise=number, title="")

    monkeypatch.setattr(grading, "grade_and_record", fake_grade)
    monkeypatch.chdir(folder.parent)
    CliRunner().invoke(main, ["--lang", "en", "exercise", "1"])
    defaults = GradingOptions(lang="en")
    for name in ("report_dir", "data_dir", "compare_keras", "lang"):
        assert getattr(seen["options"], name) == getattr(defaults, name), name
    assert seen["submission"] is None and seen["record"] is True
