"""Capstones, trusted side: check the learner's network spec, train it, judge it.

A capstone module declares `LAYERS` and `TRAINING` (CURRICULUM.md, 12-15).
Here the spec is validated and normalised (plain messages for every mistake),
the same model is built in Keras for its parameter count and output shapes,
the training runs in the sandbox worker (grader/sandbox/trainer.py, built
from the learner's own functions), and the returned test predictions are
scored against labels the worker never sees. Plots go to the report folder.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ACTIVATIONS = {"relu", "sigmoid", "tanh", "linear", None}
OPTIMIZERS = {"sgd", "momentum", "rmsprop", "adam"}
LAYER_KEYS = {
    "conv2d": {"filters", "kernel_size", "stride", "padding", "activation", "kernel_initializer"},
    "max_pool": {"pool_size", "stride", "padding"},
    "avg_pool": {"pool_size", "stride", "padding"},
    "flatten": set(),
    "dense": {"units", "activation", "kernel_initializer"},
    "dropout": {"rate"},
}
OPTIMIZER_OPTIONS = {
    "sgd": {"momentum", "nesterov"},
    "momentum": {"momentum", "nesterov"},
    "rmsprop": {"rho", "epsilon"},
    "adam": {"beta_1", "beta_2", "epsilon"},
}
TRAINING_KEYS = {"optimizer", "learning_rate", "epochs", "batch_size", "validation_split", "decay"}


class SpecError(ValueError):
    """The learner's LAYERS or TRAINING cannot be built; the message says why."""


@dataclass
class Spec:
    """A validated, normalised capstone network and its training settings."""

    layers: list[dict]
    training: dict
    parameter_count: int
    input_shape: tuple[int, ...]
    summary: list[str] = field(default_factory=list)


def _pair(value, what: str) -> list[int]:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return [value, value]
    if (
        isinstance(value, list | tuple)
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value)
    ):
        return [int(value[0]), int(value[1])]
    raise SpecError(f"{what} must be a positive int or a (height, width) pair, got {value!r}")


def _positive_int(spec: dict, key: str, where: str, default=None) -> int:
    value = spec.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise SpecError(f"{where}: `{key}` must be a positive whole number, got {value!r}")
    return value


def _normalise_layer(raw, index: int, last: bool, n_classes: int) -> dict:
    where = f"LAYERS[{index}]"
    if not isinstance(raw, dict) or raw.get("layer") not in LAYER_KEYS:
        kinds = ", ".join(sorted(LAYER_KEYS))
        raise SpecError(f"{where} must be a dict whose 'layer' is one of: {kinds}; got {raw!r}")
    kind = raw["layer"]
    unknown = set(raw) - LAYER_KEYS[kind] - {"layer"}
    if unknown:
        allowed = ", ".join(sorted(LAYER_KEYS[kind])) or "nothing else"
        raise SpecError(f"{where} ({kind}) has unknown keys {sorted(unknown)}; allowed: {allowed}")
    spec = {"layer": kind}
    if kind in ("conv2d", "dense"):
        activation = raw.get("activation")
        allowed = ACTIVATIONS | ({"softmax"} if last and kind == "dense" else set())
        if activation not in allowed:
            raise SpecError(
                f"{where}: activation {activation!r} is not supported here; "
                f"use one of relu, sigmoid, tanh, linear" + (" or softmax" if last else "")
            )
        spec["activation"] = None if activation == "linear" else activation
        initializer = raw.get("kernel_initializer", "glorot_uniform")
        if initializer not in ("glorot_uniform", "he_normal"):
            raise SpecError(f"{where}: kernel_initializer must be glorot_uniform or he_normal")
        spec["kernel_initializer"] = initializer
    if kind == "conv2d":
        spec["filters"] = _positive_int(raw, "filters", where)
        spec["kernel_size"] = _pair(raw.get("kernel_size", 3), f"{where}: kernel_size")
    if kind in ("max_pool", "avg_pool"):
        spec["pool_size"] = _pair(raw.get("pool_size", 2), f"{where}: pool_size")
    if kind in ("conv2d", "max_pool", "avg_pool"):
        default_stride = 1 if kind == "conv2d" else spec["pool_size"]
        stride = raw.get("stride", default_stride)
        spec["stride"] = _pair(stride, f"{where}: stride")
        padding = str(raw.get("padding", "valid")).lower()
        if padding not in ("valid", "same"):
            got = raw.get("padding")
            raise SpecError(f"{where}: padding must be 'valid' or 'same', got {got!r}")
        spec["padding"] = padding
    if kind == "dense":
        spec["units"] = _positive_int(raw, "units", where)
    if kind == "dropout":
        rate = raw.get("rate")
        if not isinstance(rate, int | float) or not 0 <= rate < 1:
            raise SpecError(f"{where}: dropout rate must be a number in [0, 1), got {rate!r}")
        spec["rate"] = float(rate)
    if last and (kind != "dense" or spec.get("activation") != "softmax"):
        raise SpecError(
            f"the last layer must be {{'layer': 'dense', 'units': {n_classes}, "
            f"'activation': 'softmax'}}: one probability per class"
        )
    if last and spec["units"] != n_classes:
        units = spec["units"]
        raise SpecError(f"the last layer has {units} units; this dataset has {n_classes} classes")
    return spec


