"""The capstone trainer: builds a network from the learner's own functions and trains it.

This module runs inside the sandbox worker, beside the learner's exercise
modules (ex01 ... ex09), so it imports nothing from `grader` and only NumPy.
It never sees the test set, neither labels nor images: it gets the training
images and labels and returns the trained weights (see `fit_and_predict` for
their layout). The trusted grader builds the same network in Keras with those
weights, predicts the test images itself and scores that.

Every piece of the network is the learner's: pixel scaling, flatten and
mini-batches (ex01), activations (ex02), softmax cross-entropy (ex03), dense
(ex04), convolution (ex05, ex07), pooling (ex06), dropout and initialisers
(ex08), and the optimizer step and learning-rate schedule (ex09). The
learner's `scale_pixels` must return images / 255 as float32 (exercise 1's
contract): that is how the trusted side scales the images it predicts.

The `layers` and `training` arguments arrive already validated and
normalised by the trusted side (grader/capstone.py).
"""

from __future__ import annotations

import importlib
import time

import numpy as np

PROGRESS_EVERY_BATCHES = 25


def _learner(name: str):
    return importlib.import_module(name)


def _initializer(spec: dict):
    """The learner's kernel initialiser (exercise 8) named by the layer spec."""
    return getattr(_learner("ex08_dropout_init"), spec.get("kernel_initializer", "glorot_uniform"))


class _Activation:
    """relu / sigmoid / tanh / linear, forward and backward, from exercise 2."""

    def __init__(self, name: str | None):
        # The last layer's softmax is fused into softmax_cross_entropy: it emits logits.
        self.name = "linear" if name in (None, "softmax") else name
        self.ex02 = _learner("ex02_activations")

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
        self.activation = _Activation(spec.get("activation"))
        self.ex04 = _learner("ex04_dense")
        self.out_shape = (spec["units"],)

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
        self.ex05, self.ex07 = _learner("ex05_convolution"), _learner("ex07_conv_backward")
        self.out_shape = tuple(spec["out_shape"])

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
        self.ex06 = _learner("ex06_pooling")
        self.params = {}
        self.out_shape = tuple(spec["out_shape"])

    def forward(self, x, training, rng):
        self.x = x
        return getattr(self.ex06, f"{self.kind}_pool_forward")(x, *self.args)

    def backward(self, dout):
        return getattr(self.ex06, f"{self.kind}_pool_backward")(dout, self.x, *self.args), {}


class _Flatten:
    def __init__(self, spec: dict, in_shape: tuple, rng):
        self.ex01 = _learner("ex01_tensors")
        self.params = {}
        self.out_shape = (int(np.prod(in_shape)),)

    def forward(self, x, training, rng):
        self.in_shape = x.shape
        return self.ex01.flatten(x)

    def backward(self, dout):
        return np.reshape(dout, self.in_shape), {}


class _Dropout:
    def __init__(self, spec: dict, in_shape: tuple, rng):
        self.rate = spec["rate"]
        self.ex08 = _learner("ex08_dropout_init")
        self.params = {}
        self.out_shape = in_shape

    def forward(self, x, training, rng):
        out, self.mask = self.ex08.dropout_forward(x, self.rate, training, rng)
        return out

    def backward(self, dout):
        return self.ex08.dropout_backward(dout, self.mask), {}


_LAYERS = {
    "dense": _Dense,
    "conv2d": _Conv2D,
    "max_pool": _Pool,
    "avg_pool": _Pool,
    "flatten": _Flatten,
    "dropout": _Dropout,
}


class _Optimizer:
    """The learner's step function (exercise 9), one state dict per parameter."""

    def __init__(self, training: dict):
        self.ex09 = _learner("ex09_optimizers")
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


class Network:
    """A stack of layers built from the learner's functions."""

    def __init__(self, layers: list[dict], input_shape: tuple, rng):
        self.layers = []
        shape = tuple(input_shape)
        for spec in layers:
            layer = _LAYERS[spec["layer"]](spec, shape, rng)
            self.layers.append(layer)
            shape = layer.out_shape

    def forward(self, x, training: bool, rng):
        """Logits of the batch (the last layer's softmax is fused into the loss)."""
        for layer in self.layers:
            x = layer.forward(x, training, rng)
        return x

    def backward(self, dlogits) -> list[dict]:
        grads = []
        for layer in reversed(self.layers):
            dlogits, layer_grads = layer.backward(dlogits)
            grads.append(layer_grads)
        return grads[::-1]


