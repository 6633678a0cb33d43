"""Red team, capstones: a trainer replaced in the worker earns nothing on accuracy.

The worker returns trained weights; the grader checks them against the declared
network's shapes, sets them into the same network in Keras and predicts the test
images itself. So a module that swaps the kit's trainer for a lookup table of
MNIST's public test labels, or for forged weights, is judged by what its weights
compute -- behind both walls, with a plain message and no grader traceback.
Scene comes from test_redteam.py, its fixture from conftest.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from scene import WALLS

from grader.engine import data
from grader.engine.runner import GradingOptions, grade_exercise

# Calls keep the capstone's own limits (not the red team's short ones): these
# attacks do not hang, and a loaded machine must not fail them.

VALID = "network_and_training_settings_are_valid"
SHAPES = "parameter_count_matches_the_same_model_in_keras"
ACCURACY = "test_accuracy_reaches_the_bar"
COMPARISON = "the_same_network_in_keras_for_comparison"


@dataclass(frozen=True)
class Forgery:
    """One capstone attack: its module, the marker written into it, and what proves
    the grader met it (a pattern of the accuracy check's message)."""

    module: str
    marker: str
    value: str
    evidence: str
    honest: frozenset[str] = frozenset({VALID})


LOOKUP = "capstone_lookup_table"
FORGERIES = [
    # Zero weights of the declared shapes predict class 0 everywhere: MNIST has 980
    # zeros in 10,000 test digits. The trainer's fake history shows it really ran.
    Forgery(
        LOOKUP,
        "__TEST_LABELS__",
        "",
        r"^test accuracy 9\.80% .*FINDING: your own forward pass agrees with the kit's on only "
        r".*training accuracy 100\.00%, validation accuracy 100\.00% \(the kit measures 9\.",
        # Its weights do have the declared network's shapes: that check says no more.
        honest=frozenset({VALID, SHAPES}),
    ),
    Forgery(
        "capstone_forged_weights",
        "__FORGERY__",
        "wrong_shape",
        r"weights `w` of shape \(10, 784\) for LAYERS\[0\] \(dense\), expected \(784, 10\)",
    ),
    Forgery(
        "capstone_forged_weights",
        "__FORGERY__",
        "nan",
        r"weights `w` for LAYERS\[0\] \(dense\) holding 7,840 NaN or infinite values",
    ),
    Forgery(
        "capstone_forged_weights",
        "__FORGERY__",
        "non_array",
        r"a value of type list as weights `w` of LAYERS\[0\] \(dense\), expected an array",
    ),
    Forgery(
        "capstone_forged_weights",
        "__FORGERY__",
        "object",
        r"returned an object that lives in your code's process \(<learner's _Perfect>\) as "
        r"weights `w` of LAYERS\[0\] \(dense\), expected an array|cannot be checked",
    ),
]


@pytest.fixture(scope="module")
def public_test_labels() -> str:
    """MNIST's test labels in their public order, as the digits the lookup table carries."""
    _, (_, y_test) = data.load("mnist", None)
    return "".join(str(int(label)) for label in y_test)


@pytest.mark.parametrize("wall", WALLS)
@pytest.mark.parametrize(
    "forgery", FORGERIES, ids=lambda f: f.value or f.module.removeprefix("capstone_")
)
def test_a_replaced_trainer_earns_nothing_on_accuracy(
    forgery, wall, scene, monkeypatch, public_test_labels
):
    monkeypatch.setenv("NNLAB_ISOLATION", wall)
    value = public_test_labels if forgery.module == LOOKUP else forgery.value
    folder = scene.submit(forgery.module, 12, (forgery.marker, value))
    options = GradingOptions(progress=scene.look, report_dir=scene.outside.parent / "plots")
    report = grade_exercise(12, folder, options)

    assert report.isolation == wall
    assert scene.survivors() == [], "processes of the attack outlived its grade"
    checks = {c.name: c for c in report.checks}
    assert set(checks) == {VALID, SHAPES, ACCURACY, COMPARISON}, report.notice
    assert checks[ACCURACY].points == 0, checks[ACCURACY].message
    earned = {name for name, c in checks.items() if c.points > 0}
    assert earned <= forgery.honest, f"earned points on {sorted(earned - forgery.honest)}"
    assert VALID in earned, f"the honestly declared network lost its point: {checks[VALID]}"
    for check in report.checks:
        assert check.status != "error", f"{check.name}: {check.message}"
        assert "Traceback" not in check.message and "internal error" not in check.message
    assert re.search(forgery.evidence, checks[ACCURACY].message, re.S), checks[ACCURACY].message
