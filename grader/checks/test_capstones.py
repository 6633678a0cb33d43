"""Checks of the capstones (exercises 12-15): the learner's own network, trained on real data.

One module serves all four: the registry gives each capstone its dataset and
its test-accuracy bar. The network is trained once (module-scoped fixture)
inside the sandbox from the learner's exercises 1-9, which sees only the
training set and returns the trained weights; here, in the trusted process,
the same network in Keras holds those weights and predicts the test images.

Before training, the functions the network needs are tried once: when some
are not written yet, the checks that need the trained network are not run
(skipped, no points) and say which ones, by exercise.
"""

import pytest

from grader.checks.checking import points
from grader.engine import data
from grader.engine.capstone import (
    declared_spec,
    expect_accuracy_bar,
    expect_parameter_count,
    keras_comparison,
    needed,
    save_plots,
    trained,
)


@pytest.fixture(scope="module")
def dataset(exercise, dataset_or_failure):
    """The capstone's data as keras.datasets returns it; a missing dataset is a plain failure."""
    return dataset_or_failure(exercise.dataset)


@pytest.fixture(scope="module")
def spec(learner, keras, dataset):
    """The learner's LAYERS and TRAINING, validated against the same model in Keras."""
    (x_train, y_train), _ = dataset
    return declared_spec(learner, x_train.shape[1:], int(y_train.max()) + 1, keras)


@pytest.fixture(scope="module")
def outcome(learner, spec, dataset, exercise, collector, keras):
    """Train the learner's network in the sandbox; judge its trained weights here.

    First its functions are tried: NotRun (the checks that need the network are
    skipped) names those not written yet.
    """
    result = trained(learner, spec, dataset, exercise, collector, keras)
    folder = collector.report_dir
    result.plots = save_plots(result, folder, exercise.title, data.class_names(exercise.dataset))
    collector.artifacts.extend(result.plots)
    return result


@points(1)
def test_network_and_training_settings_are_valid(spec):
    assert spec.parameter_count > 0


@points(1)
def test_parameter_count_matches_the_same_model_in_keras(spec, outcome):
    """Counted from the trained weights, each checked against Keras' shapes as they are read."""
    expect_parameter_count(spec, outcome)


@points(8)
def test_test_accuracy_reaches_the_bar(exercise, dataset, outcome, note):
    (x_train, _), _ = dataset
    note(expect_accuracy_bar(exercise, len(x_train), outcome))


@points(0)
def test_the_same_network_in_keras_for_comparison(collector, request, keras, note):
    """Not scored: with --compare-keras, Keras trains the same network beside yours."""
    spec, dataset, outcome = (needed(request, name) for name in ("spec", "dataset", "outcome"))
    note(keras_comparison(collector, spec, dataset, outcome, keras))
