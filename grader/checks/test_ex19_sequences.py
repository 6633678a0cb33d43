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
    NotRun,
    declared_spec,
    describe_outcome,
    describe_regression,
    needed,
    save_plots,
    save_regression_plots,
    train_keras,
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


def _parameters_match(spec, outcome) -> None:
    if outcome.parameter_count != spec.parameter_count:
        raise CheckFailure(
            f"your network has {outcome.parameter_count:,} parameters, the same model in Keras "
            f"has {spec.parameter_count:,}: check the weight shapes your initialisers return"
        )


def _plots(outcome) -> str:
    return f"plots: {', '.join(str(p) for p in outcome.plots)}"


@points(1)
def test_adding_network_and_training_settings_are_valid(adding_spec):
    assert adding_spec.parameter_count > 0


@points(1)
def test_adding_parameter_count_matches_the_same_model_in_keras(adding_spec, adding_outcome):
    """Counted from the trained weights, each checked against Keras' shapes as they are read."""
    _parameters_match(adding_spec, adding_outcome)


@points(8)
def test_adding_test_error_is_below_the_bar(exercise, adding_spec, adding_outcome, note):
    """Below the bar only a network that carried the first marked number across at least
    25 steps: a SimpleRNN usually cannot, and the message says why when it did not."""
    bar = exercise.mse_bar
    summary = f"{describe_regression(adding_outcome)}; the bar is {bar:g}; "
    summary += _plots(adding_outcome)
    if adding_outcome.test_mse < bar:
        note(summary)
        return
    kinds = {layer["layer"] for layer in adding_spec.layers}
    if adding_outcome.test_mse > 1.2 * adding_outcome.baseline_mse:
        summary += "\n" + text("adding_worse_than_the_mean")
    elif adding_outcome.test_mse > 0.8 * adding_outcome.baseline_mse:
        summary += "\n" + text("adding_near_the_mean")
    if "lstm" not in kinds:
        summary += "\n" + text("adding_simple_rnn_fades")
    raise CheckFailure(summary)


@points(1)
def test_rows_network_and_training_settings_are_valid(rows_spec):
    assert rows_spec.parameter_count > 0


@points(1)
def test_rows_parameter_count_matches_the_same_model_in_keras(rows_spec, rows_outcome):
    """Counted from the trained weights, each checked against Keras' shapes as they are read."""
    _parameters_match(rows_spec, rows_outcome)


@points(8)
def test_rows_test_accuracy_reaches_the_bar(exercise, rows_data, rows_outcome, note):
    (x_train, _), _ = rows_data
    bar, why = exercise.bar_for(len(x_train))
    summary = f"{describe_outcome(rows_outcome)}; the bar is {bar:.1%} ({why}); "
    summary += _plots(rows_outcome)
    if rows_outcome.test_accuracy < bar:
        raise CheckFailure(summary)
    note(summary)


def _compare(spec, data_, outcome, keras, note, regression: bool) -> None:
    theirs = train_keras(spec, data_, keras)
    ratio = outcome.seconds / theirs["seconds"]
    if regression:
        yours, keras_ = f"{outcome.test_mse:.4f}", f"{theirs['test_mse']:.4f}"
        measure = "test mean squared error"
    else:
        yours, keras_ = f"{outcome.test_accuracy:.2%}", f"{theirs['test_accuracy']:.2%}"
        measure = "test accuracy"
    note(
        f"yours: {measure} {yours} in {outcome.seconds:.0f} s; Keras (its own initial "
        f"weights, same settings): {keras_} in {theirs['seconds']:.0f} s "
        f"(time ratio {ratio:.2f})"
    )


@points(0)
def test_adding_network_in_keras_for_comparison(collector, request, keras, note):
    """Not scored: with --compare-keras, Keras trains the same network beside yours."""
    names = ("adding_spec", "adding_data", "adding_outcome")
    spec, adding, outcome = (needed(request, n) for n in names)
    if not collector.compare_keras:
        raise NotRun("use --compare-keras to train the same network in Keras beside yours")
    _compare(spec, adding, outcome, keras, note, regression=True)


@points(0)
def test_rows_network_in_keras_for_comparison(collector, request, keras, note):
    """Not scored: with --compare-keras, Keras trains the same network beside yours."""
    spec, rows, outcome = (needed(request, n) for n in ("rows_spec", "rows_data", "rows_outcome"))
    if not collector.compare_keras:
        raise NotRun("use --compare-keras to train the same network in Keras beside yours")
    _compare(spec, rows, outcome, keras, note, regression=False)