def _normalise_training(raw) -> dict:
    if not isinstance(raw, dict):
        raise SpecError(f"TRAINING must be a dict, got {type(raw).__name__}")
    optimizer = str(raw.get("optimizer", "")).lower()
    if optimizer not in OPTIMIZERS:
        got = raw.get("optimizer")
        raise SpecError(f"TRAINING['optimizer'] must be one of {sorted(OPTIMIZERS)}, got {got!r}")
    unknown = set(raw) - TRAINING_KEYS - OPTIMIZER_OPTIONS[optimizer]
    if unknown:
        raise SpecError(f"TRAINING has unknown keys {sorted(unknown)} for optimizer {optimizer!r}")
    learning_rate = raw.get("learning_rate")
    if not isinstance(learning_rate, int | float) or not 0 < learning_rate < 10:
        raise SpecError(
            f"TRAINING['learning_rate'] must be a positive number, not {learning_rate!r}"
        )
    options = {k: raw[k] for k in OPTIMIZER_OPTIONS[optimizer] if k in raw}
    if optimizer == "sgd" and options.get("momentum"):
        optimizer = "momentum"
    elif optimizer == "sgd":
        options = {}
    training = {
        "optimizer": optimizer,
        "optimizer_options": options,
        "learning_rate": float(learning_rate),
        "epochs": _positive_int(raw, "epochs", "TRAINING"),
        "batch_size": _positive_int(raw, "batch_size", "TRAINING"),
        "validation_split": float(raw.get("validation_split", 0.1)),
    }
    if not 0 <= training["validation_split"] < 0.5:
        raise SpecError("TRAINING['validation_split'] must be in [0, 0.5)")
    if training["epochs"] > 100 or training["batch_size"] > 4096:
        raise SpecError("TRAINING: at most 100 epochs and batches of at most 4096")
    decay = raw.get("decay")
    if decay is not None:
        if not isinstance(decay, dict) or not {"decay_steps", "decay_rate"} <= set(decay):
            raise SpecError("TRAINING['decay'] must be a dict with decay_steps and decay_rate")
        training["decay"] = {
            "decay_steps": float(decay["decay_steps"]),
            "decay_rate": float(decay["decay_rate"]),
            "staircase": bool(decay.get("staircase", False)),
        }
    return training


def keras_model(layers: list[dict], input_shape: tuple, keras):
    """The same network in Keras (normalised layer specs -> keras.Sequential)."""
    stack = [keras.Input(shape=input_shape)]
    for spec in layers:
        kind = spec["layer"]
        if kind == "conv2d":
            stack.append(
                keras.layers.Conv2D(
                    spec["filters"],
                    tuple(spec["kernel_size"]),
                    strides=tuple(spec["stride"]),
                    padding=spec["padding"],
                    activation=spec["activation"],
                )
            )
        elif kind in ("max_pool", "avg_pool"):
            cls = keras.layers.MaxPooling2D if kind == "max_pool" else keras.layers.AveragePooling2D
            size, stride = tuple(spec["pool_size"]), tuple(spec["stride"])
            stack.append(cls(size, strides=stride, padding=spec["padding"]))
        elif kind == "flatten":
            stack.append(keras.layers.Flatten())
        elif kind == "dense":
            stack.append(keras.layers.Dense(spec["units"], activation=spec["activation"]))
        else:
            stack.append(keras.layers.Dropout(spec["rate"]))
    return keras.Sequential(stack)


