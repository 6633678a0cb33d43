"""Capstones: every mistake in LAYERS/TRAINING gets a plain message, and the trained
network is judged from its weights on the trusted side, never from what the worker claims."""

import contextlib
import re

import numpy as np
import pytest
from grade_cli import KIT_ROOT

from grader.engine import oracles, sequences
from grader.engine.capstone import (
    RegressionOutcome,
    SpecError,
    TrainerOutputError,
    checked_weights,
    describe_epoch,
    describe_finished_epoch,
    describe_outcome,
    describe_regression,
    keras_optimizer,
    planned_parameters,
    progress_record,
    reported_history,
    train_in_sandbox,
    train_keras,
    trusted_model,
    validate,
)
from grader.messages import keys_in, translate

MLP = [
    {"layer": "dense", "units": 128, "activation": "relu"},
    {"layer": "dense", "units": 10, "activation": "softmax"},
]


def _reference_cnn():
    """The seeds' CNN, 32c3-p2-64c3-p2-128-10, as solutions/ex13_mnist_cnn.py declares it."""
    import importlib.util

    path = KIT_ROOT / "solutions" / "ex13_mnist_cnn.py"
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
        ([{"layer": "gru"}, *MLP], TRAINING, "one of: avg_pool"),
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


SIZED_NETWORKS = [
    ((28, 28), MLP),
    (
        (28, 28),
        [
            {"layer": "conv2d", "filters": 5, "kernel_size": [3, 2], "stride": [2, 1]},
            {"layer": "flatten"},
            *MLP,
        ],
    ),
    (
        (9, 7, 3),
        [
            {"layer": "conv2d", "filters": 4, "kernel_size": 3, "padding": "same"},
            {"layer": "avg_pool", "pool_size": 2, "stride": 1, "padding": "same"},
            {"layer": "max_pool", "pool_size": [2, 3]},
            {"layer": "flatten"},
            MLP[-1],
        ],
    ),
    (
        (7, 3),
        [
            {"layer": "lstm", "units": 5, "return_sequences": True},
            {"layer": "simple_rnn", "units": 4},
            {"layer": "dropout", "rate": 0.5},
            MLP[-1],
        ],
    ),
]


@pytest.mark.parametrize(("shape", "layers"), SIZED_NETWORKS)
def test_the_parameters_are_counted_from_the_spec_as_keras_counts_them(keras, shape, layers):
    spec = validate(layers, TRAINING, shape, 10, keras)
    assert planned_parameters(spec.layers, spec.input_shape) == spec.parameter_count


@pytest.mark.parametrize(
    ("layers", "message"),
    [
        (
            [{"layer": "lstm", "units": 10**6}, MLP[-1]],
            r"would have 4,000,\d{3},\d{3},\d{3} parameters; at most 20,000,000",
        ),
        ([{"layer": "dense", "units": 3}] * 64 + [MLP[-1]], "65 layers; at most 64"),
    ],
)
def test_a_network_too_large_for_the_grader_is_refused_before_keras_builds_it(
    keras, layers, message, monkeypatch
):
    """Keras would build it in the grader's own process: it must never be asked to."""
    monkeypatch.setattr(keras, "Sequential", None)  # building would now fail loudly
    with pytest.raises(SpecError, match=message):
        validate(layers, TRAINING, (28, 28), 10, keras)


def test_a_value_of_the_learners_is_never_shown_by_an_internal_name(keras):
    from grader.sandbox.worker import Handle

    layers = [{"layer": "lstm", "units": Handle(7, "Sly")}, MLP[-1]]
    with pytest.raises(SpecError) as refused:
        validate(layers, TRAINING, (28, 28), 10, keras)
    assert str(refused.value) == (
        "LAYERS[0]: `units` must be a positive whole number, "
        "got an object that lives in your code's process"
    )
    long = [{"layer": "dense", "units": 10, "activation": ["softmax"] * 100}]
    with pytest.raises(SpecError, match=r"activation \['softmax', .{50,}\.\.\. is not"):
        validate(long, TRAINING, (28, 28), 10, keras)


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


def test_weight_shapes_follow_keras_layout(keras):
    """The documented layout: dense (n_in, units) + (units,), conv2d (kh, kw, c_in, filters)."""
    mlp = validate(MLP, TRAINING, (28, 28), 10, keras)
    assert mlp.weight_shapes == [
        {},
        {"w": (784, 128), "b": (128,)},
        {"w": (128, 10), "b": (10,)},
    ]
    cnn = validate(CNN, TRAINING, (28, 28), 10, keras)
    assert cnn.weight_shapes[0] == {"w": (3, 3, 1, 32), "b": (32,)}
    assert cnn.weight_shapes[2] == {"w": (3, 3, 32, 64), "b": (64,)}
    assert cnn.weight_shapes[1] == {}, "pooling has no weights"
    for spec in (mlp, cnn):
        sizes = [np.prod(shape) for shapes in spec.weight_shapes for shape in shapes.values()]
        assert sum(sizes) == spec.parameter_count


def test_layers_are_named_as_the_learner_wrote_them(keras):
    mlp = validate(MLP, TRAINING, (28, 28), 10, keras)
    assert mlp.implicit_flatten
    assert [mlp.layer_name(i) for i in range(3)] == [
        "the flatten put in front of LAYERS[0]",
        "LAYERS[0] (dense)",
        "LAYERS[1] (dense)",
    ]
    cnn = validate(CNN, TRAINING, (28, 28), 10, keras)
    assert not cnn.implicit_flatten and cnn.layer_name(2) == "LAYERS[2] (conv2d)"


def _weights(spec, fill=0.0, dtype=np.float32) -> list[dict]:
    """Weights of the right shapes, every value `fill`."""
    return [
        {name: np.full(shape, fill, dtype) for name, shape in shapes.items()}
        for shapes in spec.weight_shapes
    ]


