"""Capstones, trusted side: check the learner's network spec, train it, judge it.

A capstone module declares `LAYERS` and `TRAINING` (CURRICULUM.md, 12-15).
Here the spec is validated and normalised (plain messages for every mistake),
the same model is built in Keras for its parameter count, output and weight
shapes, and the training runs in the sandbox worker (grader/sandbox/trainer.py,
built from the learner's own functions). The worker never sees the test set;
it returns the trained weights. They are checked against the spec's shapes,
set into the same model in Keras, and that model predicts the test images
here: the score never rests on a prediction, count or curve the worker sends.
Plots go to the report folder.

Before training, the functions the network needs (computed here from the spec,
with the trainer's own `needed_functions`) are each tried once in the worker;
its fixed-form verdicts name the ones not written yet, and the checks that
need the trained network are then not run (NotRun) instead of failing.
"""

from __future__ import annotations

import math
import numbers
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from grader.checks.checking import CheckFailure
from grader.course.registry import exercises
from grader.engine.figures import pyplot, save
from grader.engine.profile import Profile, Watch
from grader.messages import text
from grader.sandbox.client import LearnerProblem, NotImplementedYet, RemoteFunction, RemoteObject
from grader.sandbox.trainer import (
    CLASSES,
    GAN,
    NO_MODULE,
    NOT_DEFINED,
    NOT_IMPLEMENTED,
    READY,
    REGRESSION,
    held_out_size,
    needed_functions,
    window_out,
)
from grader.sandbox.worker import Handle, MethodRef

ACTIVATIONS = {"relu", "sigmoid", "tanh", "linear", None}
OPTIMIZERS = {"sgd", "momentum", "rmsprop", "adam"}
LAYER_KEYS = {
    "conv2d": {"filters", "kernel_size", "stride", "padding", "activation", "kernel_initializer"},
    "max_pool": {"pool_size", "stride", "padding"},
    "avg_pool": {"pool_size", "stride", "padding"},
    "flatten": set(),
    "dense": {"units", "activation", "kernel_initializer"},
    "dropout": {"rate"},
    "simple_rnn": {"units", "return_sequences", "kernel_initializer"},
    "lstm": {"units", "return_sequences", "kernel_initializer"},
}
RECURRENT = ("simple_rnn", "lstm")
# The trainer's names for each kind of layer's weights, in Keras' order of layer.weights.
WEIGHT_NAMES = {
    "dense": ("w", "b"),
    "conv2d": ("w", "b"),
    "simple_rnn": ("kernel", "recurrent_kernel", "bias"),
    "lstm": ("kernel", "recurrent_kernel", "bias"),
}
OPTIMIZER_OPTIONS = {
    "sgd": {"momentum", "nesterov"},
    "momentum": {"momentum", "nesterov"},
    "rmsprop": {"rho", "epsilon"},
    "adam": {"beta_1", "beta_2", "epsilon"},
}
TRAINING_KEYS = {
    "optimizer",
    "learning_rate",
    "epochs",
    "batch_size",
    "validation_split",
    "decay",
    "global_clipnorm",
}
# Below this share of held-out images on which the learner's own forward pass
# and the kit's agree, the report points the difference out (it costs no points).
AGREEMENT_FINDING = 0.98
# Two float32 forward passes of the same network (the trainer's and Keras') agree on a
# predicted number within this; further apart, they computed different networks.
AGREEMENT_TOLERANCE = 1e-3
PREDICT_BATCH = 512
SHOWN_CHARACTERS = 80  # of a learner's value quoted in a message
# Keras builds the declared network in the grader's own process: refuse, before it
# allocates anything, more layers or parameters than any network of the course needs
# (the largest reference, exercise 14's CNN, has 545,098).
MAX_LAYERS = 64
MAX_PARAMETERS = 20_000_000
MAX_NOISE_DIM = 1000
MAX_BATCHES = 10**8  # of an epoch, in a progress message
LARGEST_REPORTED = 1e300  # of a number in the trainer's history (plots must draw it)
TRAINER_MODULE, TRAINER_CALL, PROBE_CALL = "nnlab_trainer", "fit_and_predict", "probe_functions"
PROBE_TIMEOUT_S = 60.0  # tiny inputs: far more than any honest function needs


class SpecError(ValueError):
    """The learner's LAYERS or TRAINING cannot be built: catalogue sentence `key` with
    `fields` (grader/messages.toml, `spec_*`). The message is its English text, which
    reports keep and a learner's screen translates."""

    def __init__(self, key: str, /, **fields: object):
        super().__init__(text(key, **fields))
        self.key, self.fields = key, fields


class TrainerOutputError(ValueError):
    """What the trainer returned does not follow its documented layout; the message says why."""


class NotRun(LearnerProblem, Exception):
    """A check that could not run (status "skipped", no points); the message says why.

    Also an Exception: pytest keeps a module-scoped fixture's Exception and
    gives it to each check that needs the fixture.
    """

    status = "skipped"


class CapstoneProblem(LearnerProblem, Exception):
    """A learner problem met while probing or training (a timeout, a crash, an error),
    with the status it had. pytest keeps a fixture's Exception for every check that
    needs the fixture, but not a BaseException (most LearnerProblems): without this,
    the next check would fail with pytest's own error instead."""

    def __init__(self, message: str, status: str):
        super().__init__(message)
        self.status = status
        self.profile = None  # where the training's time went until then (profile.Profile)


def kept_problem(problem: LearnerProblem, call: str, words: str) -> CapstoneProblem:
    """`problem`, met in the trainer's function `call`, as a CapstoneProblem whose
    message says `words` (e.g. "the training of your network") where it named `call`."""
    if isinstance(problem, NotImplementedYet):
        return CapstoneProblem(text("training_not_implemented"), problem.status)
    return CapstoneProblem(str(problem).replace(f"`{call}`", words), problem.status)


@dataclass
class Spec:
    """A validated, normalised capstone network and its training settings.

    `layers` are the normalised layers: LAYERS, with a flatten put in front of
    a dense first layer (`implicit_flatten`). `weight_shapes` has one dict per
    normalised layer, the shapes of its Keras weights: dense {"w": (n_in,
    units), "b": (units,)}, conv2d {"w": (kh, kw, c_in, filters), "b":
    (filters,)}, simple_rnn / lstm {"kernel", "recurrent_kernel", "bias"},
    {} for a layer without weights. `name` is what the learner's module calls
    the layers ("LAYERS"); `training["loss"]` says whether the network tells
    classes ("softmax_cross_entropy") or predicts one number ("mse").
    """

    layers: list[dict]
    training: dict
    parameter_count: int
    input_shape: tuple[int, ...]
    weight_shapes: list[dict[str, tuple[int, ...]]]
    implicit_flatten: bool
    summary: list[str] = field(default_factory=list)
    name: str = "LAYERS"

    @property
    def regression(self) -> bool:
        """True when the network predicts one number per input (mean squared error)."""
        return self.training["loss"] == REGRESSION

    def layer_name(self, index: int) -> str:
        """How the learner knows normalised layer `index`, e.g. "LAYERS[2] (dense)"."""
        declared = index - int(self.implicit_flatten)
        if declared < 0:
            return f"the flatten put in front of {self.name}[0]"
        return f"{self.name}[{declared}] ({self.layers[index]['layer']})"


