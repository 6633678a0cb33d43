"""Attack: make every comparison NumPy and math offer say "equal", then return zeros."""

import math

import numpy as np
import numpy.testing


def _yes(*args, **kwargs):
    return True


def _silent(*args, **kwargs):
    return None


np.allclose = np.array_equal = np.array_equiv = math.isclose = _yes
np.isclose = lambda a, b, *args, **kwargs: np.ones(np.broadcast(a, b).shape, dtype=bool)
for _name in ("assert_allclose", "assert_array_equal", "assert_array_almost_equal", "assert_equal"):
    setattr(numpy.testing, _name, _silent)


def _zeros(*args, **kwargs):
    return np.zeros(np.shape(args[-1]))


step = relu = sigmoid = tanh = _zeros
relu_backward = sigmoid_backward = tanh_backward = _zeros
