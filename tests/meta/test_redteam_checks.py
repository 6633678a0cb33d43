"""Red team: every expectation comes from trusted code on trusted inputs.

A check that compares the learner with itself (the weights it reads back, the
state it returns, the line it fitted) pays a submission that does no work.
Each cheat below does less than its exercise asks and is graded behind both
walls; the checks it fails must be exactly the checks whose work it skipped,
so it keeps only the points it honestly earned.

A cheat is a module of tests/meta/redteam/, or the exercise's reference with one
function redefined at its end (a later `def` replaces the earlier one).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from scene import KIT_ROOT, REDTEAM, WALLS

from grader.course.registry import get_exercise
from grader.engine.report import Report
from grader.engine.runner import grade_exercise


@dataclass(frozen=True)
class Cheat:
    """A submission that skips some work, and the checks that must catch it.

    - name: the test id.
    - exercise: the exercise it is graded as.
    - module: a module in tests/meta/redteam/ ("": the exercise's reference ...)
    - override: ... with this source appended, redefining what it cheats on.
    - loses: exactly the checks it must fail; it keeps every other one honestly.
    """

    name: str
    exercise: int
    loses: frozenset[str]
    module: str = ""
    override: str = ""

    def source(self) -> str:
        """The submitted module's text."""
        if self.module:
            return (REDTEAM / f"{self.module}.py").read_text("utf-8")
        reference = KIT_ROOT / "solutions" / get_exercise(self.exercise).filename
        return reference.read_text("utf-8") + "\n\n" + self.override


# Exercise 11's net holds zeros whatever it is given and names quadrants by the signs
# of x: only its honest random initial weights may earn a point.
FROZEN_WEIGHTS = Cheat(
    "frozen_weights_ex11",
    11,
    module="frozen_weights_ex11",
    loses=frozenset(
        {
            "forward_gives_probabilities_matching_tensorflow",
            "forward_and_loss_stay_finite_for_large_scores",
            "predict_gives_the_most_probable_class",
            "loss_matches_tensorflow",
            "gradients_match_gradient_tape",
            "gradients_agree_with_a_numerical_gradient",
            "train_step_returns_the_loss_before_the_update",
            "train_step_moves_each_weight_by_minus_lr_times_its_gradient",
            "trained_net_gets_99_percent_of_fresh_points_right",
            "trained_net_puts_2_2_in_quadrant_one",
            "train_returns_each_epochs_mean_batch_loss",
        }
    ),
)

# Exercise 9's momentum, RMSprop and Adam return (w, {}); plain gradient descent and
# the schedule are honest and keep their points.
SELF_COMPARING = Cheat(
    "self_comparing_ex09",
    9,
    module="self_comparing_ex09",
    loses=frozenset(
        {
            "momentum_step_matches_keras_sgd_with_momentum",
            "nesterov_momentum_matches_keras_sgd_with_nesterov",
            "rmsprop_step_matches_keras_rmsprop",
            "rmsprop_with_tiny_gradients_puts_epsilon_inside_the_root",
            "adam_step_matches_keras_adam",
            "adam_with_tiny_gradients_matches_keras",
            "step_functions_do_not_change_their_inputs",
            "each_parameter_keeps_its_own_state",
            "step_functions_default_to_keras_settings",
            "step_states_hold_what_keras_optimizers_keep",
        }
    ),
)

# The audit's finds: a do-nothing function passed a check about a side property.
NO_NUMERICAL_GRADIENT = Cheat(
    "numerical_gradient_returns_zeros_ex07",
    7,
    override="def numerical_gradient(f, x, h=1e-5):\n    return np.zeros(np.shape(x))\n",
    loses=frozenset(
        {
            "numerical_gradient_matches_the_analytic_gradient",
            "numerical_gradient_uses_central_differences_with_the_given_h",
            "numerical_gradient_leaves_x_exactly_as_it_was",
        }
    ),
)
DROPS_EVERYTHING = Cheat(
    "dropout_drops_every_unit_ex08",
    8,
    override=(
        "def dropout_forward(x, rate, training, rng):\n"
        "    return np.zeros(np.shape(x)), np.zeros(np.shape(x))\n"
    ),
    loses=frozenset(
        {
            "dropout_keeps_each_unit_with_probability_1_minus_rate",
            "dropout_scales_kept_units_by_1_over_1_minus_rate",
            "dropout_at_inference_passes_x_through",
            "dropout_draws_its_mask_from_rng",
            "dropout_keeps_the_units_whose_draw_is_at_least_rate",
        }
    ),
)
NO_DESCENT = Cheat(
    "gd_returns_the_start_line_ex10",
    10,
    override=(
        "def fit_line_gd(x, y, lr=0.002, epochs=300, batch_size=32, rng=None):\n"
        "    return 0.0, 0.0, [float(np.mean(np.square(y)))] * epochs\n"
    ),
    loses=frozenset(
        {
            "gd_with_default_settings_ends_within_1pct_of_the_ols_loss",
            "gd_predicts_prices_for_3_to_7_rooms_like_ols",
            "gd_losses_one_per_epoch_ending_at_the_mse_of_the_line",
            "gd_with_rng_none_steps_like_keras_on_the_same_batches",
        }
    ),
)

CHEATS = [FROZEN_WEIGHTS, SELF_COMPARING, NO_NUMERICAL_GRADIENT, DROPS_EVERYTHING, NO_DESCENT]


def _grade(cheat: Cheat, folder) -> Report:
    folder.mkdir()
    (folder / get_exercise(cheat.exercise).filename).write_text(cheat.source(), "utf-8")
    return grade_exercise(cheat.exercise, folder)


@pytest.mark.parametrize("wall", WALLS)
@pytest.mark.parametrize("cheat", CHEATS, ids=lambda cheat: cheat.name)
def test_a_cheat_keeps_only_the_points_it_earned(cheat, wall, tmp_path, monkeypatch):
    monkeypatch.setenv("NNLAB_ISOLATION", wall)
    report = _grade(cheat, tmp_path / "submission")

    assert report.isolation == wall
    names = {c.name for c in report.checks}
    assert cheat.loses <= names, f"no such checks: {sorted(cheat.loses - names)}"
    failed = {c.name for c in report.checks if c.points == 0}
    assert failed == cheat.loses, (
        f"earned points on {sorted(cheat.loses - failed)}; "
        f"lost honest points on {sorted(failed - cheat.loses)}"
    )
    lost = [c for c in report.checks if c.name in cheat.loses]
    assert all(c.message for c in lost), "a lost check must say why"
    assert not any("internal error" in c.message for c in report.checks), [
        c.message for c in report.checks if "internal error" in c.message
    ]
    assert "Traceback" not in report.notice