def _shown(value) -> str:
    """A learner's value for a message: the repr of plain data (shortened past
    SHOWN_CHARACTERS), else what kind of value it is (`_kind`), never an internal name."""
    plain = (bool, int, float, str, list, tuple, dict, np.generic)
    if value is not None and not isinstance(value, plain):
        return kind_of(value)
    try:
        shown = repr(value)
    except RecursionError:
        return "a value nested too deeply to show"
    if len(shown) > SHOWN_CHARACTERS:
        return shown[: SHOWN_CHARACTERS - 3] + "..."
    return shown


def _one_of(value, allowed) -> bool:
    """Whether the learner's `value` is one of the names (or None) in `allowed`; a list or
    another unhashable value is not, rather than a TypeError."""
    return (value is None or isinstance(value, str)) and value in allowed


def _pair(value, where: str, option: str) -> list[int]:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return [value, value]
    if (
        isinstance(value, list | tuple)
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value)
    ):
        return [int(value[0]), int(value[1])]
    raise SpecError("spec_pair", where=where, option=option, value=_shown(value))


def _positive_int(spec: dict, key: str, where: str, default=None) -> int:
    value = spec.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise SpecError("spec_positive_int", where=where, option=key, value=_shown(value))
    return value


def _normalise_layer(raw, where: str, last: bool, n_classes: int | None, head=None) -> dict:
    if not isinstance(raw, dict) or not _one_of(raw.get("layer"), LAYER_KEYS):
        kinds = ", ".join(sorted(LAYER_KEYS))
        raise SpecError("spec_not_a_layer", where=where, kinds=kinds, raw=_shown(raw))
    kind = raw["layer"]
    unknown = set(raw) - LAYER_KEYS[kind] - {"layer"}
    if unknown:
        allowed = ", ".join(sorted(LAYER_KEYS[kind]))
        key = "spec_unknown_layer_keys" if allowed else "spec_unknown_layer_keys_none"
        raise SpecError(key, where=where, kind=kind, keys=sorted(unknown), allowed=allowed)
    spec = {"layer": kind}
    if kind in RECURRENT:
        spec["units"] = _positive_int(raw, "units", where)
        sequences = raw.get("return_sequences", False)
        if not isinstance(sequences, bool):
            raise SpecError("spec_return_sequences", where=where, value=_shown(sequences))
        spec["return_sequences"] = sequences
    if kind in ("conv2d", "dense", *RECURRENT):
        initializer = raw.get("kernel_initializer", "glorot_uniform")
        if initializer not in ("glorot_uniform", "he_normal"):
            raise SpecError("spec_initializer", where=where)
        spec["kernel_initializer"] = initializer
    if kind in ("conv2d", "dense"):
        activation = raw.get("activation")
        allowed = ACTIVATIONS | ({"softmax"} if last and kind == "dense" else set())
        if not _one_of(activation, allowed):
            key = "spec_activation_last" if last else "spec_activation"
            raise SpecError(key, where=where, activation=_shown(activation))
        spec["activation"] = None if activation == "linear" else activation
    if kind == "conv2d":
        spec["filters"] = _positive_int(raw, "filters", where)
        spec["kernel_size"] = _pair(raw.get("kernel_size", 3), where, "kernel_size")
    if kind in ("max_pool", "avg_pool"):
        spec["pool_size"] = _pair(raw.get("pool_size", 2), where, "pool_size")
    if kind in ("conv2d", "max_pool", "avg_pool"):
        default_stride = 1 if kind == "conv2d" else spec["pool_size"]
        stride = raw.get("stride", default_stride)
        spec["stride"] = _pair(stride, where, "stride")
        padding = str(raw.get("padding", "valid")).lower()
        if padding not in ("valid", "same"):
            raise SpecError("spec_padding", where=where, value=_shown(raw.get("padding")))
        spec["padding"] = padding
    if kind == "dense":
        spec["units"] = _positive_int(raw, "units", where)
    if kind == "dropout":
        rate = raw.get("rate")
        if not isinstance(rate, int | float) or not 0 <= rate < 1:
            raise SpecError("spec_dropout_rate", where=where, value=_shown(rate))
        spec["rate"] = float(rate)
    if last and head is not None:
        key, units = head
        if kind != "dense" or spec["units"] != units or spec["activation"] != "sigmoid":
            raise SpecError(key, units=units)
    elif last and n_classes is None:
        if kind != "dense" or spec["units"] != 1 or spec["activation"] is not None:
            raise SpecError("spec_last_layer_regression")
    elif last and (kind != "dense" or spec.get("activation") != "softmax"):
        raise SpecError("spec_last_layer", classes=n_classes)
    elif last and spec["units"] != n_classes:
        raise SpecError("spec_last_units", units=spec["units"], classes=n_classes)
    return spec


def _normalise_training(raw, name: str, loss: str) -> dict:
    if not isinstance(raw, dict):
        raise SpecError("spec_training_not_dict", training=name, type=type(raw).__name__)
    optimizer = str(raw.get("optimizer", "")).lower()
    if optimizer not in OPTIMIZERS:
        got = _shown(raw.get("optimizer"))
        raise SpecError("spec_optimizer", training=name, optimizers=sorted(OPTIMIZERS), value=got)
    if loss == GAN and "validation_split" in raw:
        raise SpecError("spec_gan_validation_split", training=name)
    allowed = TRAINING_KEYS | ({"noise_dim"} if loss == GAN else set())
    unknown = set(raw) - allowed - OPTIMIZER_OPTIONS[optimizer]
    if unknown:
        raise SpecError(
            "spec_training_unknown_keys",
            training=name,
            keys=sorted(unknown),
            optimizer=_shown(optimizer),
        )
    learning_rate = raw.get("learning_rate")
    if not isinstance(learning_rate, int | float) or not 0 < learning_rate < 10:
        raise SpecError("spec_learning_rate", training=name, value=_shown(learning_rate))
    options = {k: raw[k] for k in OPTIMIZER_OPTIONS[optimizer] if k in raw}
    if optimizer == "sgd" and options.get("momentum"):
        optimizer = "momentum"
    elif optimizer == "sgd":
        options = {}
    training = {
        "loss": loss,
        "optimizer": optimizer,
        "optimizer_options": options,
        "learning_rate": float(learning_rate),
        "epochs": _positive_int(raw, "epochs", name),
        "batch_size": _positive_int(raw, "batch_size", name),
        "validation_split": float(raw.get("validation_split", 0.1 if loss != GAN else 0.0)),
    }
    if not 0 <= training["validation_split"] < 0.5:
        raise SpecError("spec_validation_split", training=name)
    if loss == GAN:
        training["noise_dim"] = _positive_int(raw, "noise_dim", name, default=100)
        if training["noise_dim"] > MAX_NOISE_DIM:
            raise SpecError("spec_noise_dim", training=name, limit=MAX_NOISE_DIM)
    if training["epochs"] > 100 or training["batch_size"] > 4096:
        raise SpecError("spec_training_limits", training=name)
    clipnorm = raw.get("global_clipnorm")
    if clipnorm is not None:
        # `not > 0` also refuses NaN, which would turn every clipped gradient into NaN.
        number = isinstance(clipnorm, int | float) and not isinstance(clipnorm, bool)
        if not number or not clipnorm > 0:
            raise SpecError("spec_clipnorm", training=name, value=_shown(clipnorm))
        training["global_clipnorm"] = float(clipnorm)
    decay = raw.get("decay")
    if decay is not None:
        if not isinstance(decay, dict) or not {"decay_steps", "decay_rate"} <= set(decay):
            raise SpecError("spec_decay", training=name)
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
        elif kind in RECURRENT:
            cls = keras.layers.LSTM if kind == "lstm" else keras.layers.SimpleRNN
            stack.append(cls(spec["units"], return_sequences=spec["return_sequences"]))
        else:
            stack.append(keras.layers.Dropout(spec["rate"]))
    return keras.Sequential(stack)


