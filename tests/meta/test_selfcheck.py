"""The meta-tests: every check passes on solutions/ and fails on the stubs."""

import pytest

from grader.course.registry import get_exercise
from grader.instructor.selfcheck import available_numbers, selfcheck_exercise

NUMBERS = available_numbers()
CAPSTONES = [n for n in NUMBERS if get_exercise(n).is_capstone]
QUICK = [n for n in NUMBERS if n not in CAPSTONES]
SOLUTION_CASES = [
    *QUICK,
    *(pytest.param(n, marks=pytest.mark.slow, id=f"capstone-{n}") for n in CAPSTONES),
]


@pytest.mark.parametrize("number", SOLUTION_CASES)
def test_solutions_pass_every_check(graded, number):
    report = graded(number, "solutions")
    failing = [
        (c.name, c.message)
        for c in report.checks
        if c.status != "passed" and not c.optional_not_run  # Keras comparison: opt-in
    ]
    assert failing == []
    assert report.score == report.max_score == get_exercise(number).points


@pytest.mark.parametrize("number", NUMBERS)
def test_stubs_fail_every_check(graded, pristine_stubs, number):
    report = graded(number, pristine_stubs)
    assert report.checks, "the exercise has no checks"
    passing = [c.name for c in report.checks if c.status == "passed"]
    assert passing == [], "a check that the untouched stub passes cannot fail"
    assert report.score == 0
    expected = "cannot be built" if get_exercise(number).is_capstone else "not implemented yet"
    assert all(expected in c.message for c in report.checks)


@pytest.mark.parametrize("number", QUICK)
def test_every_check_has_points_and_a_readable_name(graded, number):
    report = graded(number, "solutions")
    assert all(c.max_points > 0 for c in report.checks)
    assert len({c.name for c in report.checks}) == len(report.checks)


def test_selfcheck_reports_a_healthy_exercise():
    result = selfcheck_exercise(1)
    assert result.ok, result.problems
    assert result.solution_score == result.max_score == 12
    assert result.stub_score == 0


@pytest.mark.parametrize("number", QUICK)
def test_solutions_pass_every_check_under_a_secret_seed(number, kit_root):
    """An instructor's secret seed re-draws hidden inputs: the reference must still pass."""
    from grader.engine.runner import GradingOptions, grade_exercise

    report = grade_exercise(number, kit_root / "solutions", GradingOptions(seed="term 2027-1"))
    failing = [(c.name, c.message) for c in report.checks if c.status != "passed"]
    assert failing == []
    assert report.seed.startswith("sha256:")
