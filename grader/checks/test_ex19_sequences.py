"""Checks of exercise 19 (capstone): recurrent networks built from the learner's exercise 18.

Two networks, each trained once (module-scoped fixtures) in the sandbox from
the learner's exercises 1-9 and 18, which sees only the training set and
returns the trained weights; here, in the trusted process, the same network
in Keras holds those weights and answers the test set:

1. The adding problem (grader/engine/sequences.py): 50 steps, two marked
   numbers to add, ADDING_LAYERS and ADDING_TRAINING; scored by the test mean
   squared error against the registry's `mse_bar`. It trains in seconds, so
   it comes first.
2. MNIST read row by row: 28 steps of 28 pixels, LAYERS and TRAINING; scored by
   test accuracy against the registry's bar.

Both networks must read their sequence with a recurrent layer whose last state
alone reaches the dense layers (no flatten): what is graded is what the
recurrent layer carries from step to step.
"""

import pytest

from grader.checks.checking import CheckFailure, points
from grader.engine import data, sequences
from grader.engine.capstone import (
    declared_spec,
    describe_regression,
    expect_accuracy_bar,
    expect_parameter_count,
    keras_comparison,
    needed,
    pictures_line,
    save_plots,
    save_regression_plots,
    trained,
)
from grader.messages import text

ADDING_NAMES = ("ADDING_LAYERS", "ADDING_TRAINING")
ROWS, ADDING = "MNIST rows", "adding problem"


@pytest.fixture(scope="module")
def rows_data(exercise, dataset_or_failure):
    """MNIST as keras.datasets returns it (images of 28 rows of 28 pixels)."""
    return dataset_or_failure(exercise.dataset)


@pytest.fixture(scope="module")
def rows_spec(learner, keras, rows_data):
    """LAYERS and TRAINING, validated: a recurrent network reading (28, 28) images by row."""
    (x_train, y_train), _ = rows_data
    classes = int(y_train.max()) + 1
    return declared_spec(learner, x_train.shape[1:], classes, keras, recurrent=True)


@pytest.fixture(scope="module")
def rows_outcome(learner, rows_spec, rows_data, exercise, collector, keras):
    """The MNIST-rows network trained in the sandbox, judged here from its weights."""
    result = trained(learner, rows_spec, rows_data, exercise, collector, keras, ROWS)
    names = data.class_names(exercise.dataset)
    title = f"Exercise {exercise.number}, {ROWS}"
    result.plots = save_plots(result, collector.report_dir, title, names, stem="rows_")
    collector.artifacts.extend(result.plots)
    return result


@pytest.fixture(scope="module")
def adding_data():
    """The adding problem, generated here from a fixed seed."""
    return sequences.adding_data()


@pytest.fixture(scope="module")
def adding_spec(learner, keras, adding_data):
    """ADDING_LAYERS and ADDING_TRAINING, validated: a recurrent network predicting one number."""
    (x_train, _), _ = adding_data
    return declared_spec(
        learner, x_train.shape[1:], None, keras, names=ADDING_NAMES, recurrent=True
    )


@pytest.fixture(scope="module")
def adding_outcome(learner, adding_spec, adding_data, exercise, collector, keras):
    """The adding network trained in the sandbox, judged here from its weights."""
    result = trained(learner, adding_spec, adding_data, exercise, collector, keras, ADDING)
    title = f"Exercise {exercise.number}, {ADDING}"
    bar = exercise.mse_bar
    result.plots = save_regression_plots(result, collector.report_dir, title, bar, "adding_")
    collector.artifacts.extend(result.plots)
    return result


@points(1)
def test_adding_network_and_training_settings_are_valid(adding_spec):
    assert adding_spec.parameter_count > 0


@points(1)
def test_adding_parameter_count_matches_the_same_model_in_keras(adding_spec, adding_outcome):
    """Counted from the trained weights, each checked against Keras' shapes as they are read."""
    expect_parameter_count(adding_spec, adding_outcome)


@points(8)
def test_adding_test_error_is_below_the_bar(exercise, adding_spec, adding_outcome, note):
    """Below the bar only a network that carried the first marked number across at least
    25 steps: a SimpleRNN usually cannot, and the message says why when it did not."""
    bar = exercise.mse_bar
    lines = [
        describe_regression(adding_outcome),
        text("capstone_mse_bar", bar=f"{bar:g}"),
        pictures_line(adding_outcome.plots),
    ]
    if adding_outcome.test_mse < bar:
        note("\n".join(lines))
        return
    if adding_outcome.test_mse > 1.2 * adding_outcome.baseline_mse:
        lines.append(text("adding_worse_than_the_mean"))
    elif adding_outcome.test_mse > 0.8 * adding_outcome.baseline_mse:
        lines.append(text("adding_near_the_mean"))
    if "lstm" not in {layer["layer"] for layer in adding_spec.layers}:
        lines.append(text("adding_simple_rnn_fades"))
    raise CheckFailure("\n".join(lines))


@points(1)
def test_rows_network_and_training_settings_are_valid(rows_spec):
    assert rows_spec.parameter_count > 0


@points(1)
def test_rows_parameter_count_matches_the_same_model_in_keras(rows_spec, rows_outcome):
    """Counted from the trained weights, each checked against Keras' shapes as they are read."""
    expect_parameter_count(rows_spec, rows_outcome)


@points(8)
def test_rows_test_accuracy_reaches_the_bar(exercise, rows_data, rows_outcome, note):
    (x_train, _), _ = rows_data
    note(expect_accuracy_bar(exercise, len(x_train), rows_outcome))


@points(0)
def test_adding_network_in_keras_for_comparison(collector, request, keras, note):
    """Not scored: with --compare-keras, Keras trains the same network beside yours."""
    names = ("adding_spec", "adding_data", "adding_outcome")
    spec, adding, outcome = (needed(request, n) for n in names)
    note(keras_comparison(collector, spec, adding, outcome, keras))


@points(0)
def test_rows_network_in_keras_for_comparison(collector, request, keras, note):
    """Not scored: with --compare-keras, Keras trains the same network beside yours."""
    spec, rows, outcome = (needed(request, n) for n in ("rows_spec", "rows_data", "rows_outcome"))
    note(keras_comparison(collector, spec, rows, outcome, keras))
