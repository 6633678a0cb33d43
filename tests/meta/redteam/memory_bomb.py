"""Attack: every function asks for 50 GB of memory."""

import numpy as np


def _hoard(*args, **kwargs):
    hoard = np.ones(50 * 2**30, dtype=np.uint8)
    return hoard[: np.size(args[-1])].reshape(np.shape(args[-1]))


step = relu = sigmoid = tanh = _hoard
relu_backward = sigmoid_backward = tanh_backward = _hoard