@pytest.fixture(scope="module")
def mlp(keras):
    return validate(MLP, TRAINING, (28, 28), 10, keras)


def test_weights_of_the_right_shapes_are_taken_as_float32(mlp):
    weights = checked_weights(mlp, _weights(mlp, 0.5, np.float64))
    assert [sorted(w) for w in weights] == [[], ["b", "w"], ["b", "w"]]
    assert all(a.dtype == np.float32 for layer in weights for a in layer.values())


def _broken(spec, index, name, value) -> list[dict]:
    weights = _weights(spec)
    weights[index][name] = value
    return weights


@pytest.mark.parametrize(
    ("forge", "message"),
    [
        (
            lambda s: _broken(s, 2, "w", np.zeros((3, 4), np.float32)),
            r"returned weights `w` of shape \(3, 4\) for LAYERS\[1\] \(dense\), "
            r"expected \(128, 10\)",
        ),
        (
            lambda s: _broken(s, 1, "b", np.zeros((1, 128), np.float32)),
            r"`b` of shape \(1, 128\) for LAYERS\[0\] \(dense\), expected \(128,\)",
        ),
        (
            lambda s: _broken(s, 1, "w", np.full((784, 128), np.nan, np.float32)),
            r"`w` for LAYERS\[0\] \(dense\) holding 100,352 NaN or infinite values",
        ),
        (
            lambda s: _broken(s, 1, "b", np.full(128, 1e300)),
            r"`b` for LAYERS\[0\] \(dense\) holding 128 NaN or infinite values",
        ),
        (
            lambda s: _broken(s, 1, "w", np.zeros((784, 128), np.int64)),
            r"dtype int64 for LAYERS\[0\] \(dense\), expected floating-point",
        ),
        (
            lambda s: _broken(s, 1, "w", "the lookup table"),
            r"a value of type str as weights `w` of LAYERS\[0\] \(dense\), expected an array",
        ),
        (
            lambda s: _broken(s, 1, "w", [[0.0] * 128] * 784),
            r"a value of type list as weights `w`",
        ),
        (lambda s: _broken(s, 1, "w", np.float32(0)), "a value of type float32 as weights"),
        (lambda s: _weights(s)[1:], r"weights for 2 layers, expected 3: .*flatten"),
        (lambda s: [*_weights(s), {}], "weights for 4 layers, expected 3"),
        (lambda s: "weights", "a value of type str as weights, expected a list"),
        (lambda s: None, "None as weights"),
        (lambda s: np.zeros(3), "an array of shape \\(3,\\) .* as weights"),
        (
            lambda s: [{"w": np.zeros(1)}, *_weights(s)[1:]],
            r"keys \['w'\] for the flatten put in front of LAYERS\[0\], expected \{\}",
        ),
        (
            lambda s: [{}, {"w": np.zeros((784, 128), np.float32)}, _weights(s)[2]],
            r"keys \['w'\] for LAYERS\[0\] \(dense\), expected a dict with keys \['b', 'w'\]",
        ),
        (lambda s: [{}, [1, 2], _weights(s)[2]], "a value of type list for LAYERS"),
    ],
)
def test_forged_weights_are_refused_with_a_plain_message(mlp, forge, message):
    with pytest.raises(TrainerOutputError, match=message):
        checked_weights(mlp, forge(mlp))


@pytest.mark.parametrize(
    ("history", "message"),
    [
        ("perfect", "a value of type str as its history"),
        ([{"epoch": 1, "loss": 0.1, "accuracy": 0.9, "seconds": 1}] * 6, "at most 5"),
        ([{"epoch": 1, "loss": float("nan"), "accuracy": 1.0, "seconds": 1}], "`loss`"),
        ([{"epoch": 1, "loss": 0.1, "accuracy": "100%", "seconds": 1}], "type str as `accuracy`"),
        ([{"epoch": True, "loss": 0.1, "accuracy": 1.0, "seconds": 1}], "type bool as `epoch`"),
    ],
)
def test_an_unreadable_history_is_refused(history, message):
    with pytest.raises(TrainerOutputError, match=message):
        reported_history(history, epochs=5)


def test_a_history_is_read_as_plain_numbers():
    raw = [{"epoch": np.int64(1), "loss": np.float32(0.5), "accuracy": 1, "seconds": 2.0}]
    assert reported_history(raw, epochs=1) == [
        {
            "epoch": 1,
            "loss": 0.5,
            "accuracy": 1.0,
            "val_accuracy": None,
            "val_loss": None,
            "generator_loss": None,
            "seconds": 2.0,
        }
    ]


class _ScriptedTrainer:
    """Stands in for the worker: records what it is sent and answers `answer`."""

    def __init__(self, answer):
        self.answer, self.sent = answer, None

    def call(self, name, *args, **options):
        self.sent = (name, args)
        return self.answer


def _small_data(n_train=40, n_test=30):
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, (n_train + n_test, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, n_train + n_test).astype(np.uint8)
    return (images[:n_train], labels[:n_train]), (images[n_train:], labels[n_train:])


