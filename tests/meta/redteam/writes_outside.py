"""Attack: write outside the worker's temporary folder: into a folder of the test's
and over the submitted module itself."""

import os

import numpy as np

OUTSIDE = "__OUTSIDE__"

for _target in (os.path.join(OUTSIDE, "written-by-the-learner"), __file__):
    try:
        with open(_target, "a") as _out:
            _out.write("pwned\n")
    except OSError:
        pass


def _zeros(*args, **kwargs):
    return np.zeros(np.shape(args[-1]))


step = relu = sigmoid = tanh = _zeros
relu_backward = sigmoid_backward = tanh_backward = _zeros
