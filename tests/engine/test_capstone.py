"""Capstones: every mistake in LAYERS/TRAINING gets a plain message, and the trained
network is judged from its weights on the trusted side, never from what the worker claims."""

import numpy as np
import pytest
from grade_cli import KIT_ROOT

from grader.engine import oracles
from grader.engine.capstone import (
    SpecError,
    TrainerOutputError,
    checked_weights,
    describe_epoch,
    describe_outcome,
    reported_history,
    train_in_sandbox,
    train_keras,
    validate,
)

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
        {"epoch": 1, "loss": 0.5, "accuracy": 1.0, "val_accuracy": None, "seconds": 2.0}
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


def _train_on_solutions(spec, data, kit_root):
    """Train `spec` in a real worker from solutions 1-9; the outcome as the grader judges it."""
    from grader.engine.policy import SANDBOX_POLICY
    from grader.engine.runner import TRAINER_SCRIPT
    from grader.sandbox import LearnerProxy, Limits

    solutions = kit_root / "solutions"
    modules = {p.stem: p for p in solutions.glob("ex0[1-9]_*.py")}
    learner = LearnerProxy(
        solutions / "ex12_mnist_mlp.py",
        "ex12_mnist_mlp",
        Limits(call_timeout_s=60),
        {**modules, "nnlab_trainer": TRAINER_SCRIPT},
        **SANDBOX_POLICY,
    )
    try:
        return train_in_sandbox(learner, spec, data, oracles.keras(), time_limit_s=120)
    finally:
        learner.close()


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
