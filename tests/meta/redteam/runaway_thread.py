"""Attack: start a (non-daemon) thread at import that never stops, so the worker
would outlive its grade if the grader only closed the channel."""

import ctypes
import threading
import time

import numpy as np

TOKEN = "__TOKEN__"  # the name this process goes by, for the test to find
PR_SET_NAME = 15

ctypes.CDLL(None).prctl(PR_SET_NAME, TOKEN.encode(), 0, 0, 0)


def _keep_running():
    while True:
        with open("keepalive.txt", "a") as out:
            out.write(f"{time.time()}\n")
        time.sleep(0.05)


threading.Thread(target=_keep_running).start()


def _zeros(*args, **kwargs):
    return np.zeros(np.shape(args[-1]))


step = relu = sigmoid = tanh = _zeros
relu_backward = sigmoid_backward = tanh_backward = _zeros