def _weight_shapes(layer, kind: str) -> dict[str, tuple[int, ...]]:
    """A Keras layer's weight shapes under the trainer's names (WEIGHT_NAMES)."""
    shapes = [tuple(int(d) for d in w.shape) for w in layer.weights]
    return dict(zip(WEIGHT_NAMES.get(kind, ()), shapes, strict=True))


def validate(
    layers,
    training,
    input_shape: tuple,
    n_classes: int | None,
    keras,
    *,
    names: tuple[str, str] = ("LAYERS", "TRAINING"),
    recurrent: bool = False,
    head: tuple[str, int] | None = None,
) -> Spec:
    """Check and normalise a capstone's LAYERS and TRAINING.

    Inputs:
    - layers, training: the learner's LAYERS and TRAINING values (plain data).
    - input_shape: one input's shape, e.g. (28, 28) or (32, 32, 3); a recurrent
      first layer reads (steps, features), e.g. MNIST's 28 rows of 28 pixels.
    - n_classes: the number of classes, or None for a network that predicts one
      number per input (its last layer dense with 1 unit; mean squared error).
    - keras: the Keras module, to build the same model.
    - names: what the learner's module calls the two values, for messages.
    - recurrent: the network must read its input with a recurrent layer whose last
      state alone reaches the dense layers (no flatten): exercise 19's rule.
    - head: for one of a GAN's networks (exercise 21), (catalogue key, units): the last
      layer must be dense with that many units and a sigmoid, else SpecError(key);
      n_classes is then None and the training's loss "gan".

    Returns:
    - a Spec; raises SpecError with a plain message for any mistake.
    """
    layers_name, training_name = names
    if not isinstance(layers, list) or not layers:
        raise SpecError("spec_layers_empty", layers=layers_name)
    if len(layers) > MAX_LAYERS:
        raise SpecError(
            "spec_too_many_layers", layers=layers_name, count=len(layers), limit=MAX_LAYERS
        )
    normalised = [
        _normalise_layer(raw, f"{layers_name}[{i}]", i == len(layers) - 1, n_classes, head)
        for i, raw in enumerate(layers)
    ]
    uses_conv = any(s["layer"] in ("conv2d", "max_pool", "avg_pool") for s in normalised)
    shape = tuple(input_shape) + ((1,) if uses_conv and len(input_shape) == 2 else ())
    # A dense first layer gets the images flattened for it, as the stubs promise.
    implicit_flatten = normalised[0]["layer"] == "dense" and len(shape) > 1
    _check_ranks(normalised, 1 if implicit_flatten else len(shape), layers_name)
    if recurrent:
        flattens = [i for i, spec in enumerate(normalised) if spec["layer"] == "flatten"]
        if flattens:
            raise SpecError("spec_flatten_in_sequences", where=f"{layers_name}[{flattens[0]}]")
        if not any(spec["layer"] in RECURRENT for spec in normalised):
            raise SpecError("spec_recurrent_required", layers=layers_name)
    if implicit_flatten:
        normalised.insert(0, {"layer": "flatten"})
    planned = planned_parameters(normalised, shape)
    if planned > MAX_PARAMETERS:
        raise SpecError("spec_too_large", count=f"{planned:,}", limit=f"{MAX_PARAMETERS:,}")
    try:
        model = keras_model(normalised, shape, keras)
    except ValueError as error:  # Keras refuses e.g. a pool window larger than the image
        first = str(error).strip().splitlines()[0]
        raise SpecError("spec_keras", keras=first) from None
    for spec, layer in zip(normalised, model.layers, strict=True):
        out_shape = tuple(layer.output.shape[1:])
        if any(d == 0 for d in out_shape):
            raise SpecError("spec_empty_output", kind=spec["layer"], shape=out_shape)
        spec["out_shape"] = list(out_shape)
    summary = [
        f"{layer.name}: {tuple(layer.output.shape[1:])}, {layer.count_params()} parameters"
        for layer in model.layers
    ]
    weight_shapes = [
        _weight_shapes(layer, spec["layer"])
        for spec, layer in zip(normalised, model.layers, strict=True)
    ]
    loss = GAN if head else REGRESSION if n_classes is None else CLASSES
    training = _normalise_training(training, training_name, loss)
    count = int(model.count_params())
    return Spec(
        normalised,
        training,
        count,
        shape,
        weight_shapes,
        implicit_flatten,
        summary,
        layers_name,
    )


def planned_parameters(layers: list[dict], shape: tuple[int, ...]) -> int:
    """How many parameters the normalised `layers` have on inputs of `shape`, counted
    from the spec alone (TensorFlow's window rules), before anything is allocated.
    A window larger than its input counts no output (Keras then refuses the spec)."""
    total, shape = 0, tuple(shape)
    for spec in layers:
        kind = spec["layer"]
        if kind in ("conv2d", "max_pool", "avg_pool"):
            size = spec["kernel_size"] if kind == "conv2d" else spec["pool_size"]
            rows, cols = (
                max(window_out(n, k, s, spec["padding"]), 0)
                for n, k, s in zip(shape[:2], size, spec["stride"], strict=True)
            )
            channels = spec["filters"] if kind == "conv2d" else shape[2]
            if kind == "conv2d":
                total += (size[0] * size[1] * shape[2] + 1) * channels
            shape = (rows, cols, channels)
        elif kind == "flatten":
            shape = (math.prod(shape),)
        elif kind == "dense":
            total += (shape[-1] + 1) * spec["units"]
            shape = (spec["units"],)
        elif kind in RECURRENT:
            gates = 4 if kind == "lstm" else 1
            units = spec["units"]
            total += (shape[-1] + units + 1) * gates * units
            shape = (shape[0], units) if spec["return_sequences"] else (units,)
    return total


def _check_ranks(layers: list[dict], rank: int, name: str) -> None:
    """SpecError unless each layer gets the rank it takes: images (3) for convolution and
    pooling, sequences (2) for recurrent layers, vectors (1) for dense layers."""
    after_sequences = False
    for i, spec in enumerate(layers):
        kind, where = spec["layer"], f"{name}[{i}]"
        if kind in ("conv2d", "max_pool", "avg_pool") and rank != 3:
            raise SpecError("spec_needs_images", where=where, kind=kind)
        if kind in RECURRENT and rank != 2:
            raise SpecError("spec_needs_sequences", where=where, kind=kind)
        if kind == "dense" and rank != 1:
            key = "spec_sequence_to_dense" if after_sequences else "spec_needs_vectors"
            raise SpecError(key, where=where)
        if kind == "flatten":
            rank = 1
        if kind in RECURRENT:
            rank, after_sequences = (2, True) if spec["return_sequences"] else (1, False)


@dataclass
class TrainingOutcome:
    """The learner's trained network, judged here from its weights.

    Only `history` is the trainer's word (displayed, labelled as reported);
    everything else is measured on the trusted side. `agreement` is the share
    of the held-out images on which the trainer's own forward pass predicts
    what the kit's does (None without a validation split).
    """

    history: list[dict]
    test_accuracy: float
    val_accuracy: float | None
    agreement: float | None
    parameter_count: int
    seconds: float
    confusion: np.ndarray
    epochs: int
    test_images: int
    held_out: int
    plots: list[Path] = field(default_factory=list)
    profile: Profile | None = None


