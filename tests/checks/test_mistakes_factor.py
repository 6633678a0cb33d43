"""A common factor is named only when it is a mistake, and always with true digits.

Logits scaled by 1.0001 move a two-class gradient by 1.00003 everywhere: that is no
factor to hunt for, and with 4 digits it read "every value is off by the same factor 1".
"""

import json

import numpy as np
import pytest
from grade_cli import grade

from grader.checks.checking import CheckFailure, expect_close
from grader.checks.mistakes import NEAR_ONE
from grader.course.registry import get_exercise
from grader.messages import keys_in, text

SHIFT = "    shifted = z - np.max(z, axis=axis, keepdims=True)\n    return shifted - np.log"
"""The line of log_softmax (which softmax_cross_entropy uses) that shifts the logits."""


def failure(got, expected) -> str:
    with pytest.raises(CheckFailure) as caught:
        expect_close(got, expected, what="f(x)")
    return str(caught.value)


def test_logits_off_by_a_hair_are_not_called_off_by_the_same_factor(kit_root, tmp_path):
    filename = get_exercise(3).filename
    source = (kit_root / "solutions" / filename).read_text("utf-8")
    assert source.count(SHIFT) == 1, "the solution's log_softmax changed: update SHIFT"
    scaled = SHIFT.replace("z - np.max(z, axis=axis, keepdims=True)", "z * 1.0001")
    (tmp_path / filename).write_text(source.replace(SHIFT, scaled), "utf-8")
    report = json.loads(grade(tmp_path, 3, "--format", "json").stdout)
    gradient = "softmax_cross_entropy_gradient_matches_gradient_tape"
    check = next(c for c in report["checks"] if c["name"] == gradient)
    assert check["status"] == "failed"
    assert "values differ" in check["message"]  # it still fails, showing the values
    assert "scaled" not in keys_in(check["message"]), check["message"]
    assert "same factor" not in check["message"]


@pytest.mark.parametrize("factor", [1.00003, 1.0001, 0.9999, 1 + NEAR_ONE / 2, 1 - NEAR_ONE / 2])
def test_a_factor_near_one_is_not_named(factor):
    expected = np.random.default_rng(1).standard_normal((4, 3))
    message = failure(expected * factor, expected)
    assert "values differ" in message and "scaled" not in keys_in(message), message


@pytest.mark.parametrize("factor, shown", [(1.5, "1.5"), (1.002, "1.002"), (0.998, "0.998")])
def test_a_factor_away_from_one_is_named_with_true_digits(factor, shown):
    expected = np.random.default_rng(1).standard_normal((4, 3))
    assert text("scaled", factor=shown) in failure(expected * factor, expected)
