"""Attack: ignore every polite signal, then hang in `step`; the rest return zeros."""

import ctypes
import signal

import numpy as np

TOKEN = "__TOKEN__"  # the name this process goes by, for the test to find
PR_SET_NAME = 15

ctypes.CDLL(None).prctl(PR_SET_NAME, TOKEN.encode(), 0, 0, 0)
for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1):
    signal.signal(signum, signal.SIG_IGN)


def step(x):
    while True:
        pass


def _zeros(*args, **kwargs):
    return np.zeros(np.shape(args[-1]))


relu = sigmoid = tanh = _zeros
relu_backward = sigmoid_backward = tanh_backward = _zeros
