"""Attack: take the worker's import blocker off sys.meta_path, put every folder
where the host may keep packages on sys.path, and import SciPy, TensorFlow,
scikit-learn and PyTorch under names no static scan reads.

Every function works only when one of them was imported (sigmoid is SciPy's
expit when SciPy came); otherwise it raises LookupError naming, for each
library, why its import failed, so the report shows what the sandbox let through.
The test replaces __SITE_FOLDERS__ with the host's own package folders and may
narrow LIBRARIES.
"""

import glob
import importlib
import os
import sys

import numpy as np

LIBRARIES = ("scipy", "tensorflow", "sklearn", "torch")

sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "_ImportBlocker"]
_stdlib = os.path.dirname(os.__file__)
_folders = [
    *__SITE_FOLDERS__,  # noqa: F821 (filled in by the test)
    os.path.join(_stdlib, "site-packages"),
    os.path.join(_stdlib, "dist-packages"),
    *glob.glob("/usr/lib/python3*/*-packages"),
    *glob.glob("/usr/local/lib/python3*/*-packages"),
    *glob.glob(os.path.join(os.path.dirname(_stdlib), "python3*", "*-packages")),
]
sys.path.extend(folder for folder in _folders if folder not in sys.path)

REACHED, MISSED = {}, {}
for _name in LIBRARIES:
    try:
        REACHED[_name] = importlib.import_module(_name)
    except BaseException as error:  # a half-visible package may fail in any way
        MISSED[_name] = f"{type(error).__name__}: {error}"


def _library():
    if not REACHED:
        found = "; ".join(f"{name}: {why}" for name, why in MISSED.items())
        raise LookupError(f"no forbidden library could be imported ({found})")
    return REACHED


def step(x):
    _library()
    return (np.asarray(x) > 0).astype(np.float64)


def relu(x):
    _library()
    return np.maximum(x, 0)


def sigmoid(x):
    if "scipy" in _library():
        importlib.import_module(".special", "scipy")
        return REACHED["scipy"].special.expit(np.asarray(x, dtype=np.float64))
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def tanh(x):
    _library()
    return np.tanh(x)


def relu_backward(dout, x):
    _library()
    return np.where(np.asarray(x) > 0, dout, 0.0)


def sigmoid_backward(dout, x):
    s = sigmoid(x)
    return dout * s * (1.0 - s)


def tanh_backward(dout, x):
    _library()
    return dout * (1.0 - np.tanh(x) ** 2)