def validate(layers, training, input_shape: tuple, n_classes: int, keras) -> Spec:
    """Check and normalise a capstone's LAYERS and TRAINING.

    Inputs:
    - layers, training: the learner's LAYERS and TRAINING values (plain data).
    - input_shape: one image's shape, e.g. (28, 28) or (32, 32, 3).
    - n_classes: the number of classes.
    - keras: the Keras module, to build the same model.

    Returns:
    - a Spec; raises SpecError with a plain message for any mistake.
    """
    if not isinstance(layers, list) or not layers:
        raise SpecError("LAYERS must be a non-empty list of layer dicts")
    normalised = [
        _normalise_layer(raw, i, i == len(layers) - 1, n_classes) for i, raw in enumerate(layers)
    ]
    uses_conv = any(s["layer"] in ("conv2d", "max_pool", "avg_pool") for s in normalised)
    shape = tuple(input_shape) + ((1,) if uses_conv and len(input_shape) == 2 else ())
    # A dense first layer gets the images flattened for it, as the stubs promise.
    implicit_flatten = normalised[0]["layer"] == "dense" and len(shape) > 1
    rank = 1 if implicit_flatten else len(shape)
    for i, spec in enumerate(normalised):
        if spec["layer"] in ("conv2d", "max_pool", "avg_pool") and rank != 3:
            kind = spec["layer"]
            raise SpecError(f"LAYERS[{i}] ({kind}) needs images: put it before any flatten")
        if spec["layer"] == "dense" and rank != 1:
            raise SpecError(f"LAYERS[{i}] (dense) needs vectors: put a flatten layer before it")
        if spec["layer"] == "flatten":
            rank = 1
    if implicit_flatten:
        normalised.insert(0, {"layer": "flatten"})
    try:
        model = keras_model(normalised, shape, keras)
    except ValueError as error:  # Keras refuses e.g. a pool window larger than the image
        first = str(error).strip().splitlines()[0]
        raise SpecError(f"the image got too small for a layer (Keras says: {first})") from None
    for spec, layer in zip(normalised, model.layers, strict=True):
        out_shape = tuple(layer.output.shape[1:])
        if any(d == 0 for d in out_shape):
            kind = spec["layer"]
            raise SpecError(f"{kind} leaves an empty output {out_shape}: the image got too small")
        spec["out_shape"] = list(out_shape)
    summary = [
        f"{layer.name}: {tuple(layer.output.shape[1:])}, {layer.count_params()} parameters"
        for layer in model.layers
    ]
    training = _normalise_training(training)
    return Spec(normalised, training, int(model.count_params()), shape, summary)


@dataclass
class TrainingOutcome:
    """What the worker returned, scored by the trusted side."""

    history: list[dict]
    test_accuracy: float
    val_accuracy: float | None
    parameter_count: int
    seconds: float
    confusion: np.ndarray
    plots: list[Path] = field(default_factory=list)


def train_in_sandbox(
    learner, spec: Spec, data, time_limit_s: float, on_progress=None
) -> TrainingOutcome:
    """Train the learner's network in its worker; score the test predictions here.

    Inputs:
    - learner: the LearnerProxy whose worker holds ex01..ex09 and the trainer.
    - spec: the validated Spec.
    - data: ((x_train, y_train), (x_test, y_test)) as keras.datasets give them.
    - time_limit_s: wall-clock limit of the whole training.
    - on_progress: callable(dict) for the streamed progress.

    Returns a TrainingOutcome (raises the learner's problems, e.g. LearnerTimeout).
    """
    (x_train, y_train), (x_test, y_test) = data
    started = time.monotonic()
    result = learner.call(
        "fit_and_predict",
        spec.layers,
        spec.training,
        list(spec.input_shape),
        x_train,
        np.asarray(y_train).ravel(),
        x_test,
        module="nnlab_trainer",
        timeout=time_limit_s,
        on_progress=on_progress,
    )
    seconds = time.monotonic() - started
    labels = np.asarray(y_test).ravel().astype(np.int64)
    predictions = np.asarray(result["predictions"]).ravel()
    if predictions.shape != labels.shape:
        got, want = predictions.shape[0], labels.shape[0]
        raise SpecError(f"the trainer returned {got} predictions for {want} images")
    n_classes = int(labels.max()) + 1
    valid = (predictions >= 0) & (predictions < n_classes)
    confusion = np.zeros((n_classes, n_classes), np.int64)
    np.add.at(confusion, (labels[valid], predictions[valid].astype(np.int64)), 1)
    history = list(result["history"])
    return TrainingOutcome(
        history=history,
        test_accuracy=float(np.mean(predictions == labels)),
        val_accuracy=history[-1].get("val_accuracy") if history else None,
        parameter_count=int(result["parameter_count"]),
        seconds=seconds,
        confusion=confusion,
    )