def held_out_size(n_images: int, validation_split: float) -> int:
    """How many of the last training images are held out for validation.

    The trusted side imports this too, to predict the same held-out images.
    """
    return int(round(n_images * validation_split))


def _predict(network: Network, x, batch_size: int, rng) -> np.ndarray:
    labels = []
    for start in range(0, len(x), batch_size):
        logits = network.forward(x[start : start + batch_size], False, rng)
        labels.append(np.argmax(logits, axis=-1))
    return np.concatenate(labels).astype(np.int64) if labels else np.zeros(0, np.int64)


def fit_and_predict(layers, training, input_shape, x_train, y_train, *, seed=0) -> dict:
    """Train the learner's network; return its weights and its own validation predictions.

    Inputs:
    - layers: normalised layer specs; the last is a dense softmax layer (its
      softmax is fused with the cross-entropy: `softmax_cross_entropy`).
    - training: optimizer, learning_rate, epochs, batch_size, validation_split, ...
    - input_shape: one image's shape as the network takes it, e.g. (28, 28, 1).
    - x_train: uint8 images (N, H, W) or (N, H, W, C); y_train: int labels (N,).
    - seed: the seed of every random draw.

    Returns a dict:
    - weights: one dict of float32 arrays per entry of `layers`, in order:
      dense {"w": (n_in, units), "b": (units,)}; conv2d {"w": (kh, kw, c_in,
      filters), Keras' kernel layout, "b": (filters,)}; flatten, pooling and
      dropout {}.
    - val_predictions: int labels the network predicts (dropout off) for the
      held-out images, the last `held_out_size(N, validation_split)` of x_train.
    - history: one dict per epoch: loss, accuracy (running means over the
      epoch, dropout on), val_accuracy (None without a validation split), seconds.
    """
    import nnlab_channel

    ex01, ex03 = _learner("ex01_tensors"), _learner("ex03_softmax_losses")
    rng = np.random.default_rng(seed)
    shape = tuple(int(d) for d in input_shape)
    x_all = np.asarray(ex01.scale_pixels(x_train), dtype=np.float32).reshape((-1, *shape))
    y_all = np.asarray(y_train, dtype=np.int64)
    n_fit = len(x_all) - held_out_size(len(x_all), training.get("validation_split", 0.0))
    x_fit, y_fit = x_all[:n_fit], y_all[:n_fit]
    x_val, y_val = x_all[n_fit:], y_all[n_fit:]

    network = Network(layers, shape, rng)
    optimizer = _Optimizer(training)
    batch_size, epochs = training["batch_size"], training["epochs"]
    history = []
    val_predictions = np.zeros(0, np.int64)
    for epoch in range(epochs):
        started = time.monotonic()
        batches = ex01.minibatches(len(x_fit), batch_size, rng)
        total_loss = correct = seen = 0.0
        for number, index in enumerate(batches):
            index = np.asarray(index)
            xb, yb = x_fit[index], y_fit[index]
            logits = network.forward(xb, True, rng)
            loss, dlogits = ex03.softmax_cross_entropy(logits, yb)
            grads = network.backward(dlogits)
            lr = optimizer.learning_rate()
            for i, (layer, layer_grads) in enumerate(zip(network.layers, grads, strict=True)):
                for name, grad in layer_grads.items():
                    layer.params[name] = np.asarray(
                        optimizer.step((i, name), layer.params[name], grad, lr),
                        dtype=np.float32,
                    )
            optimizer.iterations += 1
            total_loss += float(loss) * len(index)
            correct += float(np.sum(np.argmax(logits, axis=-1) == yb))
            seen += len(index)
            if number % PROGRESS_EVERY_BATCHES == 0 or number == len(batches) - 1:
                nnlab_channel.report(
                    {
                        "epoch": epoch + 1,
                        "epochs": epochs,
                        "fraction": (number + 1) / len(batches),
                        "loss": total_loss / seen,
                        "accuracy": correct / seen,
                        "seconds": time.monotonic() - started,
                    }
                )
        val_predictions = _predict(network, x_val, 512, rng)
        record = {
            "epoch": epoch + 1,
            "loss": total_loss / max(seen, 1),
            "accuracy": correct / max(seen, 1),
            "val_accuracy": float(np.mean(val_predictions == y_val)) if len(y_val) else None,
            "seconds": time.monotonic() - started,
        }
        history.append(record)
        nnlab_channel.report(dict(record, epochs=epochs, fraction=1.0, done=True))
    return {
        "weights": [dict(layer.params) for layer in network.layers],
        "val_predictions": val_predictions,
        "history": history,
    }
