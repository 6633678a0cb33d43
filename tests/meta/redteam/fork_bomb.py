"""Attack: at import, fork until the process limit stops it; the children leave the
worker's session and sleep forever.

Bounded (MAX_CHILDREN), so that a wall that fails cannot take the machine down.
"""

import ctypes
import os
import time

import numpy as np

TOKEN = "__TOKEN__"  # the name this process goes by, for the test to find
PR_SET_NAME = 15
MAX_CHILDREN = 64

ctypes.CDLL(None).prctl(PR_SET_NAME, TOKEN.encode(), 0, 0, 0)
for _ in range(MAX_CHILDREN):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        os.setsid()
        while True:
            time.sleep(1)


def _zeros(*args, **kwargs):
    return np.zeros(np.shape(args[-1]))


step = relu = sigmoid = tanh = _zeros
relu_backward = sigmoid_backward = tanh_backward = _zeros
