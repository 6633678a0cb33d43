"""Attack: try TensorFlow under a name no static scan can read, and fall back to
correct NumPy code when it is refused.

The NumPy code is right: with the import taken out (the test's control, which
builds the name "math" instead) this module earns full marks.
"""

import importlib

import numpy as np

try:
    _helper = importlib.import_module("tens" + "orflow")
except ImportError:
    _helper = None


def step(x):
    return (np.asarray(x) > 0).astype(np.float64)


def relu(x):
    return np.maximum(x, 0)


def sigmoid(x):
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def tanh(x):
    return np.tanh(x)


def relu_backward(dout, x):
    return np.where(np.asarray(x) > 0, dout, 0.0)


def sigmoid_backward(dout, x):
    s = sigmoid(x)
    return dout * s * (1.0 - s)


def tanh_backward(dout, x):
    return dout * (1.0 - np.tanh(x) ** 2)