def test_the_score_comes_from_the_weights_not_from_what_the_trainer_claims(mlp, keras):
    """All-zero weights make Keras predict class 0 everywhere, whatever the worker says."""
    data = _small_data()
    (x_train, y_train), (x_test, y_test) = data
    spec = validate(MLP, {**TRAINING, "epochs": 1, "validation_split": 0.25}, (28, 28), 10, keras)
    perfect = {"epoch": 1, "loss": 0.0, "accuracy": 1.0, "val_accuracy": 1.0, "seconds": 0.0}
    trainer = _ScriptedTrainer(
        {
            "weights": _weights(spec),
            "val_predictions": y_train[30:].astype(np.int64),
            "history": [perfect],
            "predictions": y_test.astype(np.int64),
            "parameter_count": 1,
        }
    )
    outcome = train_in_sandbox(trainer, spec, data, keras, time_limit_s=60)

    name, args = trainer.sent
    assert name == "fit_and_predict" and len(args) == 5
    assert not any(a is x_test or a is y_test for a in args), "the worker got the test set"
    assert outcome.test_accuracy == pytest.approx(np.mean(y_test == 0))
    assert outcome.val_accuracy == pytest.approx(np.mean(y_train[30:] == 0))
    assert outcome.agreement == pytest.approx(np.mean(y_train[30:] == 0))
    assert outcome.parameter_count == spec.parameter_count
    assert outcome.confusion[:, 0].sum() == len(y_test) == outcome.confusion.sum()
    summary = describe_outcome(outcome)
    assert summary.startswith(f"test accuracy {np.mean(y_test == 0):.2%} after 1 epochs")
    assert "FINDING: your own forward pass agrees with the kit's on only" in summary
    assert "reported by the trainer in your code's process" in summary
    assert "validation accuracy 100.00% (the kit measures" in summary
    assert all(keys_in(line) for line in summary.split("\n")), "each line is a catalogue sentence"


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("all correct", "returned a value of type str, expected a dict"),
        ({"predictions": np.zeros(30, np.int64)}, "None as weights"),
        ({"val_predictions": np.zeros(9, np.int64)}, "val_predictions, expected 10 class"),
        ({"val_predictions": np.full(10, 10, np.int64)}, "from 0 to 9"),
        ({"val_predictions": np.zeros(10)}, "dtype float64 as val_predictions"),
        ({"history": None}, "None as its history"),
    ],
)
def test_a_trainer_answer_out_of_layout_is_refused(mlp, keras, answer, message):
    spec = validate(MLP, {**TRAINING, "epochs": 1, "validation_split": 0.25}, (28, 28), 10, keras)
    good = {"weights": _weights(spec), "val_predictions": np.zeros(10, np.int64), "history": []}
    forged = {**good, **answer} if isinstance(answer, dict) else answer
    if isinstance(answer, dict) and "predictions" in answer:
        del forged["weights"]
    with pytest.raises(TrainerOutputError, match=message):
        train_in_sandbox(_ScriptedTrainer(forged), spec, _small_data(), keras, time_limit_s=60)


@contextlib.contextmanager
def _solutions_worker(kit_root):
    """A real worker holding solutions 1-9 and 18 (the recurrent layers) and the trainer."""
    from grader.engine.policy import SANDBOX_POLICY
    from grader.engine.runner import TRAINER_SCRIPT
    from grader.sandbox import LearnerProxy, Limits

    solutions = kit_root / "solutions"
    paths = [*solutions.glob("ex0[1-9]_*.py"), solutions / "ex18_recurrent.py"]
    learner = LearnerProxy(
        solutions / "ex12_mnist_mlp.py",
        "ex12_mnist_mlp",
        Limits(call_timeout_s=60),
        {**{p.stem: p for p in paths}, "nnlab_trainer": TRAINER_SCRIPT},
        **SANDBOX_POLICY,
    )
    try:
        yield learner
    finally:
        learner.close()


def _train_on_solutions(spec, data, kit_root):
    """Train `spec` in a real worker from solutions 1-9 and 18; the outcome as the grader
    judges it."""
    with _solutions_worker(kit_root) as learner:
        return train_in_sandbox(learner, spec, data, oracles.keras(), time_limit_s=120)


def test_a_network_starting_with_pooling_trains_on_greyscale_images(keras, kit_root):
    """The input shape (with its channel axis) is decided once, by validate, for every side."""
    layers = [{"layer": "max_pool", "pool_size": 2}, {"layer": "flatten"}, MLP[-1]]
    training = {"optimizer": "adam", "learning_rate": 1e-2, "epochs": 1, "batch_size": 16}
    spec = validate(layers, training, (28, 28), 10, keras)
    assert spec.input_shape == (28, 28, 1)
    outcome = _train_on_solutions(spec, _small_data(80, 20), kit_root)
    assert outcome.parameter_count == spec.parameter_count == 1970
    assert len(outcome.history) == 1 and outcome.confusion.sum() == 20
    assert outcome.held_out == 8 and outcome.agreement == 1.0


def test_the_kits_forward_pass_agrees_with_the_learners_on_a_cnn(keras, kit_root):
    """Conv kernels in Keras' layout, dropout off at prediction: both forward passes agree."""
    layers = [
        {"layer": "conv2d", "filters": 4, "kernel_size": 3, "activation": "relu"},
        {"layer": "max_pool", "pool_size": 2},
        {"layer": "flatten"},
        {"layer": "dropout", "rate": 0.5},
        {"layer": "dense", "units": 16, "activation": "tanh"},
        MLP[-1],
    ]
    training = {**TRAINING, "epochs": 2, "batch_size": 16, "validation_split": 0.25}
    spec = validate(layers, training, (28, 28), 10, keras)
    outcome = _train_on_solutions(spec, _small_data(80, 20), kit_root)
    assert outcome.held_out == 20 and outcome.agreement == 1.0
    assert [h["epoch"] for h in outcome.history] == [1, 2]
    assert outcome.history[-1]["val_accuracy"] == outcome.val_accuracy


def test_keras_trains_the_same_network_for_comparison(keras):
    """--compare-keras: Keras trains and scores the spec's network on the same scaled images."""
    training = {**TRAINING, "epochs": 1, "batch_size": 16, "validation_split": 0.25}
    spec = validate(MLP, training, (28, 28), 10, keras)
    theirs = train_keras(spec, _small_data(), keras)
    assert 0.0 <= theirs["test_accuracy"] <= 1.0 and theirs["val_accuracy"] is not None
    assert theirs["epochs"] == 1 and theirs["seconds"] > 0