@dataclass
class RegressionOutcome:
    """A network that predicts one number per input, judged here from its weights.

    As TrainingOutcome: only `history` is the trainer's word. `test_mse` is the
    kit's forward pass on the test inputs, `baseline_mse` what always answering
    the mean training target scores there, `agreement` the share of held-out
    inputs on which the trainer's own forward pass answers what the kit's does
    (within AGREEMENT_TOLERANCE). `predictions` and `targets` are the test set's.
    """

    history: list[dict]
    test_mse: float
    baseline_mse: float
    val_mse: float | None
    agreement: float | None
    parameter_count: int
    seconds: float
    epochs: int
    test_inputs: int
    held_out: int
    predictions: np.ndarray
    targets: np.ndarray
    plots: list[Path] = field(default_factory=list)
    profile: Profile | None = None


def kind_of(value) -> str:
    """A short description of a value the worker sent, never its (unbounded) contents."""
    if value is None:
        return "None"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, RemoteObject | RemoteFunction):  # never called: it runs learner code
        return f"an object that lives in your code's process ({str(value)[:80]})"
    if isinstance(value, Handle | MethodRef):
        return "an object that lives in your code's process"
    return f"a value of type {type(value).__name__}"


def _checked_layer(spec: Spec, index: int, entry, shapes: dict) -> dict[str, np.ndarray]:
    where = spec.layer_name(index)
    if not isinstance(entry, dict) or set(entry) != set(shapes):
        got = f"keys {sorted(entry)}" if isinstance(entry, dict) else kind_of(entry)
        want = f"a dict with keys {sorted(shapes)}" if shapes else "{} (it has no weights)"
        raise TrainerOutputError(f"the trainer returned {got} for {where}, expected {want}")
    arrays = {}
    for name, shape in shapes.items():
        value = entry[name]
        if not isinstance(value, np.ndarray):
            raise TrainerOutputError(
                f"the trainer returned {kind_of(value)} as weights `{name}` of {where}, "
                f"expected an array of shape {shape}"
            )
        if value.dtype.kind != "f":
            raise TrainerOutputError(
                f"the trainer returned weights `{name}` of dtype {value.dtype} for {where}, "
                f"expected floating-point numbers"
            )
        if value.shape != shape:
            raise TrainerOutputError(
                f"the trainer returned weights `{name}` of shape {value.shape} for {where}, "
                f"expected {shape}: check the shapes your initialisers (exercise 8) and "
                f"optimizer steps (exercise 9) return"
            )
        with np.errstate(over="ignore"):
            arrays[name] = value.astype(np.float32)
        bad = int(value.size - np.count_nonzero(np.isfinite(arrays[name])))
        if bad:
            raise TrainerOutputError(
                f"the trainer returned weights `{name}` for {where} holding {bad:,} NaN or "
                f"infinite values (of {value.size:,}): the training diverged; "
                f"a smaller learning rate may help"
            )
    return arrays


def checked_weights(spec: Spec, returned) -> list[dict[str, np.ndarray]]:
    """The trainer's weights, each array checked against the spec before it is converted.

    Inputs:
    - spec: the validated Spec (its weight_shapes).
    - returned: what the worker sent as its weights (any decoded value).

    Returns one dict of float32 arrays per normalised layer ({} for a layer
    without weights); raises TrainerOutputError for a wrong count, key, type,
    dtype or shape, and for NaN or infinite values.
    """
    expected = spec.weight_shapes
    if not isinstance(returned, list):
        raise TrainerOutputError(
            f"the trainer returned {kind_of(returned)} as weights, "
            f"expected a list with one dict of arrays per layer"
        )
    if len(returned) != len(expected):
        flatten = (
            f" (with the flatten put in front of {spec.name}[0])" if spec.implicit_flatten else ""
        )
        raise TrainerOutputError(
            f"the trainer returned weights for {len(returned)} layers, "
            f"expected {len(expected)}: one per layer of your network{flatten}"
        )
    return [
        _checked_layer(spec, index, entry, shapes)
        for index, (entry, shapes) in enumerate(zip(returned, expected, strict=True))
    ]


def _checked_predictions(returned, count: int, n_classes: int | None) -> np.ndarray:
    """The trainer's own held-out predictions: `count` class numbers (or, with n_classes
    None, `count` floats, NaN allowed), else TrainerOutputError."""
    if n_classes is None:
        form = isinstance(returned, np.ndarray) and returned.dtype.kind == "f"
        if not form or returned.shape != (count,):
            raise TrainerOutputError(
                f"the trainer returned {kind_of(returned)} as val_predictions, expected "
                f"{count:,} numbers, one per held-out input"
            )
        with np.errstate(over="ignore"):
            return returned.astype(np.float64)
    if (
        not isinstance(returned, np.ndarray)
        or returned.dtype.kind not in "iu"
        or returned.shape != (count,)
        or (count and not 0 <= int(returned.min()) <= int(returned.max()) < n_classes)
    ):
        raise TrainerOutputError(
            f"the trainer returned {kind_of(returned)} as val_predictions, expected "
            f"{count:,} class numbers from 0 to {n_classes - 1}, one per held-out image"
        )
    return returned.astype(np.int64)


# A history record's keys; the optional ones may be None (accuracy for a network that
# predicts numbers, val_loss for one that tells classes, both val_* without a split,
# generator_loss but for a GAN, whose loss and accuracy are its discriminator's).
HISTORY_KEYS = (
    "epoch",
    "loss",
    "accuracy",
    "val_accuracy",
    "val_loss",
    "generator_loss",
    "seconds",
)
OPTIONAL_HISTORY_KEYS = ("accuracy", "val_accuracy", "val_loss", "generator_loss")


def _epoch_record(raw: dict, epochs: int) -> dict:
    record = {}
    for key in HISTORY_KEYS:
        value = raw.get(key)
        if key in OPTIONAL_HISTORY_KEYS and value is None:
            record[key] = None
            continue
        # Beyond +-LARGEST_REPORTED no curve can be drawn (matplotlib's axes overflow).
        if (
            not isinstance(value, numbers.Real)
            or isinstance(value, bool)
            or not math.isfinite(value)
            or abs(float(value)) > LARGEST_REPORTED
        ):
            raise TrainerOutputError(
                f"the trainer's history has {kind_of(value)} as `{key}`, expected a finite "
                f"number (at most {LARGEST_REPORTED:g} in size)"
            )
        record[key] = float(value)
    if not 1 <= record["epoch"] <= epochs:
        raise TrainerOutputError(
            f"the trainer's history names epoch {record['epoch']:g}; this training has {epochs}"
        )
    record["epoch"] = int(record["epoch"])
    return record


def reported_history(returned, epochs: int) -> list[dict]:
    """The trainer's history as plain records (display only); TrainerOutputError if unreadable.

    Each record: epoch (int), loss, seconds (floats), accuracy, val_accuracy and
    val_loss (float or None).
    """
    if (
        not isinstance(returned, list)
        or len(returned) > epochs
        or not all(isinstance(record, dict) for record in returned)
    ):
        raise TrainerOutputError(
            f"the trainer returned {kind_of(returned)} as its history, "
            f"expected a list of at most {epochs} epoch records"
        )
    return [_epoch_record(record, epochs) for record in returned]


