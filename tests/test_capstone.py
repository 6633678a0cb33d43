"""Capstone specs: every mistake a learner can make in LAYERS/TRAINING gets a plain message."""

from pathlib import Path

import numpy as np
import pytest

from grader import oracles
from grader.capstone import SpecError, describe_epoch, validate

MLP = [
    {"layer": "dense", "units": 128, "activation": "relu"},
    {"layer": "dense", "units": 10, "activation": "softmax"},
]


def _reference_cnn():
    """The seeds' CNN, 32c3-p2-64c3-p2-128-10, as solutions/ex13_mnist_cnn.py declares it."""
    import importlib.util

    path = Path(__file__).resolve().parent.parent / "solutions" / "ex13_mnist_cnn.py"
    spec = importlib.util.spec_from_file_location("reference_ex13", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.LAYERS


CNN = _reference_cnn()
TRAINING = {"optimizer": "rmsprop", "learning_rate": 1e-3, "epochs": 5, "batch_size": 64}


@pytest.fixture(scope="module")
def keras():
    return oracles.keras()


def test_the_bootcamp_mlp_has_keras_parameter_count(keras):
    layers = [{"layer": "dense", "units": 128, "activation": "relu"}, *MLP]
    spec = validate(layers, TRAINING, (28, 28), 10, keras)
    assert spec.parameter_count == 118282
    assert spec.layers[0]["layer"] == "flatten", "a dense first layer gets the images flattened"


def test_the_seeds_cnn_has_keras_parameter_count_and_shapes(keras):
    spec = validate(CNN, TRAINING, (28, 28), 10, keras)
    assert spec.parameter_count == 225034
    assert [s["out_shape"] for s in spec.layers[:4]] == [
        [26, 26, 32],
        [13, 13, 32],
        [11, 11, 64],
        [5, 5, 64],
    ]
    assert spec.layers[1]["stride"] == [2, 2], "pool stride defaults to the pool size"


@pytest.mark.parametrize(
    ("layers", "training", "message"),
    [
        ([], TRAINING, "non-empty list"),
        ([{"layer": "dense", "units": 10, "activation": "relu"}], TRAINING, "last layer must be"),
        ([{"layer": "dense", "units": 7, "activation": "softmax"}], TRAINING, "10 classes"),
        (
            [{"layer": "dense", "units": 10, "activation": "softmax", "size": 3}],
            TRAINING,
            "unknown keys",
        ),
        ([{"layer": "lstm"}, *MLP], TRAINING, "one of: avg_pool"),
        ([CNN[0], {"layer": "dense", "units": 10, "activation": "softmax"}], TRAINING, "flatten"),
        ([{"layer": "dense", "units": 8, "activation": "softmax"}, *MLP], TRAINING, "activation"),
        ([{"layer": "dropout", "rate": 1.5}, *MLP], TRAINING, "dropout rate"),
        ([{**CNN[0], "padding": "full"}, *CNN[1:]], TRAINING, "padding must be"),
        (MLP, {**TRAINING, "optimizer": "adagrad"}, "optimizer"),
        (MLP, {**TRAINING, "epochs": 0}, "epochs"),
        (MLP, {**TRAINING, "beta_1": 0.9}, "unknown keys"),
        (MLP, [1, 2], "TRAINING must be a dict"),
    ],
)
def test_a_broken_spec_gets_a_plain_message(keras, layers, training, message):
    with pytest.raises(SpecError, match=message):
        validate(layers, training, (28, 28), 10, keras)


def test_a_network_that_shrinks_the_image_to_nothing_is_refused(keras):
    tiny = [{"layer": "max_pool", "pool_size": 2}] * 6 + [{"layer": "flatten"}, MLP[-1]]
    with pytest.raises(SpecError, match="empty output|too small"):
        validate(tiny, TRAINING, (28, 28), 10, keras)


def test_sgd_with_momentum_is_the_momentum_rule(keras):
    spec = validate(MLP, {**TRAINING, "optimizer": "sgd", "momentum": 0.9}, (28, 28), 10, keras)
    assert spec.training["optimizer"] == "momentum"
    assert spec.training["optimizer_options"] == {"momentum": 0.9}


def test_epoch_line_reads_well():
    line = describe_epoch(
        {
            "epoch": 2,
            "epochs": 5,
            "fraction": 0.5,
            "loss": 0.25,
            "accuracy": 0.9,
            "val_accuracy": np.float64(0.91),
        }
    )
    assert line == "epoch 2/5 50%  loss 0.2500  accuracy 0.9000  val_accuracy 0.9100"


def test_a_network_starting_with_pooling_trains_on_greyscale_images(keras, kit_root):
    """The input shape (with its channel axis) is decided once, by validate, for every side."""
    from grader.capstone import train_in_sandbox
    from grader.runner import TRAINER_SCRIPT
    from grader.sandbox import LearnerProxy, Limits

    layers = [{"layer": "max_pool", "pool_size": 2}, {"layer": "flatten"}, MLP[-1]]
    training = {"optimizer": "adam", "learning_rate": 1e-2, "epochs": 1, "batch_size": 16}
    spec = validate(layers, training, (28, 28), 10, keras)
    assert spec.input_shape == (28, 28, 1)
    solutions = kit_root / "solutions"
    modules = {p.stem: p for p in solutions.glob("ex0[1-9]_*.py")}
    learner = LearnerProxy(
        solutions / "ex12_mnist_mlp.py",
        "ex12_mnist_mlp",
        Limits(call_timeout_s=60),
        {**modules, "nnlab_trainer": TRAINER_SCRIPT},
    )
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (80, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, 80).astype(np.uint8)
    data = ((images, labels), (images[:20], labels[:20]))
    try:
        outcome = train_in_sandbox(learner, spec, data, time_limit_s=60)
    finally:
        learner.close()
    assert outcome.parameter_count == spec.parameter_count == 1970
    assert len(outcome.history) == 1 and outcome.confusion.sum() == 20
