"""Known-wrong variants of the references lose points, with a useful message."""

import shutil

import pytest

from grader.course.registry import get_exercise
from grader.engine.runner import GradingOptions, grade_exercise
from grader.engine.submission import builds_on
from grader.messages import text

from mutants import MUTANTS
from mutants.sequences import SIMPLE_RNN_ADDS


def _graded(kit_root, tmp_path, mutant):
    """The report of `mutant` graded from a folder in `tmp_path`, its checks stopping at the
    first failure (the references of the exercises it builds on beside it, so only the
    mutation is wrong; a capstone writes its plots into `tmp_path`)."""
    folder = tmp_path / "submission"
    folder.mkdir()
    exercise = get_exercise(mutant.exercise)
    source = (kit_root / "solutions" / exercise.filename).read_text("utf-8")
    assert source.count(mutant.old) == 1, "the mutation no longer applies to the solution"
    (folder / exercise.filename).write_text(source.replace(mutant.old, mutant.new), "utf-8")
    # The exercises it builds on (a capstone's layers, the `uses` of another) are the
    # references, so that only the mutation is wrong.
    for number in sorted(builds_on(exercise)):
        shutil.copy(kit_root / "solutions" / get_exercise(number).filename, folder)
    # One lost point is the proof: the checks stop at the first failure (a full report
    # of every mutant would cost CI minutes; test_selfcheck grades full reports).
    options = GradingOptions(first_failure_stops=True, report_dir=tmp_path / "plots")
    return grade_exercise(mutant.exercise, folder, options)


@pytest.mark.parametrize(
    "mutant", MUTANTS, ids=[f"ex{m.exercise:02d} {m.mistake}" for m in MUTANTS]
)
def test_mutant_loses_points(kit_root, tmp_path, mutant):
    report = _graded(kit_root, tmp_path, mutant)
    points = get_exercise(mutant.exercise).points
    assert report.score < points, f"'{mutant.mistake}' earned full marks"
    lost = [c for c in report.checks if c.status != "passed"]
    assert all(c.message for c in lost)
    assert not any("internal error" in c.message for c in report.checks)


def test_ex19_a_simple_rnn_on_the_adding_problem_is_told_why_it_fails(kit_root, tmp_path):
    report = _graded(kit_root, tmp_path, SIMPLE_RNN_ADDS)
    checks = {c.name: c for c in report.checks}
    adding = checks["adding_test_error_is_below_the_bar"]
    assert adding.points == 0, adding.message
    assert text("adding_simple_rnn_fades") in adding.message


def test_at_least_two_mutants_per_available_exercise():
    from grader.instructor.selfcheck import available_numbers

    for number in available_numbers():
        assert sum(m.exercise == number for m in MUTANTS) >= 2, f"exercise {number}"


def test_grading_is_deterministic(kit_root, tmp_path):
    mutant = next(m for m in MUTANTS if m.exercise == 3 and "max shift" in m.mistake)
    source = (kit_root / "solutions" / "ex03_softmax_losses.py").read_text("utf-8")
    (tmp_path / "ex03_softmax_losses.py").write_text(source.replace(mutant.old, mutant.new))
    first = grade_exercise(3, tmp_path).to_dict()
    second = grade_exercise(3, tmp_path).to_dict()
    for report in (first, second):
        report.pop("duration_s")
        for check in report["checks"]:
            check.pop("duration_s")
    assert first == second


def test_grading_writes_nothing_into_the_current_folder(kit_root, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    grade_exercise(2, kit_root / "solutions")
    assert list(tmp_path.iterdir()) == [], "grading must not write into the learner's folder"