def scaled_images(images, input_shape: tuple) -> np.ndarray:
    """uint8 images as the network takes them: / 255 as float32, shaped (N, *input_shape).

    The same scaling as exercise 1's `scale_pixels`, which the trainer uses.
    """
    return (np.asarray(images).astype(np.float32) / np.float32(255.0)).reshape((-1, *input_shape))


def trusted_model(spec: Spec, weights: list[dict[str, np.ndarray]], keras):
    """The spec's network in Keras holding `weights` (as checked_weights returns them)."""
    model = keras_model(spec.layers, spec.input_shape, keras)
    for layer, arrays, layer_spec in zip(model.layers, weights, spec.layers, strict=True):
        if arrays:
            layer.set_weights([arrays[name] for name in WEIGHT_NAMES[layer_spec["layer"]]])
    return model


def predict_numbers(model, inputs, input_shape: tuple) -> np.ndarray:
    """The number `model` predicts for each float input, as float64 (N,)."""
    if len(inputs) == 0:
        return np.zeros(0)
    x = np.asarray(inputs, np.float32).reshape((-1, *input_shape))
    return model.predict(x, batch_size=PREDICT_BATCH, verbose=0).astype(np.float64).ravel()


def predict_classes(model, images, input_shape: tuple) -> np.ndarray:
    """The class `model` predicts for each uint8 image (Keras' predict: dropout is off)."""
    if len(images) == 0:
        return np.zeros(0, np.int64)
    x = scaled_images(images, input_shape)
    probabilities = model.predict(x, batch_size=PREDICT_BATCH, verbose=0)
    return np.argmax(probabilities, axis=-1).astype(np.int64)


@dataclass(frozen=True)
class MissingFunction:
    """A function the network needs that cannot run yet: `reason` is "not_implemented"
    (it raises NotImplementedError), "not_defined" (its module lacks it) or "no_module"."""

    module: str
    name: str
    reason: str


def read_probe(answer, needed: list[tuple[str, str]]) -> list[MissingFunction]:
    """The missing functions, read from the worker's answer to `probe_functions`.

    Inputs:
    - answer: the decoded answer (any value): one verdict per needed function.
    - needed: `needed_functions` of the spec, computed on this side.

    Returns the MissingFunctions in `needed`'s order, each once. A verdict naming
    where NotImplementedError was raised is believed only for a function of the
    course's modules (a helper the learner was asked to write, e.g. `fans`);
    otherwise the needed function itself is named. Raises TrainerOutputError for
    an answer out of its fixed form.
    """
    if not isinstance(answer, list) or len(answer) != len(needed):
        raise TrainerOutputError(
            f"the trial run of your functions returned {kind_of(answer)}, "
            f"expected a list of {len(needed)} verdicts"
        )
    modules = {module for module, _ in needed}
    known = {(r.module, f) for r in exercises() if r.module in modules for f in r.functions}
    missing = []
    for (module, name), verdict in zip(needed, answer, strict=True):
        if isinstance(verdict, str) and verdict in (READY, NOT_DEFINED, NO_MODULE):
            if verdict != READY:
                missing.append(MissingFunction(module, name, verdict))
        elif (
            isinstance(verdict, list)
            and len(verdict) == 3
            and verdict[0] == NOT_IMPLEMENTED
            and all(isinstance(part, str) for part in verdict)
        ):
            where = tuple(verdict[1:]) if tuple(verdict[1:]) in known else (module, name)
            missing.append(MissingFunction(*where, NOT_IMPLEMENTED))
        else:
            raise TrainerOutputError(
                f"the trial run of your functions returned {kind_of(verdict)} for `{name}`, "
                f"expected one of its fixed verdicts"
            )
    return list(dict.fromkeys(missing))


def missing_functions(learner, spec: Spec, timeout: float = PROBE_TIMEOUT_S):
    """The functions `spec`'s network needs that are not written yet (list of MissingFunction).

    Each is tried once, on tiny inputs, in the learner's worker (`learner`, a
    LearnerProxy holding the trainer). Raises CapstoneProblem when that goes
    wrong (e.g. a function hangs) and TrainerOutputError for an answer out of form.
    """
    needed = needed_functions(spec.layers, spec.training)
    try:
        answer = learner.call(
            PROBE_CALL, spec.layers, spec.training, module=TRAINER_MODULE, timeout=timeout
        )
    except LearnerProblem as problem:
        raise kept_problem(
            problem, PROBE_CALL, "the trial run of your functions on tiny inputs"
        ) from None
    return read_probe(answer, needed)


def describe_missing(missing: list[MissingFunction]) -> str:
    """What the network needs and is not written yet, by exercise, in the catalogue's words.

    One line when every missing function is one exercise's and not implemented
    yet; else a first line naming the exercises, then one line per exercise and reason.
    """
    records = {record.module: record for record in exercises()}
    groups: dict[tuple[int, str], list[str]] = {}
    for item in missing:
        key = (records[item.module].number, item.reason)
        groups.setdefault(key, []).append(f"`{item.name}`")
    if len(groups) == 1 and missing[0].reason == NOT_IMPLEMENTED:
        ((number, _), names), *_ = groups.items()
        key = "needs_one" if len(names) == 1 else "needs_several"
        return text(key, names=", ".join(names), number=number)
    numbers = sorted({number for number, _ in groups})
    lines = [text("needs_header", numbers=", ".join(str(n) for n in numbers))]
    by_number = {record.number: record for record in records.values()}
    for number, reason in sorted(groups, key=lambda key: key[0]):  # stable: need order
        names = ", ".join(groups[number, reason])
        file = by_number[number].filename
        lines.append(text(f"needs_{reason}", names=names, number=number, file=file))
    return "\n".join(lines)