def test_progress_from_the_worker_reaches_the_display_only_as_bounded_numbers():
    from grader.engine.capstone import describe_epoch, progress_record

    hostile = [
        "not a dict",
        {"epoch": "1"},
        {"epoch": True},
        {"epoch": 0},
        {"epoch": 10**9},
        {"epoch": 1, "fraction": "all", "loss": [1], "accuracy": float("inf")},
        {"epoch": 2, "fraction": -5, "loss": 0.5, "val_accuracy": "x" * 10**6},
    ]
    kept = [progress_record(raw, epochs=3) for raw in hostile]
    assert kept[:5] == [None] * 5
    assert kept[5]["fraction"] == 0.0 and kept[5]["epochs"] == 3
    assert kept[6]["fraction"] == 0.0 and kept[6]["loss"] == 0.5
    for record in kept[5:]:
        assert len(describe_epoch(record)) < 200


CRASHING_RELU = """

import os as _os

_relu = relu


def relu(x):
    if x.size > 1000:  # a training batch, not the trial run's tiny input
        _os._exit(3)
    return _relu(x)
"""


def test_a_crash_in_training_is_reported_by_each_check_that_needs_the_network(tmp_path, kit_root):
    """Every check that needs the trained network says why there is none (pytest keeps the
    problem for each), and the comparison, worth no points, is not run rather than failed."""
    from grader.engine.runner import GradingOptions, grade_exercise

    for module in (kit_root / "solutions").glob("ex0[1-9]_*.py"):
        (tmp_path / module.name).write_bytes(module.read_bytes())
    with (tmp_path / "ex02_activations.py").open("a", encoding="utf-8") as ex02:
        ex02.write(CRASHING_RELU)
    (tmp_path / "ex12_mnist_mlp.py").write_text(
        f"LAYERS = {[{'layer': 'dense', 'units': 16, 'activation': 'relu'}, MLP[-1]]!r}\n"
        "TRAINING = {'optimizer': 'adam', 'learning_rate': 0.01, 'epochs': 1, "
        "'batch_size': 1024}\n",
        encoding="utf-8",
    )
    report = grade_exercise(12, tmp_path, GradingOptions(report_dir=tmp_path / "plots"))

    checks = {c.name: c for c in report.checks}
    died = "your code's process died during the training of your network: it exited with code 3"
    assert checks["network_and_training_settings_are_valid"].status == "passed"
    for name in (
        "parameter_count_matches_the_same_model_in_keras",
        "test_accuracy_reaches_the_bar",
    ):
        assert checks[name].status == "error", checks[name]
        assert checks[name].message.startswith(died), checks[name].message
    comparison = checks["the_same_network_in_keras_for_comparison"]
    assert (comparison.status, comparison.points) == ("skipped", 0)
    assert comparison.message.startswith(died)


@pytest.mark.parametrize(
    ("problem", "status", "message"),
    [
        (
            "LearnerTimeout",
            "timeout",
            "the trial run of your functions on tiny inputs did not finish within 60 s "
            "(an endless loop?)",
        ),
        ("NotImplementedYet", "failed", "one of your functions raised NotImplementedError"),
    ],
)
def test_a_problem_in_the_trainer_is_kept_in_the_learners_words(problem, status, message):
    """The kit's own function names (`probe_functions`, `fit_and_predict`) never reach the
    learner, and the problem keeps its status as an Exception pytest can keep for each check."""
    from grader.engine import capstone
    from grader.sandbox import client

    raised = getattr(client, problem)(
        f"`{capstone.PROBE_CALL}` did not finish within 60 s (an endless loop?)"
    )
    kept = capstone.kept_problem(
        raised, capstone.PROBE_CALL, "the trial run of your functions on tiny inputs"
    )
    assert isinstance(kept, Exception) and kept.status == status
    assert str(kept).startswith(message) and "probe_functions" not in str(kept)


# ---------------------------------------------------------------- recurrent networks (exercise 19)

ROWS = [
    {"layer": "lstm", "units": 4},
    {"layer": "dense", "units": 10, "activation": "softmax"},
]
ADDING = [{"layer": "lstm", "units": 3}, {"layer": "dense", "units": 1}]
ADDING_NAMES = ("ADDING_LAYERS", "ADDING_TRAINING")
SMALL_TRAINING = {"optimizer": "adam", "learning_rate": 1e-2, "epochs": 1, "batch_size": 16}


@pytest.mark.parametrize(("kind", "gates"), [("simple_rnn", 1), ("lstm", 4)])
@pytest.mark.parametrize("sequences_out", [False, True])
def test_a_recurrent_layer_has_keras_weights_parameters_and_output(
    keras, kind, gates, sequences_out
):
    """kernel (D, gH), recurrent_kernel (H, gH), bias (gH,) under Keras' own names, in the
    order of layer.weights; the count and output shape are those of the Keras layer."""
    steps, features, units = 7, 4, 5
    layer = {"layer": kind, "units": units, "return_sequences": sequences_out}
    after = [{"layer": "lstm", "units": 3}] if sequences_out else []
    spec = validate([layer, *after, {"layer": "dense", "units": 1}], TRAINING, (7, 4), None, keras)

    theirs = getattr(keras.layers, "LSTM" if kind == "lstm" else "SimpleRNN")(
        units, return_sequences=sequences_out
    )
    keras.Sequential([keras.Input((steps, features)), theirs])
    expected = {w.name: tuple(w.shape) for w in theirs.weights}
    assert list(expected) == ["kernel", "recurrent_kernel", "bias"]
    assert spec.weight_shapes[0] == expected
    assert list(spec.weight_shapes[0]) == list(expected), "in the order of layer.weights"
    assert expected["kernel"] == (features, gates * units)
    count = gates * (features * units + units * units + units)
    assert theirs.count_params() == count
    assert sum(np.prod(s) for s in spec.weight_shapes[0].values()) == count
    sizes = [np.prod(s) for shapes in spec.weight_shapes for s in shapes.values()]
    assert spec.parameter_count == sum(sizes)
    assert spec.layers[0]["out_shape"] == ([steps, units] if sequences_out else [units])
    assert spec.layers[0]["return_sequences"] is sequences_out


