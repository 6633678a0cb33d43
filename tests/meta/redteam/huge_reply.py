"""Exercise 2, hostile: answer every call with a 256 MiB bool array.

Converted to float64 beside its received bytes, one such answer used to cost
the grader gigabytes; the grader must refuse it before reading it.
"""

import numpy as np


def _huge(*_args):
    return np.ones(256 * 2**20, dtype=bool)


step = relu = sigmoid = tanh = _huge
relu_backward = sigmoid_backward = tanh_backward = _huge