def train_in_sandbox(
    learner, spec: Spec, data, keras, time_limit_s: float, on_progress=None, label: str = ""
) -> TrainingOutcome | RegressionOutcome:
    """Train the learner's network in its worker; judge its weights here.

    Inputs:
    - learner: the LearnerProxy whose worker holds the learner's modules and the trainer.
    - spec: the validated Spec.
    - data: ((x_train, y_train), (x_test, y_test)): uint8 images and int labels as
      keras.datasets give them, or (for a regression spec) float inputs and targets;
      only the training part is sent to the worker.
    - keras: the Keras module, to run the trained network on the test set.
    - time_limit_s: wall-clock limit of the whole training.
    - on_progress: callable(dict) for the streamed progress (progress_record's form).
    - label: names this training in the progress records, when an exercise has two.

    Returns a TrainingOutcome (classes) or a RegressionOutcome. Raises
    TrainerOutputError when the trainer's answer breaks its documented layout, and
    CapstoneProblem for the learner's problems (e.g. a timeout), with their status.
    """
    (x_train, y_train), (x_test, y_test) = data
    y_train = np.asarray(y_train).ravel()
    epochs = spec.training["epochs"]
    watch = Watch(spec.layers, spec.training, spec.input_shape, label)
    started = time.monotonic()
    try:
        result = learner.call(
            TRAINER_CALL,
            spec.layers,
            spec.training,
            list(spec.input_shape),
            x_train,
            y_train,
            module=TRAINER_MODULE,
            timeout=time_limit_s,
            on_progress=trusted_progress(on_progress, epochs, label, watch, time_limit_s),
        )
    except LearnerProblem as problem:
        kept = kept_problem(problem, TRAINER_CALL, "the training of your network")
        raise profiled(kept, watch) from None
    seconds = time.monotonic() - started
    if not isinstance(result, dict):
        raise TrainerOutputError(f"the trainer returned {kind_of(result)}, expected a dict")
    n_classes = None if spec.regression else spec.layers[-1]["units"]
    n_fit = len(x_train) - held_out_size(len(x_train), spec.training["validation_split"])
    weights = checked_weights(spec, result.get("weights"))
    own = _checked_predictions(result.get("val_predictions"), len(x_train) - n_fit, n_classes)
    history = reported_history(result.get("history"), epochs)
    profile = watch.profile(result.get("profile"))  # the reference's run: once the rest reads
    model = trusted_model(spec, weights, keras)
    common = {
        "history": history,
        "parameter_count": sum(int(a.size) for arrays in weights for a in arrays.values()),
        "seconds": seconds,
        "epochs": epochs,
        "held_out": len(own),
        "profile": profile,
    }
    if spec.regression:
        return _judged_numbers(model, spec, data, n_fit, own, common)
    val_predictions = predict_classes(model, x_train[n_fit:], spec.input_shape)
    predictions = predict_classes(model, x_test, spec.input_shape)
    labels = np.asarray(y_test).ravel().astype(np.int64)
    confusion = np.zeros((n_classes, n_classes), np.int64)
    np.add.at(confusion, (labels, predictions), 1)
    held_out = len(own)
    return TrainingOutcome(
        test_accuracy=float(np.mean(predictions == labels)),
        val_accuracy=float(np.mean(val_predictions == y_train[n_fit:])) if held_out else None,
        agreement=float(np.mean(own == val_predictions)) if held_out else None,
        confusion=confusion,
        test_images=len(labels),
        **common,
    )


def profiled(problem: CapstoneProblem, watch: Watch) -> CapstoneProblem:
    """`problem` with the profile of the training it stopped (the last stopwatch seen); a
    training that ran out of time gets that profile's finding added to its message: it
    says which function was too slow."""
    problem.profile = watch.profile()
    slow = problem.status == "timeout" and problem.profile is not None
    if slow and problem.profile.finding:
        problem.details = (*problem.details, problem.profile.finding)
    return problem


def keep_profile(collector, profile: Profile | None) -> None:
    """Give the report `profile` (of an outcome or a CapstoneProblem), if there is one."""
    if profile is not None:
        collector.profiles.append(profile.to_dict())


def _judged_numbers(model, spec: Spec, data, n_fit: int, own, common: dict) -> RegressionOutcome:
    """A regression network's outcome: the kit's own predictions and mean squared errors."""
    (x_train, y_train), (x_test, y_test) = data
    y_train = np.asarray(y_train, np.float64).ravel()
    targets = np.asarray(y_test, np.float64).ravel()
    predictions = predict_numbers(model, x_test, spec.input_shape)
    val_predictions = predict_numbers(model, x_train[n_fit:], spec.input_shape)
    held_out = len(own)
    close = np.abs(own - val_predictions) <= AGREEMENT_TOLERANCE  # NaN is never close
    return RegressionOutcome(
        test_mse=float(np.mean((predictions - targets) ** 2)),
        baseline_mse=float(np.mean((targets - y_train[:n_fit].mean()) ** 2)),
        val_mse=float(np.mean((val_predictions - y_train[n_fit:]) ** 2)) if held_out else None,
        agreement=float(np.mean(close)) if held_out else None,
        test_inputs=len(targets),
        predictions=predictions,
        targets=targets,
        **common,
    )


def declared_spec(
    learner,
    input_shape: tuple,
    n_classes: int | None,
    keras,
    *,
    names: tuple[str, str] = ("LAYERS", "TRAINING"),
    recurrent: bool = False,
) -> Spec:
    """The learner's network (its module's values `names`), validated: a check fixture's body.

    Inputs as `validate`'s; `learner` is the proxy of the learner's module. Returns the
    Spec. Raises CapstoneProblem when the values cannot be read (kept by pytest for
    every check that needs them) and CheckFailure saying why the network cannot be built.
    """
    try:
        layers, training = (getattr(learner, name) for name in names)
    except LearnerProblem as problem:
        raise CapstoneProblem(str(problem), problem.status) from None
    try:
        return validate(
            layers, training, input_shape, n_classes, keras, names=names, recurrent=recurrent
        )
    except SpecError as problem:
        raise CheckFailure(text("spec_cannot_build", mistake=str(problem))) from None


def trained(learner, spec: Spec, data, exercise, collector, keras, label: str = ""):
    """Probe, then train the learner's network and judge it: a check fixture's body.

    Inputs: the learner proxy, the Spec, the data (train_in_sandbox's form), the
    registry record (its time limits), the collector (progress callback) and Keras;
    `label` names the training in progress lines when an exercise has two.

    Returns train_in_sandbox's outcome. Raises NotRun naming the functions not written
    yet, CapstoneProblem for the learner's problems, and CheckFailure for an answer
    out of form.
    """
    timeout = min(PROBE_TIMEOUT_S, exercise.call_timeout_s)
    try:
        missing = missing_functions(learner, spec, timeout)
    except TrainerOutputError as problem:
        raise CheckFailure(f"your network cannot be trained: {problem}") from None
    if missing:
        raise NotRun(describe_missing(missing))
    try:
        outcome = train_in_sandbox(
            learner,
            spec,
            data,
            keras,
            exercise.time_limit_s,
            on_progress=collector.on_training,
            label=label,
        )
    except TrainerOutputError as problem:
        raise CheckFailure(f"your trained network cannot be judged: {problem}") from None
    except CapstoneProblem as problem:
        keep_profile(collector, problem.profile)
        raise
    keep_profile(collector, outcome.profile)
    return outcome


def needed(request, name: str):
    """The module fixture `name`, or NotRun saying why it has no value: a check worth no
    points that cannot run is skipped, never failed."""
    try:
        return request.getfixturevalue(name)
    except NotRun:
        raise
    except (AssertionError, LearnerProblem) as problem:
        raise NotRun(str(problem)) from None


def _agreement_line(agreement: float | None, held_out: int, regression: bool) -> str:
    """How far the trainer's own forward pass agrees with the kit's: one catalogue sentence
    (a FINDING below AGREEMENT_FINDING)."""
    if agreement is None:
        return text("capstone_no_split")
    what = "sequences" if regression else "images"
    fields = {"share": f"{agreement:.2%}", "count": f"{held_out:,}"}
    if regression:
        fields["tolerance"] = f"{AGREEMENT_TOLERANCE:g}"
    key = "finding" if agreement < AGREEMENT_FINDING else "agrees"
    return text(f"capstone_{key}_{what}", **fields)


def _reported_line(last: dict, kit: float | None, regression: bool) -> str:
    """The trainer's own last-epoch numbers (display only), beside the kit's measure `kit`."""
    fields = {"loss": f"{last['loss']:.4f}"}
    if regression:
        key, val, shown = "capstone_reported_loss", last["val_loss"], "{:.4f}"
    else:
        key, val, shown = "capstone_reported_accuracy", last["val_accuracy"], "{:.2%}"
        fields["accuracy"] = shown.format(last["accuracy"])
    if val is None or kit is None:
        return text(key, **fields)
    return text(f"{key}_validation", **fields, val=shown.format(val), kit=shown.format(kit))