def test_stacked_lstms_then_dense_match_keras(keras):
    layers = [
        {"layer": "lstm", "units": 5, "return_sequences": True},
        {"layer": "lstm", "units": 3},
        {"layer": "dropout", "rate": 0.2},
        {"layer": "dense", "units": 10, "activation": "softmax"},
    ]
    spec = validate(layers, TRAINING, (28, 28), 10, keras, recurrent=True)
    theirs = keras.Sequential(
        [
            keras.Input((28, 28)),
            keras.layers.LSTM(5, return_sequences=True),
            keras.layers.LSTM(3),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    assert (
        spec.parameter_count
        == theirs.count_params()
        == 4 * (28 * 5 + 25 + 5) + 4 * (5 * 3 + 9 + 3) + (3 * 10 + 10)
    )
    assert [s["out_shape"] for s in spec.layers] == [[28, 5], [3], [3], [10]]
    assert spec.weight_shapes[1] == {"kernel": (5, 12), "recurrent_kernel": (3, 12), "bias": (12,)}
    assert spec.input_shape == (28, 28) and not spec.implicit_flatten
    assert spec.layer_name(1) == "LAYERS[1] (lstm)"


def test_a_regression_network_trains_on_mean_squared_error(keras):
    linear = [ADDING[0], {"layer": "dense", "units": 1, "activation": "linear"}]
    spec = validate(linear, SMALL_TRAINING, (50, 2), None, keras, recurrent=True)
    assert spec.regression and spec.training["loss"] == "mse"
    assert spec.layers[-1]["activation"] is None
    classes = validate(ROWS, SMALL_TRAINING, (28, 28), 10, keras, recurrent=True)
    assert not classes.regression and classes.training["loss"] == "softmax_cross_entropy"


LSTM_SEQUENCES = {"layer": "lstm", "units": 4, "return_sequences": True}
SOFTMAX = {"layer": "dense", "units": 10, "activation": "softmax"}


@pytest.mark.parametrize(
    ("layers", "shape", "n_classes", "training", "message"),
    [
        # spec_needs_sequences
        ([{"layer": "flatten"}, *ROWS], (28, 28), 10, TRAINING, r"LAYERS\[1\] \(lstm\) needs seq"),
        (ROWS, (32, 32, 3), 10, TRAINING, r"LAYERS\[0\] \(lstm\) needs sequences of shape"),
        (
            [{"layer": "dense", "units": 8, "activation": "relu"}, *ROWS],
            (28, 28),
            10,
            TRAINING,
            r"LAYERS\[1\] \(lstm\) needs sequences",
        ),
        ([{**CNN[0]}, *ROWS], (28, 28), 10, TRAINING, r"LAYERS\[1\] \(lstm\) needs sequences"),
        # spec_sequence_to_dense
        ([LSTM_SEQUENCES, SOFTMAX], (28, 28), 10, TRAINING, r"LAYERS\[1\] \(dense\).*return_seq"),
        (
            [LSTM_SEQUENCES, {"layer": "dropout", "rate": 0.1}, SOFTMAX],
            (28, 28),
            10,
            TRAINING,
            r"LAYERS\[2\] \(dense\) needs vectors, but .* set its return_sequences to False",
        ),
        # spec_return_sequences
        (
            [{**ROWS[0], "return_sequences": "yes"}, SOFTMAX],
            (28, 28),
            10,
            TRAINING,
            r"LAYERS\[0\]: return_sequences must be True or False, got 'yes'",
        ),
        ([{**ROWS[0], "return_sequences": 1}, SOFTMAX], (28, 28), 10, TRAINING, "got 1"),
        ([{**ROWS[0], "return_sequences": None}, SOFTMAX], (28, 28), 10, TRAINING, "got None"),
        # a recurrent layer takes no activation and needs units
        ([{**ROWS[0], "activation": "relu"}, SOFTMAX], (28, 28), 10, TRAINING, "unknown keys"),
        ([{"layer": "simple_rnn"}, SOFTMAX], (28, 28), 10, TRAINING, "units"),
        # spec_last_layer_regression
        ([ROWS[0], {"layer": "dense", "units": 2}], (50, 2), None, TRAINING, "one number per"),
        (
            [ROWS[0], {"layer": "dense", "units": 1, "activation": "relu"}],
            (50, 2),
            None,
            TRAINING,
            "with no activation",
        ),
        (
            [ROWS[0], {"layer": "dense", "units": 1, "activation": "softmax"}],
            (50, 2),
            None,
            TRAINING,
            "one number per sequence",
        ),
        ([{"layer": "lstm", "units": 1}], (50, 2), None, TRAINING, "one number per sequence"),
        ([ROWS[0], {"layer": "dropout", "rate": 0.1}], (50, 2), None, TRAINING, "one number per"),
    ],
)
def test_a_broken_recurrent_spec_gets_a_plain_message(
    keras, layers, shape, n_classes, training, message
):
    with pytest.raises(SpecError, match=message):
        validate(layers, training, shape, n_classes, keras)


@pytest.mark.parametrize(
    ("layers", "message"),
    [
        (
            [{"layer": "dense", "units": 16, "activation": "relu"}, SOFTMAX],  # dense only
            "^LAYERS must read the sequence with a simple_rnn or lstm layer first",
        ),
        ([{"layer": "flatten"}, SOFTMAX], r"^LAYERS\[0\] is a flatten"),  # no recurrent layer
        # every step would reach the dense layer
        ([LSTM_SEQUENCES, {"layer": "flatten"}, SOFTMAX], r"^LAYERS\[1\] is a flatten"),
    ],
    ids=["dense-only", "no-recurrent-layer", "flatten"],
)
def test_exercise_19_needs_a_recurrent_layer_and_no_flatten(keras, layers, message):
    validate(layers, TRAINING, (28, 28), 10, keras)  # a network of exercise 12 would be fine
    with pytest.raises(SpecError, match=message):
        validate(layers, TRAINING, (28, 28), 10, keras, recurrent=True)
    assert validate(ROWS, TRAINING, (28, 28), 10, keras, recurrent=True).parameter_count > 0


@pytest.mark.parametrize("clipnorm", [0, -1, True, "1", float("nan"), [1.0]])
def test_a_bad_global_clipnorm_gets_a_plain_message(keras, clipnorm):
    with pytest.raises(SpecError, match=r"TRAINING\['global_clipnorm'\] must be a positive"):
        validate(ROWS, {**TRAINING, "global_clipnorm": clipnorm}, (28, 28), 10, keras)


def test_global_clipnorm_is_kept_and_reaches_keras(keras):
    spec = validate(ROWS, {**TRAINING, "global_clipnorm": 1}, (28, 28), 10, keras)
    assert spec.training["global_clipnorm"] == 1.0
    for optimizer in ("adam", "rmsprop", "sgd"):
        training = {**spec.training, "optimizer": optimizer, "optimizer_options": {}}
        assert keras_optimizer(training, keras).global_clipnorm == 1.0
    momentum = {**spec.training, "optimizer": "momentum", "optimizer_options": {"momentum": 0.9}}
    assert keras_optimizer(momentum, keras).global_clipnorm == 1.0
    plain = validate(ROWS, TRAINING, (28, 28), 10, keras)
    assert "global_clipnorm" not in plain.training
    assert keras_optimizer(plain.training, keras).global_clipnorm is None


@pytest.mark.parametrize(
    ("layers", "training", "message"),
    [
        ([], SMALL_TRAINING, "ADDING_LAYERS must be a non-empty list"),
        ([LSTM_SEQUENCES, ADDING[1]], SMALL_TRAINING, r"^ADDING_LAYERS\[1\] \(dense\) needs"),
        ([{"layer": "flatten"}, *ADDING], SMALL_TRAINING, r"^ADDING_LAYERS\[1\] \(lstm\) needs"),
        ([{**ADDING[0], "return_sequences": 0}, ADDING[1]], SMALL_TRAINING, r"^ADDING_LAYERS\[0\]"),
        ([{"layer": "dense", "units": 1}], SMALL_TRAINING, "^ADDING_LAYERS must read"),
        (ADDING, {**SMALL_TRAINING, "global_clipnorm": 0}, r"^ADDING_TRAINING\['global_clipnorm"),
        (ADDING, {**SMALL_TRAINING, "epochs": 0}, "ADDING_TRAINING"),
        (ADDING, {**SMALL_TRAINING, "optimizer": "adagrad"}, "ADDING_TRAINING"),
        (ADDING, None, "ADDING_TRAINING must be a dict"),
    ],
)
def test_messages_name_the_values_the_learner_wrote(keras, layers, training, message):
    with pytest.raises(SpecError, match=message) as raised:
        validate(layers, training, (50, 2), None, keras, names=ADDING_NAMES, recurrent=True)
    assert "LAYERS" not in str(raised.value).replace("ADDING_LAYERS", "")
    assert "TRAINING" not in str(raised.value).replace("ADDING_TRAINING", "")


def test_a_regression_spec_names_its_layers_as_the_learner_wrote_them(keras):
    spec = validate(ADDING, SMALL_TRAINING, (50, 2), None, keras, names=ADDING_NAMES)
    assert [spec.layer_name(i) for i in range(2)] == [
        "ADDING_LAYERS[0] (lstm)",
        "ADDING_LAYERS[1] (dense)",
    ]


# ---- a regression network judged from its weights (forged trainer answers)


def _adding_data(n_train=40, n_test=30, length=6, seed=2):
    """A few short sequences of the adding problem, split as keras.datasets split data."""
    x, y = sequences.adding_problem(n_train + n_test, length, np.random.default_rng(seed))
    return (x[:n_train], y[:n_train]), (x[n_train:], y[n_train:])


@pytest.fixture(scope="module")
def adding_spec(keras):
    training = {**SMALL_TRAINING, "validation_split": 0.25}  # 10 of 40 held out
    return validate(ADDING, training, (6, 2), None, keras, names=ADDING_NAMES, recurrent=True)


def _adding_answer(spec, **changes) -> dict:
    good = {
        "weights": _weights(spec),
        "val_predictions": np.zeros(10, np.float32),
        "history": [{"epoch": 1, "loss": 0.5, "accuracy": None, "val_loss": 0.25, "seconds": 1.0}],
    }
    return {**good, **changes}


def test_a_regression_score_comes_from_the_weights(adding_spec, keras):
    """All-zero weights make Keras answer 0 for every sequence, whatever the worker says."""
    data = _adding_data()
    (x_train, y_train), (x_test, y_test) = data
    trainer = _ScriptedTrainer(_adding_answer(adding_spec, val_predictions=y_train[30:]))
    outcome = train_in_sandbox(trainer, adding_spec, data, keras, time_limit_s=60)

    name, args = trainer.sent
    assert name == "fit_and_predict" and len(args) == 5
    assert not any(a is x_test or a is y_test for a in args), "the worker got the test set"
    assert isinstance(outcome, RegressionOutcome)
    assert outcome.test_mse == pytest.approx(np.mean(y_test.astype(np.float64) ** 2))
    assert outcome.val_mse == pytest.approx(np.mean(y_train[30:].astype(np.float64) ** 2))
    mean = y_train[:30].astype(np.float64).mean()
    assert outcome.baseline_mse == pytest.approx(np.mean((y_test - mean) ** 2))
    assert np.all(outcome.predictions == 0) and outcome.targets.shape == (30,)
    assert outcome.agreement == 0.0, "the trainer's true sums are not what its weights answer"
    assert (outcome.held_out, outcome.test_inputs) == (10, 30)
    assert outcome.parameter_count == adding_spec.parameter_count
    summary = describe_regression(outcome)
    assert "FINDING: your own forward pass agrees with the kit's (within 0.001) on only 0.00%" in (
        summary
    )
    assert "validation loss 0.2500 (the kit measures" in summary


def test_a_regression_trainer_that_answers_what_its_weights_do_agrees(adding_spec, keras):
    nan_for_one = np.zeros(10, np.float32)
    nan_for_one[3] = np.nan  # NaN is allowed in the form, and never agrees
    outcome = train_in_sandbox(
        _ScriptedTrainer(_adding_answer(adding_spec, val_predictions=nan_for_one)),
        adding_spec,
        _adding_data(),
        keras,
        time_limit_s=60,
    )
    assert outcome.agreement == pytest.approx(0.9)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"val_predictions": np.zeros(10, np.int64)}, "dtype int64 as val_predictions"),
        ({"val_predictions": np.zeros(10, bool)}, "dtype bool as val_predictions"),
        ({"val_predictions": np.zeros(9, np.float32)}, r"shape \(9,\) .* expected 10 numbers"),
        ({"val_predictions": np.zeros((10, 1), np.float32)}, r"shape \(10, 1\)"),
        ({"val_predictions": [0.0] * 10}, "a value of type list as val_predictions"),
        ({"val_predictions": None}, "None as val_predictions"),
        (
            {"weights": "lstm"},
            "a value of type str as weights",
        ),
        (
            {"history": [{"epoch": 1, "loss": 0.5, "val_loss": "low", "seconds": 1.0}]},
            "type str as `val_loss`",
        ),
    ],
)
def test_a_regression_trainer_answer_out_of_layout_is_refused(adding_spec, keras, changes, message):
    trainer = _ScriptedTrainer(_adding_answer(adding_spec, **changes))
    with pytest.raises(TrainerOutputError, match=message):
        train_in_sandbox(trainer, adding_spec, _adding_data(), keras, time_limit_s=60)


