"""Adding an exercise takes the files grader/checks/README.md lists ("Adding an exercise").

A throwaway exercise goes into a copy of the kit with three files alone -- its fenced
reference in solutions/, a check file with a visible and a hidden check, one block in
curriculum.toml -- and its stub is generated as the README says. The real `grade` then
proves it (selfcheck: the solution earns full marks, the stub zero), lists it, and
ships it in a release (its stub and its public check, not the hidden one). Nothing
else of the kit is touched: whatever counted the exercises would show up here.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from kit_copy import copy_kit, run_grade

from grader.course.registry import exercises

NUMBER = max(e.number for e in exercises()) + 1
MODULE = f"ex{NUMBER:02d}_scratch"
TITLE = "A throwaway exercise"

SOLUTION = f'''"""Exercise {NUMBER}: a throwaway exercise that proves how one is added."""

import numpy as np


def double(x):
    """Twice x, element by element.

    Inputs:
    - x: array of any shape.

    Returns:
    - float64 array of x's shape: 2 * x.
    """
    # BEGIN SOLUTION
    return 2.0 * np.asarray(x, dtype=np.float64)
    # END SOLUTION
'''

CHECKS = f'''"""Checks for exercise {NUMBER}: a throwaway exercise."""

import numpy as np

from grader.checks.checking import expect_close, hidden, points


@points(1)
def test_double_of_a_small_vector(learner):
    expect_close(learner.double(np.array([1.0, -2.0])), [2.0, -4.0], what="double([1, -2])")


@hidden
@points(2)
def test_double_keeps_the_shape_of_a_matrix(learner):
    x = np.arange(6.0).reshape(2, 3)
    expected = np.array([[0.0, 2.0, 4.0], [6.0, 8.0, 10.0]])
    expect_close(learner.double(x), expected, what="double(x) of a 2x3 matrix")
'''

REGISTRY_BLOCK = f"""
[[exercise]]
number = {NUMBER}
slug = "scratch"
title = "{TITLE}"
title_zh = "临时练习"
module = "{MODULE}"
functions = ["double"]
points = 3
available = true
call_timeout_s = 10
time_limit_s = 120
hints = ["Multiply by two.", "NumPy multiplies element by element."]
hints_zh = ["乘以二。", "NumPy 逐元素相乘。"]
hint_checks = [["double_of_a_small_vector"], ["double_keeps_the_shape_of_a_matrix"]]
"""


@pytest.fixture(scope="module")
def kit(tmp_path_factory) -> Path:
    """A copy of the kit with the throwaway exercise added, its stub generated."""
    kit = copy_kit(tmp_path_factory.mktemp("added") / "kit")
    (kit / "solutions" / f"{MODULE}.py").write_text(SOLUTION, "utf-8")
    (kit / "grader" / "checks" / f"test_{MODULE}.py").write_text(CHECKS, "utf-8")
    with (kit / "grader" / "course" / "curriculum.toml").open("a", encoding="utf-8") as registry:
        registry.write(REGISTRY_BLOCK)
    stubs = subprocess.run(
        [sys.executable, "-m", "grader.course.stubs"],
        cwd=kit,
        env={**os.environ, "PYTHONPATH": str(kit)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert stubs.returncode == 0, stubs.stderr
    assert f"exercises/{MODULE}.py" in stubs.stdout
    return kit


def test_selfcheck_gives_the_solution_full_marks_and_the_stub_zero(kit):
    result = run_grade(kit, "selfcheck", str(NUMBER))
    assert result.returncode == 0, result.stdout + result.stderr
    line = next(line for line in result.stdout.splitlines() if f"exercise {NUMBER}" in line)
    assert line.startswith("ok") and "solution 3/3" in line and "stub 0" in line, line


def test_grade_list_shows_it_with_its_stub_and_points(kit):
    result = run_grade(kit, "list")
    assert result.returncode == 0, result.stdout + result.stderr
    row = next(line for line in result.stdout.splitlines() if f"{MODULE}.py" in line)
    assert TITLE in row and "-/3" in row and "missing" not in row, row


def test_a_release_ships_its_stub_and_its_public_check_only(kit, tmp_path):
    release = tmp_path / "release"
    result = run_grade(kit, "release", str(release))
    assert result.returncode == 0, result.stdout + result.stderr
    stub = (release / "exercises" / f"{MODULE}.py").read_text("utf-8")
    assert "def double(x):" in stub and "NotImplementedError" in stub and "2.0 *" not in stub
    checks = (release / "grader" / "checks" / f"test_{MODULE}.py").read_text("utf-8")
    assert "def test_double_of_a_small_vector(" in checks
    assert "keeps_the_shape" not in checks
    assert TITLE in (release / "README.md").read_text("utf-8")