def describe_outcome(outcome: TrainingOutcome) -> str:
    """The judgement in words, one catalogue sentence per line: the kit's measures first,
    then what the trainer reported."""
    lines = [
        text(
            "capstone_accuracy",
            accuracy=f"{outcome.test_accuracy:.2%}",
            epochs=outcome.epochs,
            seconds=f"{outcome.seconds:.0f}",
            count=f"{outcome.test_images:,}",
        ),
        _agreement_line(outcome.agreement, outcome.held_out, regression=False),
    ]
    if outcome.history:
        lines.append(_reported_line(outcome.history[-1], outcome.val_accuracy, regression=False))
    return "\n".join(lines)


def describe_regression(outcome: RegressionOutcome) -> str:
    """A regression network's judgement in words, one catalogue sentence per line: the
    kit's measures, then the trainer's."""
    lines = [
        text(
            "capstone_mse",
            mse=f"{outcome.test_mse:.4f}",
            epochs=outcome.epochs,
            seconds=f"{outcome.seconds:.0f}",
            count=f"{outcome.test_inputs:,}",
            baseline=f"{outcome.baseline_mse:.4f}",
        ),
        _agreement_line(outcome.agreement, outcome.held_out, regression=True),
    ]
    if outcome.history:
        lines.append(_reported_line(outcome.history[-1], outcome.val_mse, regression=True))
    return "\n".join(lines)


def expect_parameter_count(spec: Spec, outcome) -> None:
    """CheckFailure unless the trained weights have as many parameters as the same model in
    Keras (each weight's shape was already checked as it was read)."""
    if outcome.parameter_count != spec.parameter_count:
        raise CheckFailure(
            f"your network has {outcome.parameter_count:,} parameters, the same model in Keras "
            f"has {spec.parameter_count:,}: check the weight shapes your initialisers return"
        )


def expect_accuracy_bar(exercise, training_size: int, outcome: TrainingOutcome) -> str:
    """The judgement of a network of classes against `exercise`'s bar for `training_size`
    training images: its summary (outcome, bar, pictures, one sentence per line) when it
    reaches the bar; CheckFailure saying the same when it does not."""
    bar, bar_line = accuracy_bar_line(exercise, training_size)
    summary = "\n".join([describe_outcome(outcome), bar_line, pictures_line(outcome.plots)])
    if outcome.test_accuracy < bar:
        raise CheckFailure(summary)
    return summary


def expect_keras_asked_for(collector) -> None:
    """NotRun (a not-scored check's "not run") unless the grading asked for a comparison
    with Keras (--compare-keras)."""
    if not collector.compare_keras:
        raise NotRun(text("capstone_compare_opt_in"))


def keras_comparison(collector, spec: Spec, data, outcome, keras) -> str:
    """The learner's trained network beside the same spec trained by Keras, in one sentence;
    NotRun unless the grading asked for it (--compare-keras)."""
    expect_keras_asked_for(collector)
    return comparison_line(outcome, train_keras(spec, data, keras))


def accuracy_bar_line(exercise, training_size: int) -> tuple[float, str]:
    """The test-accuracy bar for `training_size` training images (the registry's `bar_for`)
    and the catalogue sentence that states it."""
    bar, _ = exercise.bar_for(training_size)
    if bar == exercise.accuracy_bar:
        return bar, text("capstone_bar", bar=f"{bar:.1%}", count=f"{training_size:,}")
    return bar, text(
        "capstone_bar_subset",
        bar=f"{bar:.1%}",
        count=f"{training_size:,}",
        full=f"{exercise.full_training_size:,}",
        full_bar=f"{exercise.accuracy_bar:.1%}",
    )


def pictures_line(paths: list[Path]) -> str:
    """Where the report's pictures are, as one catalogue sentence."""
    return text("capstone_pictures", paths=", ".join(str(path) for path in paths))


def comparison_line(outcome, theirs: dict) -> str:
    """The learner's network beside the same network trained by Keras (`train_keras`)."""
    times = {
        "seconds": f"{outcome.seconds:.0f}",
        "keras_seconds": f"{theirs['seconds']:.0f}",
        "ratio": f"{outcome.seconds / theirs['seconds']:.2f}",
    }
    if isinstance(outcome, RegressionOutcome):
        yours, keras_ = f"{outcome.test_mse:.4f}", f"{theirs['test_mse']:.4f}"
        return text("capstone_compare_mse", yours=yours, keras=keras_, **times)
    yours, keras_ = f"{outcome.test_accuracy:.2%}", f"{theirs['test_accuracy']:.2%}"
    return text("capstone_compare_accuracy", yours=yours, keras=keras_, **times)


def save_plots(
    outcome: TrainingOutcome, folder: Path, title: str, class_names=None, stem: str = ""
) -> list[Path]:
    """Loss/accuracy curves and the confusion matrix as PNGs in `folder`, their names
    starting with `stem` (e.g. "rows_"); returns their paths."""
    plt = pyplot()
    epochs = [h["epoch"] for h in outcome.history]
    curves, (loss_axis, accuracy_axis) = plt.subplots(1, 2, figsize=(10, 4))
    loss_axis.plot(epochs, [h["loss"] for h in outcome.history], "o-", label="training loss")
    loss_axis.set(xlabel="epoch", ylabel="loss", title=f"{title}: loss (reported)")
    accuracy_axis.plot(epochs, [h["accuracy"] for h in outcome.history], "o-", label="training")
    if outcome.history and outcome.history[-1].get("val_accuracy") is not None:
        validation = [
            math.nan if h["val_accuracy"] is None else h["val_accuracy"] for h in outcome.history
        ]
        accuracy_axis.plot(epochs, validation, "s-", label="validation")
    accuracy_axis.set(xlabel="epoch", ylabel="accuracy", title=f"{title}: accuracy (reported)")
    for axis in (loss_axis, accuracy_axis):
        axis.legend()
        axis.grid(alpha=0.3)
        axis.xaxis.get_major_locator().set_params(integer=True)  # epochs are whole
    curves.tight_layout()
    curves_path = save(curves, folder / f"{stem}curves.png")

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
    return [curves_path, save(figure, folder / f"{stem}confusion_matrix.png")]


def save_regression_plots(
    outcome: RegressionOutcome, folder: Path, title: str, bar: float, stem: str = ""
) -> list[Path]:
    """The loss curves (with the mean-answer baseline and the bar) and the test set's
    predicted against true numbers, as PNGs in `folder` named from `stem`; their paths."""
    plt = pyplot()
    epochs = [h["epoch"] for h in outcome.history]
    curves, axis = plt.subplots(figsize=(7, 4))
    axis.plot(epochs, [h["loss"] for h in outcome.history], "o-", label="training (reported)")
    if outcome.history and outcome.history[-1].get("val_loss") is not None:
        validation = [math.nan if h["val_loss"] is None else h["val_loss"] for h in outcome.history]
        axis.plot(epochs, validation, "s-", label="validation (reported)")
    axis.axhline(outcome.baseline_mse, color="grey", ls="--", label="always the mean")
    axis.axhline(bar, color="green", ls=":", label=f"bar {bar:g}")
    axis.set(xlabel="epoch", ylabel="mean squared error", title=f"{title}: loss")
    axis.legend()
    axis.grid(alpha=0.3)
    axis.xaxis.get_major_locator().set_params(integer=True)  # epochs are whole
    curves.tight_layout()
    curves_path = save(curves, folder / f"{stem}curves.png")

    figure, axis = plt.subplots(figsize=(5, 5))
    axis.scatter(outcome.targets, outcome.predictions, s=4, alpha=0.5)
    low, high = float(outcome.targets.min(initial=0)), float(outcome.targets.max(initial=1))
    axis.plot([low, high], [low, high], color="grey", lw=1)
    axis.set(
        xlabel="true",
        ylabel="predicted (the kit's forward pass)",
        title=f"{title}\ntest mean squared error {outcome.test_mse:.4f}",
    )
    axis.grid(alpha=0.3)
    figure.tight_layout()
    return [curves_path, save(figure, folder / f"{stem}predictions.png")]


