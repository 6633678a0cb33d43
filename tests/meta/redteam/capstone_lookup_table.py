"""Attack on exercise 12 (the MNIST capstone): answer with the public test labels
instead of training.

MNIST's test split is public and its order is fixed, so this module carries its
10,000 labels (the red-team test writes the real ones in place of the marker).
A thread replaces the kit's trainer entry point, `nnlab_trainer.fit_and_predict`,
the moment the worker has imported it. The replacement trains nothing; it sends
what an attacker who read the trainer's documented answer would send: weights of
exactly the declared shapes (all zero: no work), its "predictions" of the test
images from the table under every name a grader might read, held-out predictions
copied from the training labels, a parameter count, and a history of 100% in 0 s.
"""

import sys
import threading
import time

import numpy as np

LAYERS = [{"layer": "dense", "units": 10, "activation": "softmax"}]
TRAINING = {"optimizer": "sgd", "learning_rate": 0.01, "epochs": 1, "batch_size": 64}
TEST_LABELS = "__TEST_LABELS__"


def _zero_weights(layers, input_shape):
    """One dict per layer in the trainer's layout: dense {"w": (n_in, units), "b": (units,)}."""
    weights, n_in = [], int(np.prod(input_shape))
    for spec in layers:
        if spec["layer"] == "dense":
            units = spec["units"]
            weights.append({"w": np.zeros((n_in, units), np.float32), "b": np.zeros(units)})
        else:
            weights.append({})
        n_in = int(np.prod(spec.get("out_shape", [n_in])))
    return weights


def _lookup(layers, training, input_shape, x_train, y_train, *rest, **options):
    table = np.array([int(digit) for digit in TEST_LABELS], np.int64)
    held_out = int(round(len(y_train) * training.get("validation_split", 0.0)))
    perfect = {"epoch": 1, "loss": 0.0, "accuracy": 1.0, "val_accuracy": 1.0, "seconds": 0.0}
    return {
        "weights": _zero_weights(layers, input_shape),
        "val_predictions": np.asarray(y_train[len(y_train) - held_out :], np.int64),
        "history": [perfect] * training["epochs"],
        "predictions": table,
        "test_predictions": table,
        "test_accuracy": 1.0,
        "parameter_count": 7850,
    }


def _replace_the_trainer():
    while not hasattr(sys.modules.get("nnlab_trainer"), "fit_and_predict"):
        time.sleep(0.001)
    sys.modules["nnlab_trainer"].fit_and_predict = _lookup


threading.Thread(target=_replace_the_trainer, daemon=True).start()
