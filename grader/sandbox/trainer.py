"""The capstone trainer: builds a network from the learner's own functions and trains it.

This module runs inside the sandbox worker, beside the learner's exercise
modules (ex01 ... ex09, ex18), so it imports nothing from `grader` and only
NumPy. It never sees the test set, neither labels nor inputs: it gets the
training inputs and targets and returns the trained weights (see
`fit_and_predict` for their layout). The trusted grader builds the same network
in Keras with those weights, predicts the test set itself and scores that.

Every piece of the network is the learner's: pixel scaling, flatten and
mini-batches (ex01), activations (ex02), softmax cross-entropy (ex03), dense
(ex04), convolution (ex05, ex07), pooling (ex06), dropout and initialisers
(ex08), the optimizer step and learning-rate schedule (ex09), and the
recurrent layers and gradient clipping (ex18). The learner's `scale_pixels`
must return images / 255 as float32 (exercise 1's contract): that is how the
trusted side scales the images it predicts.

Two losses, named by the normalised `training["loss"]`: "softmax_cross_entropy"
(classes; the inputs are uint8 pixels, scaled by `scale_pixels`) and "mse"
(one number per input, mean squared error from ex03's `mse` and
`mse_backward`; the inputs are float32 values used as they are).

The `layers` and `training` arguments arrive already validated and
normalised by the trusted side (grader/engine/capstone.py).

Before training, `probe_functions` tries each learner function the network
needs once, on tiny inputs, and answers in a fixed form (one verdict per
function of `needed_functions`): the trusted side, which computes the same
list from the same spec, names what is not written yet.
"""

from __future__ import annotations

import importlib
import time
from typing import NamedTuple

import numpy as np

PROGRESS_EVERY_BATCHES = 25
EX01, EX02, EX03 = "ex01_tensors", "ex02_activations", "ex03_softmax_losses"
EX04, EX05, EX06 = "ex04_dense", "ex05_convolution", "ex06_pooling"
EX07, EX08, EX09 = "ex07_conv_backward", "ex08_dropout_init", "ex09_optimizers"
EX18, EX20 = "ex18_recurrent", "ex20_gan"
# The values of training["loss"]: a network of classes, one that predicts a number, and a
# GAN (the learner's discriminator_loss and generator_loss of exercise 20, on logits).
CLASSES, REGRESSION, GAN = "softmax_cross_entropy", "mse", "gan"
# probe_functions' verdicts; a function that raised NotImplementedError gets
# [NOT_IMPLEMENTED, module, function] naming where it was raised.
READY, NOT_DEFINED, NO_MODULE = "ready", "not_defined", "no_module"
NOT_IMPLEMENTED = "not_implemented"


class Stopwatch:
    """Where training time goes: wall seconds per (part, learner function), over the batches.

    `part` names what the learner's function works for: "layer 3" (a layer of the
    network, counted from 1; "generator layer 3" in a GAN), "optimizer" (the step of
    every parameter) or "" (the loss and the batches). Network sets it as it runs.
    Only training batches are timed (`running`): held-out predictions are not.

    Besides the sums, each (part, function) keeps its fastest batch, in seconds per
    sample: a busy machine slows some batches down, rarely all of them, so the fastest
    is what the function itself costs. perf_counter around a call costs well under a
    microsecond; a batch makes a few dozen calls.
    """

    def __init__(self):
        self.reset()

    def reset(self) -> None:
        """Forget every time: a new training begins."""
        self.part, self.running, self.batches, self.batch_seconds = "", False, 0, 0.0
        self.seconds: dict[tuple[str, str], float] = {}
        self.fastest: dict[tuple[str, str], float] = {}  # seconds per sample
        self.this_batch: dict[tuple[str, str], float] = {}
        self.samples = 1

    def timed(self, name: str, function):
        """`function` wrapped to add its wall time to (part, name) while running."""

        def call(*args, **kwargs):
            if not self.running:
                return function(*args, **kwargs)
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                key = (self.part, name)
                self.this_batch[key] = self.this_batch.get(key, 0.0) + time.perf_counter() - started

        return call

    def start_batch(self, samples: int) -> float:
        """Time the learner's calls on a batch of `samples` from now on; return
        perf_counter(), for end_batch."""
        self.running, self.samples, self.this_batch = True, max(int(samples), 1), {}
        return time.perf_counter()

    def end_batch(self, started: float) -> None:
        """Count one batch that began at `started` (start_batch's answer) and stop timing."""
        self.running = False
        self.batches += 1
        self.batch_seconds += time.perf_counter() - started
        for key, seconds in self.this_batch.items():
            self.seconds[key] = self.seconds.get(key, 0.0) + seconds
            per_sample = seconds / self.samples
            self.fastest[key] = min(self.fastest.get(key, per_sample), per_sample)

    def report(self) -> dict:
        """{"batches", "seconds": wall seconds of those batches, "calls": [[part, function,
        seconds], ...], "fastest": [[part, function, seconds per sample of its fastest
        batch], ...]}: plain JSON, judged by the trusted side (grader/engine/profile.py)."""
        calls = [[part, name, seconds] for (part, name), seconds in self.seconds.items()]
        fastest = [[part, name, seconds] for (part, name), seconds in self.fastest.items()]
        return {
            "batches": self.batches,
            "seconds": self.batch_seconds,
            "calls": calls,
            "fastest": fastest,
        }