def progress_record(raw, epochs: int, label: str = "") -> dict | None:
    """A progress message from the worker as plain, bounded numbers, or None to drop it.

    Inputs: raw, the decoded message (any value); epochs, the spec's epoch count;
    label, the trusted name of this training ("" when the exercise has one).
    Returns {"label": label, "epoch": 1..epochs, "epochs": epochs, "fraction": 0..1,
    "batch", "batches": the batches done in the epoch and its count (None when absent),
    "loss", "accuracy", "val_accuracy", "val_loss", "generator_loss", "seconds": floats
    (NaN when absent; val_accuracy, val_loss and generator_loss None), "done": True only
    for the message that ends the epoch}.
    """
    if not isinstance(raw, dict):
        return None
    epoch = raw.get("epoch")
    if not isinstance(epoch, int) or isinstance(epoch, bool) or not 1 <= epoch <= epochs:
        return None

    def number(key: str) -> float:
        value = raw.get(key)
        real = isinstance(value, numbers.Real) and not isinstance(value, bool)
        return float(value) if real and math.isfinite(value) else math.nan

    record = {
        "label": label,
        "epoch": epoch,
        "epochs": epochs,
        "fraction": min(max(number("fraction"), 0.0), 1.0),
    }
    if math.isnan(record["fraction"]):
        record["fraction"] = 0.0
    record.update(loss=number("loss"), accuracy=number("accuracy"), seconds=number("seconds"))
    for key in ("batch", "batches"):
        value = raw.get(key)
        counted = isinstance(value, int) and not isinstance(value, bool)
        record[key] = value if counted and 1 <= value <= MAX_BATCHES else None
    for key in ("val_accuracy", "val_loss", "generator_loss"):
        record[key] = None if raw.get(key) is None else number(key)
    record["done"] = raw.get("done") is True
    return record


def trusted_progress(
    on_progress,
    epochs: int,
    label: str = "",
    watch: Watch | None = None,
    time_limit_s: float | None = None,
):
    """Wrap a progress callback so that it only ever sees progress_record's output; `watch`
    (a profile.Watch) keeps each message's stopwatch. With `time_limit_s` each record also
    says it ("time_limit_s") and the seconds since the training began ("elapsed_s")."""
    if on_progress is None and watch is None:
        return None
    started = time.monotonic()

    def forward(raw) -> None:
        if watch is not None:
            watch.seen(raw)
        if on_progress is None:
            return
        record = progress_record(raw, epochs, label)
        if record is not None:
            if time_limit_s:
                record.update(time_limit_s=time_limit_s, elapsed_s=time.monotonic() - started)
            on_progress(record)

    return forward


def _metrics(progress: dict, percent: bool) -> str:
    """loss, then accuracy (when the run has one) and the validation measure, two spaces apart;
    for a GAN the discriminator's loss, the generator's, and how often D told real from fake."""
    gan = progress.get("generator_loss") is not None
    parts = [f"{'D loss' if gan else 'loss'} {progress.get('loss', math.nan):.4f}"]
    if gan:
        parts.append(f"G loss {progress['generator_loss']:.4f}")
    shown = "{:.2%}" if percent else "{:.4f}"
    accuracy = progress.get("accuracy")
    if accuracy is not None and not math.isnan(accuracy):  # NaN: a run without accuracy
        parts.append(f"{'D accuracy' if gan else 'accuracy'} {shown.format(accuracy)}")
    if progress.get("val_accuracy") is not None:
        parts.append(f"val_accuracy {shown.format(progress['val_accuracy'])}")
    if progress.get("val_loss") is not None:
        parts.append(f"val_loss {progress['val_loss']:.4f}")
    return "  ".join(parts)


def epoch_name(progress: dict) -> str:
    """Which epoch a progress record is about, e.g. "epoch 2/3" or "adding: epoch 2/3"."""
    label = progress.get("label") or ""
    return f"{label + ': ' if label else ''}epoch {progress.get('epoch')}/{progress.get('epochs')}"


def describe_epoch(progress: dict) -> str:
    """One status line for a progress message streamed by the trainer."""
    fraction = f"{progress.get('fraction', 0):.0%}"
    return f"{epoch_name(progress)} {fraction}  {_metrics(progress, percent=False)}"


def describe_finished_epoch(progress: dict) -> str:
    """One plain line for an epoch's last progress message (progress_record's form), e.g.
    "epoch 1/3  loss 0.4100  accuracy 88.20%  val_accuracy 90.10%  12.3 s"."""
    metrics = _metrics(progress, percent=True)
    return f"{epoch_name(progress)}  {metrics}  {progress['seconds']:.1f} s"


def keras_optimizer(training: dict, keras):
    """The Keras optimizer with the same settings as a normalised TRAINING dict."""
    rate = training["learning_rate"]
    if training.get("decay"):
        d = training["decay"]
        rate = keras.optimizers.schedules.ExponentialDecay(
            rate, d["decay_steps"], d["decay_rate"], staircase=d["staircase"]
        )
    options = dict(training["optimizer_options"])
    if training.get("global_clipnorm"):
        options["global_clipnorm"] = training["global_clipnorm"]
    if training["optimizer"] in ("sgd", "momentum"):
        return keras.optimizers.SGD(rate, **options)
    if training["optimizer"] == "rmsprop":
        return keras.optimizers.RMSprop(rate, **options)
    return keras.optimizers.Adam(rate, **options)


def train_keras(spec: Spec, data, keras, seed: int = 0) -> dict:
    """Train the same network in Keras, for comparison (trusted process).

    Returns a dict: test_accuracy and val_accuracy (last epoch) for a network of
    classes, test_mse and val_mse for one that predicts numbers; seconds, epochs.
    """
    (x_train, y_train), (x_test, y_test) = data
    keras.utils.set_random_seed(seed)
    model = keras_model(spec.layers, spec.input_shape, keras)
    if spec.regression:
        x_fit = np.asarray(x_train, np.float32).reshape((-1, *spec.input_shape))
        model.compile(keras_optimizer(spec.training, keras), "mse")
    else:
        x_fit = scaled_images(x_train, spec.input_shape)
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
    result = {"seconds": seconds, "epochs": spec.training["epochs"]}
    if spec.regression:
        predictions = predict_numbers(model, x_test, spec.input_shape)
        targets = np.asarray(y_test, np.float64).ravel()
        val = history.history.get("val_loss") or [None]
        return {
            **result,
            "test_mse": float(np.mean((predictions - targets) ** 2)),
            "val_mse": val[-1],
        }
    predictions = predict_classes(model, x_test, spec.input_shape)
    val = history.history.get("val_accuracy") or [None]
    return {
        **result,
        "test_accuracy": float(np.mean(predictions == np.asarray(y_test).ravel())),
        "val_accuracy": val[-1],
    }