@pytest.mark.parametrize(
    ("forge", "message"),
    [
        (
            lambda w: {"w": w["kernel"], "b": w["bias"]},
            r"keys \['b', 'w'\] for ADDING_LAYERS\[0\] \(lstm\), expected a dict with keys "
            r"\['bias', 'kernel', 'recurrent_kernel'\]",
        ),
        (
            lambda w: {**w, "recurrent_kernel": w["kernel"]},
            r"`recurrent_kernel` of shape \(2, 12\) for ADDING_LAYERS\[0\] \(lstm\), "
            r"expected \(3, 12\)",
        ),
        (
            lambda w: {**w, "bias": np.zeros(3, np.float32)},  # one gate's bias, not four
            r"`bias` of shape \(3,\) for ADDING_LAYERS\[0\] \(lstm\), expected \(12,\)",
        ),
        (
            lambda w: {**w, "kernel": np.full((2, 12), np.inf, np.float32)},
            r"`kernel` for ADDING_LAYERS\[0\] \(lstm\) holding 24 NaN or infinite",
        ),
    ],
)
def test_forged_recurrent_weights_are_refused(adding_spec, keras, forge, message):
    weights = _weights(adding_spec)
    weights[0] = forge(weights[0])
    trainer = _ScriptedTrainer(_adding_answer(adding_spec, weights=weights))
    with pytest.raises(TrainerOutputError, match=message):
        train_in_sandbox(trainer, adding_spec, _adding_data(), keras, time_limit_s=60)