_STOPWATCH = Stopwatch()


class _TimedModule:
    """A learner module whose functions the stopwatch times (an attribute that is not a
    function is given as it is)."""

    def __init__(self, module):
        self._module = module

    def __getattr__(self, name: str):
        value = getattr(self._module, name)
        if not callable(value):
            return value
        timed = _STOPWATCH.timed(name, value)
        setattr(self, name, timed)  # made once: the next lookups find it without __getattr__
        return timed


def _learner(name: str):
    return _TimedModule(importlib.import_module(name))


class _Call(NamedTuple):
    """One function of the learner's that the trainer calls, with tiny arguments to probe it."""

    module: str
    name: str
    args: tuple
    kwargs: dict = {}


def _tiny(*shape: int) -> np.ndarray:
    """A small float32 array of `shape` holding values of both signs."""
    return np.linspace(-1, 1, int(np.prod(shape)), dtype=np.float32).reshape(shape)


def window_out(n: int, k: int, stride: int, padding: str) -> int:
    """Output length of a window of `k` sliding over `n` cells (TensorFlow's rules).
    The trusted side imports this too, to size a network before Keras builds it."""
    return -(-n // stride) if padding == "same" else (n - k) // stride + 1


def _initializer_name(spec: dict) -> str:
    return spec.get("kernel_initializer", "glorot_uniform")


def _initializer(spec: dict):
    """The learner's kernel initialiser (exercise 8) named by the layer spec."""
    return getattr(_learner(EX08), _initializer_name(spec))


class _Activation:
    """relu / sigmoid / tanh / linear, forward and backward, from exercise 2."""

    def __init__(self, name: str | None, fused: bool = False):
        # The last layer's softmax is fused into softmax_cross_entropy, and a discriminator's
        # sigmoid into exercise 20's losses (`fused`): the layer emits logits.
        fused = name == "softmax" or (fused and name == "sigmoid")
        self.name = "linear" if name is None or fused else name
        self.ex02 = _learner(EX02)

    @staticmethod
    def calls(name: str | None) -> list[_Call]:
        """The learner's functions this activation calls (none for linear or softmax)."""
        if name in (None, "softmax", "linear"):
            return []
        z = _tiny(2, 3)
        return [_Call(EX02, name, (z,)), _Call(EX02, f"{name}_backward", (z, z))]

    def forward(self, z):
        if self.name == "linear":
            return z
        return getattr(self.ex02, self.name)(z)

    def backward(self, dout, z):
        if self.name == "linear":
            return dout
        return getattr(self.ex02, f"{self.name}_backward")(dout, z)


class _Dense:
    def __init__(self, spec: dict, in_shape: tuple, rng):
        n_in = int(np.prod(in_shape))
        self.params = {
            "w": np.asarray(_initializer(spec)((n_in, spec["units"]), rng), dtype=np.float32),
            "b": np.zeros(spec["units"], np.float32),
        }
        self.activation = _Activation(spec.get("activation"), spec.get("logits", False))
        self.ex04 = _learner(EX04)
        self.out_shape = (spec["units"],)

    @staticmethod
    def calls(spec: dict, rng) -> list[_Call]:
        """The learner's functions a dense layer calls, each with tiny arguments."""
        x, w, b = _tiny(2, 3), _tiny(3, 2), np.zeros(2, np.float32)
        return [
            _Call(EX08, _initializer_name(spec), ((3, 2), rng)),
            _Call(EX04, "dense_forward", (x, w, b)),
            _Call(EX04, "dense_backward", (_tiny(2, 2), x, w)),
            *_Activation.calls(None if spec.get("logits") else spec.get("activation")),
        ]

    def forward(self, x, training, rng):
        self.x = x
        self.z = self.ex04.dense_forward(x, self.params["w"], self.params["b"])
        return self.activation.forward(self.z)

    def backward(self, dout):
        dz = self.activation.backward(dout, self.z)
        dx, dw, db = self.ex04.dense_backward(dz, self.x, self.params["w"])
        return dx, {"w": dw, "b": db}


class _Conv2D:
    def __init__(self, spec: dict, in_shape: tuple, rng):
        kh, kw = spec["kernel_size"]
        shape = (kh, kw, in_shape[-1], spec["filters"])
        self.params = {
            "w": np.asarray(_initializer(spec)(shape, rng), dtype=np.float32),
            "b": np.zeros(spec["filters"], np.float32),
        }
        self.stride, self.padding = spec["stride"], spec["padding"]
        self.activation = _Activation(spec.get("activation"))
        self.ex05, self.ex07 = _learner(EX05), _learner(EX07)
        self.out_shape = tuple(spec["out_shape"])

    @staticmethod
    def calls(spec: dict, rng) -> list[_Call]:
        """The learner's functions a conv2d layer calls, with tiny arguments of its settings."""
        (kh, kw), (sh, sw), padding = spec["kernel_size"], spec["stride"], spec["padding"]
        x, w, b = _tiny(2, kh + sh, kw + sw, 2), _tiny(kh, kw, 2, 2), np.zeros(2, np.float32)
        out = (window_out(kh + sh, kh, sh, padding), window_out(kw + sw, kw, sw, padding))
        return [
            _Call(EX08, _initializer_name(spec), ((kh, kw, 2, 2), rng)),
            _Call(EX05, "conv2d_forward", (x, w, b, spec["stride"], padding)),
            _Call(EX07, "conv2d_backward", (_tiny(2, *out, 2), x, w, spec["stride"], padding)),
            *_Activation.calls(spec.get("activation")),
        ]

    def forward(self, x, training, rng):
        self.x = x
        p = self.params
        self.z = self.ex05.conv2d_forward(x, p["w"], p["b"], self.stride, self.padding)
        return self.activation.forward(self.z)

    def backward(self, dout):
        dz = self.activation.backward(dout, self.z)
        w = self.params["w"]
        dx, dw, db = self.ex07.conv2d_backward(dz, self.x, w, self.stride, self.padding)
        return dx, {"w": dw, "b": db}


class _Pool:
    def __init__(self, spec: dict, in_shape: tuple, rng):
        self.kind = "max" if spec["layer"] == "max_pool" else "avg"
        self.args = (spec["pool_size"], spec["stride"], spec["padding"])
        self.ex06 = _learner(EX06)
        self.params = {}
        self.out_shape = tuple(spec["out_shape"])

    @staticmethod
    def calls(spec: dict, rng) -> list[_Call]:
        """The learner's pooling functions a pooling layer calls, with tiny arguments."""
        kind = "max" if spec["layer"] == "max_pool" else "avg"
        (ph, pw), (sh, sw), padding = spec["pool_size"], spec["stride"], spec["padding"]
        x = _tiny(2, ph + sh, pw + sw, 2)
        out = (window_out(ph + sh, ph, sh, padding), window_out(pw + sw, pw, sw, padding))
        args = (spec["pool_size"], spec["stride"], padding)
        return [
            _Call(EX06, f"{kind}_pool_forward", (x, *args)),
            _Call(EX06, f"{kind}_pool_backward", (_tiny(2, *out, 2), x, *args)),
        ]

    def forward(self, x, training, rng):
        self.x = x
        return getattr(self.ex06, f"{self.kind}_pool_forward")(x, *self.args)

    def backward(self, dout):
        return getattr(self.ex06, f"{self.kind}_pool_backward")(dout, self.x, *self.args), {}


class _Flatten:
    def __init__(self, spec: dict, in_shape: tuple, rng):
        self.ex01 = _learner(EX01)
        self.params = {}
        self.out_shape = (int(np.prod(in_shape)),)

    @staticmethod
    def calls(spec: dict, rng) -> list[_Call]:
        """Exercise 1's flatten, on a tiny batch of images."""
        return [_Call(EX01, "flatten", (_tiny(2, 2, 2, 1),))]

    def forward(self, x, training, rng):
        self.in_shape = x.shape
        return self.ex01.flatten(x)

    def backward(self, dout):
        return np.reshape(dout, self.in_shape), {}


class _Dropout:
    def __init__(self, spec: dict, in_shape: tuple, rng):
        self.rate = spec["rate"]
        self.ex08 = _learner(EX08)
        self.params = {}
        self.out_shape = in_shape

    @staticmethod
    def calls(spec: dict, rng) -> list[_Call]:
        """Exercise 8's dropout, forward (training) and backward, on a tiny batch."""
        x = _tiny(2, 3)
        return [
            _Call(EX08, "dropout_forward", (x, spec["rate"], True, rng)),
            _Call(EX08, "dropout_backward", (x, np.ones_like(x))),
        ]

    def forward(self, x, training, rng):
        out, self.mask = self.ex08.dropout_forward(x, self.rate, training, rng)
        return out

    def backward(self, dout):
        return self.ex08.dropout_backward(dout, self.mask), {}


def _expect_shape(value, shape: tuple, what: str) -> None:
    """ValueError naming `what` unless `value` has `shape` (a learner's function returned it,
    and a wrong shape would otherwise surface later, in another exercise's function)."""
    if np.shape(value) != tuple(shape):
        raise ValueError(f"{what} has shape {np.shape(value)}, expected {tuple(shape)}")


class _Recurrent:
    """simple_rnn / lstm from exercise 18: kernel and recurrent kernel from the learner's
    initialiser (exercise 8), the bias from zeros (SimpleRNN) or `lstm_bias_init`, a zero
    initial state, and the whole sequence's states (return_sequences) or only the last."""

    def __init__(self, spec: dict, in_shape: tuple, rng):
        units, self.lstm = spec["units"], spec["layer"] == "lstm"
        gates = 4 if self.lstm else 1
        self.ex18 = _learner(EX18)
        init = _initializer(spec)
        bias = self.ex18.lstm_bias_init(units) if self.lstm else np.zeros(units)
        self.params = {
            "kernel": np.asarray(init((in_shape[-1], gates * units), rng), dtype=np.float32),
            "recurrent_kernel": np.asarray(init((units, gates * units), rng), dtype=np.float32),
            "bias": np.asarray(bias, dtype=np.float32),
        }
        self.sequences = spec["return_sequences"]
        self.out_shape = tuple(spec["out_shape"])

    @staticmethod
    def calls(spec: dict, rng) -> list[_Call]:
        """The learner's functions a recurrent layer calls, each with tiny arguments."""
        gates = 4 if spec["layer"] == "lstm" else 1
        x, h = _tiny(2, 3, 2), np.zeros((2, 2), np.float32)
        kernel, recurrent, bias = _tiny(2, 2 * gates), _tiny(2, 2 * gates), _tiny(2 * gates)
        calls = [_Call(EX08, _initializer_name(spec), ((2, 2 * gates), rng))]
        if gates == 4:
            return calls + [
                _Call(EX18, "lstm_bias_init", (2,)),
                _Call(EX18, "lstm_forward", (x, h, h, kernel, recurrent, bias)),
                _Call(EX18, "lstm_backward", (_tiny(2, 3, 2), x, h, h, kernel, recurrent, bias)),
            ]
        h_all = np.tanh(_tiny(2, 3, 2))
        return calls + [
            _Call(EX18, "rnn_forward", (x, h, kernel, recurrent, bias)),
            _Call(EX18, "rnn_backward", (_tiny(2, 3, 2), x, h, h_all, kernel, recurrent)),
        ]

    def forward(self, x, training, rng):
        p = self.params
        self.x = x
        self.h0 = np.zeros((len(x), len(p["recurrent_kernel"])), np.float32)
        weights = (p["kernel"], p["recurrent_kernel"], p["bias"])
        if self.lstm:
            self.h_all, h_last, _ = self.ex18.lstm_forward(x, self.h0, self.h0, *weights)
        else:
            self.h_all, h_last = self.ex18.rnn_forward(x, self.h0, *weights)
        name = "lstm_forward" if self.lstm else "rnn_forward"
        _expect_shape(self.h_all, (*x.shape[:2], self.h0.shape[1]), f"h_all of your {name}")
        _expect_shape(h_last, self.h0.shape, f"h_last of your {name}")
        return self.h_all if self.sequences else h_last

    def backward(self, dout):
        p = self.params
        if self.sequences:
            dh_all = dout
        else:  # only the last state was used: every other step's own gradient is zero
            dh_all = np.zeros((*dout.shape[:1], self.x.shape[1], dout.shape[1]), dout.dtype)
            dh_all[:, -1] = dout
        if self.lstm:
            weights = (p["kernel"], p["recurrent_kernel"], p["bias"])
            dx, _, _, *grads = self.ex18.lstm_backward(dh_all, self.x, self.h0, self.h0, *weights)
        else:
            dx, _, *grads = self.ex18.rnn_backward(
                dh_all, self.x, self.h0, self.h_all, p["kernel"], p["recurrent_kernel"]
            )
        name = "lstm_backward" if self.lstm else "rnn_backward"
        _expect_shape(dx, self.x.shape, f"dx of your {name}")
        named = dict(zip(("kernel", "recurrent_kernel", "bias"), grads, strict=True))
        for key, grad in named.items():
            _expect_shape(grad, p[key].shape, f"d{key} of your {name}")
        return dx, named


_LAYERS = {
    "dense": _Dense,
    "conv2d": _Conv2D,
    "max_pool": _Pool,
    "avg_pool": _Pool,
    "flatten": _Flatten,
    "dropout": _Dropout,
    "simple_rnn": _Recurrent,
    "lstm": _Recurrent,
}


class _Optimizer:
    """The learner's step function (exercise 9), one state dict per parameter."""

    def __init__(self, training: dict):
        self.ex09 = _learner(EX09)
        self.name = training["optimizer"]
        self.options = dict(training.get("optimizer_options", {}))
        self.lr = training["learning_rate"]
        self.decay = training.get("decay")
        self.states: dict = {}
        self.iterations = 0

    def learning_rate(self) -> float:
        if not self.decay:
            return self.lr
        d = self.decay
        rate = self.ex09.exponential_decay(
            self.iterations, self.lr, d["decay_steps"], d["decay_rate"], d["staircase"]
        )
        return float(rate)

    def step(self, key, w, grad, lr):
        if self.name == "sgd":
            return self.ex09.gradient_descent_step(w, grad, lr)
        state = self.states.get(key, {})
        step = {
            "momentum": self.ex09.momentum_step,
            "rmsprop": self.ex09.rmsprop_step,
            "adam": self.ex09.adam_step,
        }[self.name]
        new_w, self.states[key] = step(w, grad, state, lr=lr, **self.options)
        return new_w

    @staticmethod
    def calls(training: dict) -> list[_Call]:
        """Exercise 9's step of the chosen optimizer (and the schedule), with tiny arguments."""
        w, grad, lr = _tiny(3), _tiny(3)[::-1].copy(), training["learning_rate"]
        if training["optimizer"] == "sgd":
            calls = [_Call(EX09, "gradient_descent_step", (w, grad, lr))]
        else:
            options = {"lr": lr, **training.get("optimizer_options", {})}
            calls = [_Call(EX09, f"{training['optimizer']}_step", (w, grad, {}), options)]
        decay = training.get("decay")
        if decay:
            schedule = (0, lr, decay["decay_steps"], decay["decay_rate"], decay["staircase"])
            calls.append(_Call(EX09, "exponential_decay", schedule))
        return calls


class Network:
    """A stack of layers built from the learner's functions."""

    def __init__(self, layers: list[dict], input_shape: tuple, rng, name: str = ""):
        self.parts = [f"{name} layer {i}".strip() for i in range(1, len(layers) + 1)]
        self.optimizer_part = f"{name} optimizer".strip()
        self.layers = []
        shape = tuple(input_shape)
        for spec in layers:
            layer = _LAYERS[spec["layer"]](spec, shape, rng)
            self.layers.append(layer)
            shape = layer.out_shape

    def forward(self, x, training: bool, rng):
        """Logits of the batch (the last layer's softmax is fused into the loss)."""
        for part, layer in zip(self.parts, self.layers, strict=True):
            _STOPWATCH.part = part
            x = layer.forward(x, training, rng)
        _STOPWATCH.part = ""
        return x

    def backward(self, dout) -> tuple[np.ndarray, list[dict]]:
        """(gradient of the input, one dict of parameter gradients per layer) from `dout`,
        the gradient of the last forward pass's output."""
        grads = []
        for part, layer in zip(self.parts[::-1], self.layers[::-1], strict=True):
            _STOPWATCH.part = part
            dout, layer_grads = layer.backward(dout)
            grads.append(layer_grads)
        _STOPWATCH.part = ""
        return dout, grads[::-1]

    def step(self, optimizer: _Optimizer, grads: list[dict], clipnorm, ex18) -> None:
        """One optimizer step on every parameter, the gradients first clipped together by
        the learner's `clip_gradients` when `clipnorm` is set."""
        _STOPWATCH.part = self.optimizer_part
        if clipnorm:
            grads = _clipped(ex18, grads, clipnorm)
        lr = optimizer.learning_rate()
        for i, (layer, layer_grads) in enumerate(zip(self.layers, grads, strict=True)):
            for name, grad in layer_grads.items():
                layer.params[name] = np.asarray(
                    optimizer.step((i, name), layer.params[name], grad, lr), dtype=np.float32
                )
        optimizer.iterations += 1
        _STOPWATCH.part = ""


def emitting_logits(layers: list[dict]) -> list[dict]:
    """A discriminator's layers with the last one marked to emit logits: its sigmoid is
    fused into exercise 20's losses, which take logits."""
    return [*layers[:-1], dict(layers[-1], logits=True)]


def planned_calls(layers: list[dict], training: dict, rng, discriminator=None) -> list[_Call]:
    """Every call `fit_and_predict` (or, with a `discriminator`, `fit_gan` with `layers` as
    the generator) makes into the learner's modules for this network, each with tiny
    arguments (`rng` where the function takes one), in the order training needs them.
    """
    loss = training.get("loss", CLASSES)
    pixels = loss in (CLASSES, GAN)
    calls = [_Call(EX01, "scale_pixels", (np.zeros((2, 2, 2), np.uint8),))] if pixels else []
    judging = emitting_logits(discriminator) if discriminator else []
    for spec in [*layers, *judging]:
        calls += _LAYERS[spec["layer"]].calls(spec, rng)
    calls.append(_Call(EX01, "minibatches", (4, 2, rng)))
    if loss == GAN:
        real, fake = _tiny(2, 1), _tiny(3, 1)
        calls += [
            _Call(EX20, "discriminator_loss", (real, fake)),
            _Call(EX20, "generator_loss", (fake,)),
        ]
    elif loss == CLASSES:
        calls.append(_Call(EX03, "softmax_cross_entropy", (_tiny(2, 3), np.array([0, 2]))))
    else:
        target, output = _tiny(2, 1), _tiny(2, 1)[::-1].copy()
        calls += [
            _Call(EX03, "mse", (target, output)),
            _Call(EX03, "mse_backward", (target, output)),
        ]
    if training.get("global_clipnorm"):
        calls.append(_Call(EX18, "clip_gradients", ([_tiny(2, 2), _tiny(2)], 1.0)))
    return calls + _Optimizer.calls(training)


def needed_functions(layers: list[dict], training: dict, discriminator=None) -> list[tuple]:
    """The learner's functions the trainer calls for this network (for a GAN: `layers` the
    generator, with its `discriminator`), as (module, function), each once, in the order
    training first needs them. The trusted side imports this too."""
    rng = np.random.default_rng(0)
    calls = planned_calls(layers, training, rng, discriminator)
    return list(dict.fromkeys((c.module, c.name) for c in calls))


def _verdict(call: _Call):
    """READY, NOT_DEFINED, NO_MODULE or [NOT_IMPLEMENTED, module, function] for one call."""
    try:
        module = _learner(call.module)
    except ImportError:
        return NO_MODULE
    function = getattr(module, call.name, None)
    if not callable(function):
        return NOT_DEFINED
    try:
        function(*call.args, **call.kwargs)
    except NotImplementedError as error:
        return [NOT_IMPLEMENTED, *_raised_in(error, call)]
    except Exception:  # noqa: BLE001 -- written, if wrong: the training itself will say how
        return READY
    return READY


def _raised_in(error: BaseException, call: _Call) -> list[str]:
    """[module, function] of the frame that raised `error` (the stub itself, or a helper of
    the learner's it calls); the call's own function when that frame is not a module's."""
    trace = error.__traceback__
    while trace is not None and trace.tb_next is not None:
        trace = trace.tb_next
    if trace is None:
        return [call.module, call.name]
    module = trace.tb_frame.f_globals.get("__name__")
    name = trace.tb_frame.f_code.co_name
    if isinstance(module, str) and isinstance(name, str):
        return [module[:100], name[:100]]
    return [call.module, call.name]


def probe_functions(layers, training, discriminator=None) -> list:
    """Try each function `needed_functions(layers, training, discriminator)` lists, once, on
    tiny inputs.

    Returns one verdict per function, in that order: "ready" (it ran, or raised
    anything but NotImplementedError), "not_defined" (its module lacks it),
    "no_module" (the module is missing), or ["not_implemented", module, function]
    naming where the NotImplementedError was raised.
    """
    rng = np.random.default_rng(0)
    verdicts: dict[tuple[str, str], object] = {}
    for call in planned_calls(layers, training, rng, discriminator):
        key = (call.module, call.name)
        if verdicts.get(key, READY) == READY:
            verdicts[key] = _verdict(call)
    return [verdicts[key] for key in needed_functions(layers, training, discriminator)]


def held_out_size(n_images: int, validation_split: float) -> int:
    """How many of the last training images are held out for validation.

    The trusted side imports this too, to predict the same held-out images.
    """
    return int(round(n_images * validation_split))


def _predict(network: Network, x, batch_size: int, rng, classes: bool) -> np.ndarray:
    """The network's answers for `x` with dropout off: int classes, or float32 numbers."""
    answers = []
    for start in range(0, len(x), batch_size):
        out = network.forward(x[start : start + batch_size], False, rng)
        answers.append(np.argmax(out, axis=-1) if classes else np.reshape(out, -1))
    if not answers:
        return np.zeros(0, np.int64 if classes else np.float32)
    return np.concatenate(answers).astype(np.int64 if classes else np.float32)


def _loss(ex03, classes: bool, out, targets):
    """(loss, dLoss/dout) of one batch: softmax cross-entropy on logits, or mean squared error
    of one number per input (the targets get the output's shape, as Keras' loss does)."""
    if classes:
        return ex03.softmax_cross_entropy(out, targets)
    targets = np.reshape(targets, np.shape(out))
    return ex03.mse(targets, out), ex03.mse_backward(targets, out)


def _clipped(ex18, grads: list[dict], max_norm: float) -> list[dict]:
    """Every layer's gradients clipped together by their global norm (the learner's
    `clip_gradients`, Keras' `global_clipnorm`), in the same layout."""
    keys = [(i, name) for i, layer_grads in enumerate(grads) for name in layer_grads]
    clipped, _ = ex18.clip_gradients([grads[i][name] for i, name in keys], max_norm)
    out = [dict(layer_grads) for layer_grads in grads]
    for (i, name), grad in zip(keys, clipped, strict=True):
        out[i][name] = grad
    return out


def _inputs(ex01, classes: bool, x_train, shape: tuple) -> np.ndarray:
    """The training inputs as the network takes them: pixels scaled by the learner's
    `scale_pixels`, or the float values as they are; float32, shaped (N, *shape)."""
    x = ex01.scale_pixels(x_train) if classes else x_train
    return np.asarray(x, dtype=np.float32).reshape((-1, *shape))


def fit_and_predict(layers, training, input_shape, x_train, y_train, *, seed=0) -> dict:
    """Train the learner's network; return its weights and its own validation predictions.

    Inputs:
    - layers: normalised layer specs. With training["loss"] "softmax_cross_entropy"
      (the default) the last is a dense softmax layer (its softmax is fused with the
      cross-entropy: `softmax_cross_entropy`); with "mse" a dense layer of one unit.
    - training: loss, optimizer, learning_rate, epochs, batch_size,
      validation_split, and optionally decay and global_clipnorm (every gradient
      clipped together by the learner's `clip_gradients` before each step).
    - input_shape: one input's shape as the network takes it, e.g. (28, 28, 1),
      or (28, 28) for a recurrent layer reading 28 rows of 28 pixels.
    - x_train: uint8 images (N, H, W) or (N, H, W, C) for classes; float inputs
      (N, *input_shape) for "mse". y_train: int labels (N,), or float targets (N,).
    - seed: the seed of every random draw.

    Returns a dict:
    - weights: one dict of float32 arrays per entry of `layers`, in order:
      dense {"w": (n_in, units), "b": (units,)}; conv2d {"w": (kh, kw, c_in,
      filters), Keras' kernel layout, "b": (filters,)}; simple_rnn and lstm
      {"kernel", "recurrent_kernel", "bias"} in Keras' shapes (exercise 18);
      flatten, pooling and dropout {}.
    - val_predictions: what the network answers (dropout off) for the held-out
      inputs, the last `held_out_size(N, validation_split)` of x_train: int
      labels, or float32 numbers for "mse".
    - history: one dict per epoch: loss, accuracy (running means over the
      epoch, dropout on; accuracy None for "mse"), val_accuracy and val_loss (the
      held-out accuracy, or mean squared error for "mse"; None where they do not
      apply or without a validation split), seconds.
    - profile: where the training batches' time went (Stopwatch.report).
    """
    import nnlab_channel

    ex01, ex03 = _learner(EX01), _learner(EX03)
    classes = training.get("loss", CLASSES) == CLASSES
    clipnorm = training.get("global_clipnorm")
    ex18 = _learner(EX18) if clipnorm else None
    rng = np.random.default_rng(seed)
    shape = tuple(int(d) for d in input_shape)
    x_all = _inputs(ex01, classes, x_train, shape)
    y_all = np.asarray(y_train, dtype=np.int64 if classes else np.float32)
    n_fit = len(x_all) - held_out_size(len(x_all), training.get("validation_split", 0.0))
    x_fit, y_fit = x_all[:n_fit], y_all[:n_fit]
    x_val, y_val = x_all[n_fit:], y_all[n_fit:]

    _STOPWATCH.reset()
    network = Network(layers, shape, rng)
    optimizer = _Optimizer(training)
    batch_size, epochs = training["batch_size"], training["epochs"]
    history = []
    val_predictions = _predict(network, x_val[:0], 512, rng, classes)
    for epoch in range(epochs):
        started = time.monotonic()
        batches = ex01.minibatches(len(x_fit), batch_size, rng)
        total_loss = correct = seen = 0.0
        for number, index in enumerate(batches):
            index = np.asarray(index)
            batch_started = _STOPWATCH.start_batch(len(index))
            xb, yb = x_fit[index], y_fit[index]
            out = network.forward(xb, True, rng)
            loss, dout = _loss(ex03, classes, out, yb)
            _, grads = network.backward(dout)
            network.step(optimizer, grads, clipnorm, ex18)
            _STOPWATCH.end_batch(batch_started)
            total_loss += float(loss) * len(index)
            if classes:
                correct += float(np.sum(np.argmax(out, axis=-1) == yb))
            seen += len(index)
            if number % PROGRESS_EVERY_BATCHES == 0 or number == len(batches) - 1:
                nnlab_channel.report(
                    {
                        "epoch": epoch + 1,
                        "epochs": epochs,
                        "batch": number + 1,
                        "batches": len(batches),
                        "fraction": (number + 1) / len(batches),
                        "loss": total_loss / seen,
                        "accuracy": correct / seen if classes else None,
                        "seconds": time.monotonic() - started,
                        "profile": _STOPWATCH.report(),
                    }
                )
        val_predictions = _predict(network, x_val, 512, rng, classes)
        held_out = len(y_val) > 0
        record = {
            "epoch": epoch + 1,
            "loss": total_loss / max(seen, 1),
            "accuracy": correct / max(seen, 1) if classes else None,
            "val_accuracy": float(np.mean(val_predictions == y_val))
            if held_out and classes
            else None,
            "val_loss": float(np.mean((val_predictions - y_val) ** 2))
            if held_out and not classes
            else None,
            "seconds": time.monotonic() - started,
        }
        history.append(record)
        nnlab_channel.report(dict(record, epochs=epochs, fraction=1.0, done=True))
    return {
        "weights": [dict(layer.params) for layer in network.layers],
        "val_predictions": val_predictions,
        "history": history,
        "profile": _STOPWATCH.report(),
    }


def fit_gan(generator, discriminator, training, x_train, *, seed=0) -> dict:
    """Train the learner's GAN on the training images; return the generator's weights.

    As the seed tutorial trains it, on every mini-batch of real images: G turns
    fresh N(0, 1) noise into as many fakes; D takes one step on real and fake
    stacked together (the learner's `discriminator_loss`); then G takes one step
    through the updated D on the same fakes (`generator_loss`), D's gradients of
    that pass thrown away: D does not move. Each network has its own optimizer
    (the learner's step function, exercise 9) with the same settings.

    Inputs:
    - generator: normalised layer specs from noise (training["noise_dim"] numbers)
      to images; its last layer is dense with one unit per pixel and a sigmoid.
    - discriminator: normalised layer specs from one image's pixels (a vector)
      to one unit with a sigmoid, fused into exercise 20's losses (logits).
    - training: optimizer, learning_rate, epochs, batch_size, noise_dim and
      optionally global_clipnorm (applied to each network's step), as normalised
      by the trusted side; loss "gan".
    - x_train: uint8 images (N, H, W), scaled by the learner's `scale_pixels`.
      No labels: a GAN does not need them.
    - seed: the seed of every random draw.

    Returns a dict:
    - weights: the generator's, one dict of float32 arrays per entry of `generator`
      (as fit_and_predict's); the discriminator's are not returned.
    - history: one dict per epoch: loss (D's), generator_loss, accuracy (how often
      D told real from fake in its own steps, dropout on), seconds; running means.
    - profile: where the training batches' time went (Stopwatch.report).
    """
    import nnlab_channel

    ex01, ex20 = _learner(EX01), _learner(EX20)
    clipnorm = training.get("global_clipnorm")
    ex18 = _learner(EX18) if clipnorm else None
    rng = np.random.default_rng(seed)
    noise_dim = int(training["noise_dim"])
    images = _inputs(ex01, True, x_train, (int(np.prod(np.shape(x_train)[1:])),))
    _STOPWATCH.reset()
    gen = Network(generator, (noise_dim,), rng, name="generator")
    disc = Network(emitting_logits(discriminator), images.shape[1:], rng, name="discriminator")
    gen_optimizer, disc_optimizer = _Optimizer(training), _Optimizer(training)
    batch_size, epochs = training["batch_size"], training["epochs"]
    history = []
    for epoch in range(epochs):
        started = time.monotonic()
        batches = ex01.minibatches(len(images), batch_size, rng)
        sums = {"loss": 0.0, "generator_loss": 0.0, "accuracy": 0.0}
        seen = 0
        for number, index in enumerate(batches):
            real = images[np.asarray(index)]
            batch_started = _STOPWATCH.start_batch(len(real))
            noise = rng.standard_normal((len(real), noise_dim)).astype(np.float32)
            fake = gen.forward(noise, True, rng)
            _expect_shape(fake, real.shape, "your generator's batch of images")
            logits = disc.forward(np.concatenate([real, fake]), True, rng)
            real_logits, fake_logits = logits[: len(real)], logits[len(real) :]
            d_loss, d_real, d_fake = ex20.discriminator_loss(real_logits, fake_logits)
            _, disc_grads = disc.backward(np.concatenate([d_real, d_fake]))
            disc.step(disc_optimizer, disc_grads, clipnorm, ex18)
            g_loss, d_logits = ex20.generator_loss(disc.forward(fake, True, rng))
            d_images, _ = disc.backward(d_logits)  # through D to the images; D stays
            _, gen_grads = gen.backward(d_images)
            gen.step(gen_optimizer, gen_grads, clipnorm, ex18)
            _STOPWATCH.end_batch(batch_started)
            told = np.sum(real_logits > 0) + np.sum(fake_logits <= 0)
            sums["loss"] += float(d_loss) * len(real)
            sums["generator_loss"] += float(g_loss) * len(real)
            sums["accuracy"] += float(told) / 2
            seen += len(real)
            if number % PROGRESS_EVERY_BATCHES == 0 or number == len(batches) - 1:
                means = {key: value / seen for key, value in sums.items()}
                fraction = (number + 1) / len(batches)
                seconds = time.monotonic() - started
                place = {"epoch": epoch + 1, "epochs": epochs, "batches": len(batches)}
                place.update(batch=number + 1, fraction=fraction, seconds=seconds)
                place["profile"] = _STOPWATCH.report()
                nnlab_channel.report(dict(means, **place))
        record = {key: value / max(seen, 1) for key, value in sums.items()}
        record.update(epoch=epoch + 1, seconds=time.monotonic() - started)
        history.append(record)
        nnlab_channel.report(dict(record, epochs=epochs, fraction=1.0, done=True))
    weights = [dict(layer.params) for layer in gen.layers]
    return {"weights": weights, "history": history, "profile": _STOPWATCH.report()}