def save_plots(outcome: TrainingOutcome, folder: Path, title: str, class_names=None) -> list[Path]:
    """Loss/accuracy curves and the confusion matrix as PNGs in `folder`; returns their paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    epochs = [h["epoch"] for h in outcome.history]
    curves, (loss_axis, accuracy_axis) = plt.subplots(1, 2, figsize=(10, 4))
    loss_axis.plot(epochs, [h["loss"] for h in outcome.history], "o-", label="training loss")
    loss_axis.set(xlabel="epoch", ylabel="loss", title=f"{title}: loss")
    accuracy_axis.plot(epochs, [h["accuracy"] for h in outcome.history], "o-", label="training")
    if outcome.history and outcome.history[-1].get("val_accuracy") is not None:
        validation = [h["val_accuracy"] for h in outcome.history]
        accuracy_axis.plot(epochs, validation, "s-", label="validation")
    accuracy_axis.set(xlabel="epoch", ylabel="accuracy", title=f"{title}: accuracy")
    for axis in (loss_axis, accuracy_axis):
        axis.legend()
        axis.grid(alpha=0.3)
    curves.tight_layout()
    curves_path = folder / "curves.png"
    curves.savefig(curves_path, dpi=100)
    plt.close(curves)

    n = outcome.confusion.shape[0]
    names = list(class_names or range(n))
    figure, axis = plt.subplots(figsize=(7, 6))
    image = axis.imshow(outcome.confusion, cmap="Blues")
    axis.set(
        xticks=range(n),
        yticks=range(n),
        xlabel="predicted",
        ylabel="true",
        title=f"{title}\nconfusion matrix, test accuracy {outcome.test_accuracy:.2%}",
    )
    axis.set_xticklabels(names, rotation=45, ha="right")
    axis.set_yticklabels(names)
    threshold = outcome.confusion.max() / 2 if outcome.confusion.size else 0
    for (row, column), count in np.ndenumerate(outcome.confusion):
        axis.text(
            column,
            row,
            str(count),
            ha="center",
            va="center",
            fontsize=7,
            color="white" if count > threshold else "black",
        )
    figure.colorbar(image)
    figure.tight_layout()
    confusion_path = folder / "confusion_matrix.png"
    figure.savefig(confusion_path, dpi=100)
    plt.close(figure)
    return [curves_path, confusion_path]


def describe_epoch(progress: dict) -> str:
    """One status line for a progress message streamed by the trainer."""
    line = (
        f"epoch {progress.get('epoch')}/{progress.get('epochs')} "
        f"{progress.get('fraction', 0):.0%}  loss {progress.get('loss', math.nan):.4f}  "
        f"accuracy {progress.get('accuracy', math.nan):.4f}"
    )
    if progress.get("val_accuracy") is not None:
        line += f"  val_accuracy {progress['val_accuracy']:.4f}"
    return line


def keras_optimizer(training: dict, keras):
    """The Keras optimizer with the same settings as a normalised TRAINING dict."""
    rate = training["learning_rate"]
    if training.get("decay"):
        d = training["decay"]
        rate = keras.optimizers.schedules.ExponentialDecay(
            rate, d["decay_steps"], d["decay_rate"], staircase=d["staircase"]
        )
    options = training["optimizer_options"]
    if training["optimizer"] in ("sgd", "momentum"):
        return keras.optimizers.SGD(rate, **options)
    if training["optimizer"] == "rmsprop":
        return keras.optimizers.RMSprop(rate, **options)
    return keras.optimizers.Adam(rate, **options)


def train_keras(spec: Spec, data, keras, seed: int = 0) -> dict:
    """Train the same network in Keras, for comparison (trusted process).

    Returns a dict: test_accuracy, val_accuracy (last epoch), seconds, epochs.
    """
    (x_train, y_train), (x_test, y_test) = data
    keras.utils.set_random_seed(seed)
    scale = np.float32(255.0)
    x_fit = (x_train.astype(np.float32) / scale).reshape((-1, *spec.input_shape))
    x_eval = (x_test.astype(np.float32) / scale).reshape((-1, *spec.input_shape))
    model = keras_model(spec.layers, spec.input_shape, keras)
    model.compile(
        keras_optimizer(spec.training, keras),
        "sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    started = time.monotonic()
    history = model.fit(
        x_fit,
        np.asarray(y_train).ravel(),
        epochs=spec.training["epochs"],
        batch_size=spec.training["batch_size"],
        validation_split=spec.training["validation_split"],
        verbose=0,
    )
    seconds = time.monotonic() - started
    predictions = np.argmax(model.predict(x_eval, batch_size=512, verbose=0), axis=-1)
    val = history.history.get("val_accuracy") or [None]
    return {
        "test_accuracy": float(np.mean(predictions == np.asarray(y_test).ravel())),
        "val_accuracy": val[-1],
        "seconds": seconds,
        "epochs": spec.training["epochs"],
    }