# ---- real workers: the learner's recurrent layers and the kit's agree


class _Kept:
    """A learner proxy that keeps the trainer's answer, to judge it again in the test."""

    def __init__(self, learner):
        self.learner, self.answer = learner, None

    def call(self, name, *args, **options):
        result = self.learner.call(name, *args, **options)
        if name == "fit_and_predict":
            self.answer = result
        return result


def test_the_kits_forward_pass_agrees_with_the_learners_lstm_on_rows(keras, kit_root):
    training = {**SMALL_TRAINING, "validation_split": 0.25, "global_clipnorm": 1.0}
    spec = validate(ROWS, training, (28, 28), 10, keras, recurrent=True)
    outcome = _train_on_solutions(spec, _small_data(80, 20), kit_root)
    assert outcome.parameter_count == spec.parameter_count == 4 * (28 * 4 + 16 + 4) + 50
    assert outcome.held_out == 20 and outcome.agreement == 1.0
    assert outcome.confusion.sum() == 20 and len(outcome.history) == 1


def test_the_kits_forward_pass_agrees_with_the_learners_lstm_on_the_adding_problem(keras, kit_root):
    training = {**SMALL_TRAINING, "epochs": 2, "validation_split": 0.25, "global_clipnorm": 1.0}
    spec = validate(ADDING, training, (8, 2), None, keras, names=ADDING_NAMES, recurrent=True)
    data = _adding_data(60, 20, length=8)
    (x_train, y_train), (x_test, y_test) = data
    with _solutions_worker(kit_root) as learner:
        kept = _Kept(learner)
        outcome = train_in_sandbox(kept, spec, data, keras, time_limit_s=120, label="adding")

    assert isinstance(outcome, RegressionOutcome)
    assert outcome.held_out == 15 and outcome.agreement == 1.0
    assert outcome.parameter_count == spec.parameter_count
    model = trusted_model(spec, checked_weights(spec, kept.answer["weights"]), keras)
    ours = model.predict(x_test, verbose=0).astype(np.float64).ravel()
    assert outcome.test_mse == pytest.approx(np.mean((ours - y_test) ** 2), rel=1e-6)
    np.testing.assert_allclose(outcome.predictions, ours, rtol=1e-6)
    mean = y_train[:45].astype(np.float64).mean()
    assert outcome.baseline_mse == pytest.approx(np.mean((y_test - mean) ** 2), rel=1e-9)
    assert [h["epoch"] for h in outcome.history] == [1, 2]
    for record in outcome.history:
        assert record["accuracy"] is None and record["val_accuracy"] is None
        assert isinstance(record["val_loss"], float) and record["val_loss"] >= 0
    assert outcome.history[-1]["val_loss"] == pytest.approx(outcome.val_mse, abs=1e-3)


