"""Exercise 2, hostile: carry what hidden checks send into visible checks' messages.

The functions answer correctly, but every input is remembered in this worker,
and from the 15th call on every function fails with a message naming this
worker (a random token drawn at import) and a digest of every input it has
seen so far. If hidden and visible checks shared a worker, a visible check's
message (which students see) would carry the hidden checks' inputs; the
digest also shows whether an instructor's secret seed changed those inputs.
"""

import hashlib
import os

import numpy as np

TOKEN = os.urandom(6).hex()
SEEN = []
QUIET_CALLS = 14


def _remember(*arrays):
    SEEN.extend(np.asarray(a, dtype=np.float64).tobytes().hex() for a in arrays)
    if len(SEEN) > QUIET_CALLS:
        digest = hashlib.sha256("|".join(SEEN).encode()).hexdigest()[:16]
        raise ValueError(f"worker {TOKEN} digest {digest} calls {len(SEEN)}")


def step(x):
    _remember(x)
    return (np.asarray(x) > 0).astype(np.float64)


def relu(x):
    _remember(x)
    return np.maximum(x, 0)


def sigmoid(x):
    _remember(x)
    return np.exp(-np.logaddexp(0.0, -np.asarray(x, dtype=np.float64)))


def tanh(x):
    _remember(x)
    return np.tanh(x)


def relu_backward(dout, x):
    _remember(dout, x)
    return np.where(np.asarray(x) > 0, dout, 0.0)


def sigmoid_backward(dout, x):
    _remember(dout, x)
    s = np.exp(-np.logaddexp(0.0, -np.asarray(x, dtype=np.float64)))
    return dout * s * (1.0 - s)


def tanh_backward(dout, x):
    _remember(dout, x)
    return dout * (1.0 - np.tanh(x) ** 2)
