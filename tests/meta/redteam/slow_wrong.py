"""Exercise 2, hostile (or just very slow): every call sleeps just under the call
timeout, then answers wrong. Hypothesis would shrink such an input one slow call
at a time; the exercise's time limit must hold during a check, not only between
checks. `__SLEEP__` is the sleep in seconds (the test sets it under its timeout).
"""

import time

import numpy as np

SLEEP_S = float("__SLEEP__")


def _slow_and_wrong(x, *_rest):
    time.sleep(SLEEP_S)
    return np.asarray(x, dtype=np.float64) + 1.0


step = relu = sigmoid = tanh = _slow_and_wrong
relu_backward = sigmoid_backward = tanh_backward = _slow_and_wrong