def test_keras_trains_the_same_regression_network_for_comparison(keras):
    training = {**SMALL_TRAINING, "validation_split": 0.25, "global_clipnorm": 1.0}
    spec = validate(ADDING, training, (6, 2), None, keras, recurrent=True)
    theirs = train_keras(spec, _adding_data(), keras)
    assert set(theirs) == {"seconds", "epochs", "test_mse", "val_mse"}
    assert np.isfinite(theirs["test_mse"]) and theirs["test_mse"] >= 0
    assert isinstance(theirs["val_mse"], float) and theirs["val_mse"] >= 0
    assert theirs["epochs"] == 1


# ---- what a regression network's progress and outcome read like


def test_a_regression_epoch_reads_without_accuracy_and_with_its_label():
    raw = {"epoch": 2, "epochs": 8, "fraction": 1.0, "loss": 0.12, "accuracy": None}
    record = progress_record({**raw, "val_loss": 0.1, "seconds": 3.21, "done": True}, 8, "adding")
    assert record["label"] == "adding" and record["val_accuracy"] is None
    assert (
        describe_finished_epoch(record) == "adding: epoch 2/8  loss 0.1200  val_loss 0.1000  3.2 s"
    )
    assert describe_epoch(record) == "adding: epoch 2/8 100%  loss 0.1200  val_loss 0.1000"
    assert describe_epoch({**raw, "val_loss": None}) == "epoch 2/8 100%  loss 0.1200"
    streamed = progress_record({**raw, "fraction": 0.5}, 8, "adding problem")
    assert describe_epoch(streamed) == "adding problem: epoch 2/8 50%  loss 0.1200"
    unlabelled = progress_record({**raw, "accuracy": 0.5, "done": True, "seconds": 1}, 8)
    assert describe_finished_epoch(unlabelled) == "epoch 2/8  loss 0.1200  accuracy 50.00%  1.0 s"


def _regression_outcome(agreement, history) -> RegressionOutcome:
    return RegressionOutcome(
        history=history,
        test_mse=0.03125,
        baseline_mse=1 / 6,
        val_mse=0.041,
        agreement=agreement,
        parameter_count=4385,
        seconds=12.0,
        epochs=8,
        test_inputs=1000,
        held_out=1000,
        predictions=np.zeros(1000),
        targets=np.ones(1000),
    )


def test_every_line_of_a_capstone_summary_reads_in_chinese():
    """One catalogue sentence per line: a learner's Chinese screen shows no English line."""
    record = {"epoch": 8, "loss": 0.05, "accuracy": None, "val_accuracy": None, "val_loss": 0.04}
    for agreement in (0.999, 0.5, None):
        summary = describe_regression(_regression_outcome(agreement, [{**record, "seconds": 1.0}]))
        for line in summary.split("\n"):
            assert keys_in(line), line
            assert not re.search("[a-z]{4,}", translate(line, "zh").replace("FINDING", "")), line


def test_a_regression_outcome_reads_well():
    record = {"epoch": 8, "loss": 0.05, "accuracy": None, "val_accuracy": None, "val_loss": 0.04}
    summary = describe_regression(_regression_outcome(0.999, [{**record, "seconds": 1.0}]))
    assert summary.split("\n") == [
        "test mean squared error 0.0312 after 8 epochs in 12 s (the kit's forward pass with "
        "your trained weights on the 1,000 test sequences; always answering the mean would "
        "score 0.1667)",
        "your own forward pass agrees with the kit's (within 0.001) on 99.90% of the 1,000 "
        "validation sequences",
        "reported by the trainer in your code's process, last epoch: "
        "training loss 0.0500, validation loss 0.0400 (the kit measures 0.0410)",
    ]
    assert "accuracy" not in summary
    finding = describe_regression(_regression_outcome(0.5, []))
    assert "FINDING: your own forward pass agrees with the kit's (within 0.001) on only 50.00%" in (
        finding
    )
    assert "reported by the trainer" not in finding
    unsplit = describe_regression(_regression_outcome(None, [{**record, "val_loss": None}]))
    assert "no validation split: your own forward pass was not compared" in unsplit
    assert unsplit.endswith("last epoch: training loss 0.0500")


@pytest.mark.parametrize(
    "record",
    [
        {"epoch": 1, "loss": 1.7e308, "accuracy": 0.5, "seconds": 1.0},
        {"epoch": -1.7e308, "loss": 0.5, "accuracy": 0.5, "seconds": 1.0},
        {"epoch": 7, "loss": 0.5, "accuracy": 0.5, "seconds": 1.0},
    ],
    ids=["a-loss-no-axis-spans", "an-absurd-epoch", "an-epoch-past-the-last"],
)
def test_a_history_no_curve_can_draw_is_refused_plainly(record):
    """Finite but absurd numbers would crash the loss curves (matplotlib's axes overflow):
    they are refused as out of form, as NaN is."""
    with pytest.raises(TrainerOutputError, match="the trainer's history"):
        reported_history([record], epochs=2)
