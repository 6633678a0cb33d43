"""Attack on exercise 12 (the MNIST capstone): find MNIST's test labels on disk and
answer the trainer's call with them instead of training.

A thread waits for the kit's trainer module to be imported beside this one
and replaces its `fit_and_predict`. With no labels to be found it can only
guess class 0.
"""

import gzip
import os
import sys
import threading
import time

import numpy as np

LAYERS = [{"layer": "dense", "units": 10, "activation": "softmax"}]
TRAINING = {"optimizer": "sgd", "learning_rate": 0.01, "epochs": 1, "batch_size": 64}
NAMES = ("t10k-labels-idx1-ubyte.gz", "t10k-labels-idx1-ubyte", "mnist.npz")
SKIP = ("/proc", "/sys", "/dev")
MAX_DEPTH = 5


def _read(path):
    if path.endswith(".npz"):
        with np.load(path) as archive:
            return archive["y_test"]
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as handle:
        return np.frombuffer(handle.read()[8:], dtype=np.uint8)


def _test_labels():
    roots = [os.path.expanduser("~/.keras/datasets"), "/usr/share/datasets", "/"]
    for root in roots:
        for folder, subfolders, files in os.walk(root):
            if folder.startswith(SKIP) or folder.count(os.sep) >= MAX_DEPTH:
                subfolders[:] = []
            for name in NAMES:
                if name in files and "fashion" not in folder:  # same file names, other labels
                    return _read(os.path.join(folder, name))
    return None


def _cheat(layers, training, input_shape, x_train, y_train, x_test, seed=0):
    labels = _test_labels()
    if labels is None or len(labels) != len(x_test):
        labels = np.zeros(len(x_test), dtype=np.int64)
    record = {"epoch": 1, "loss": 0.01, "accuracy": 1.0, "val_accuracy": None, "seconds": 1.0}
    return {"history": [record], "predictions": np.asarray(labels, np.int64), "parameter_count": 0}


def _replace_the_trainer():
    while not hasattr(sys.modules.get("nnlab_trainer"), "fit_and_predict"):
        time.sleep(0.001)
    sys.modules["nnlab_trainer"].fit_and_predict = _cheat


threading.Thread(target=_replace_the_trainer, daemon=True).start()
