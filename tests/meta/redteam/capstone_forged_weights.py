"""Attack on exercise 12 (the MNIST capstone): weights the grader cannot use, in
the hope it trips over them or falls back on what else the answer says.

A thread replaces the kit's trainer entry point, `nnlab_trainer.fit_and_predict`,
once the worker has imported it; the replacement trains nothing and answers with
perfect claims and one kind of forged weights, chosen by FORGERY (the red-team
test writes it in place of the marker):
- "wrong_shape": the dense kernel transposed, (10, 784) for (784, 10);
- "nan": the right shapes, full of NaN;
- "non_array": nested Python lists of floats where the arrays belong;
- "object": an object that turns into perfect arrays if anyone asks it to.
"""

import sys
import threading
import time

import numpy as np

LAYERS = [{"layer": "dense", "units": 10, "activation": "softmax"}]
TRAINING = {"optimizer": "sgd", "learning_rate": 0.01, "epochs": 1, "batch_size": 64}
FORGERY = "__FORGERY__"


class _Perfect:
    """Something that is not data: whoever converts it gets arrays of its choosing."""

    def __array__(self, dtype=None, copy=None):
        return np.ones((784, 10), np.float32)


def _forged_weights():
    kernel, bias = np.zeros((784, 10), np.float32), np.zeros(10, np.float32)
    if FORGERY == "wrong_shape":
        kernel = kernel.T
    elif FORGERY == "nan":
        kernel, bias = np.full_like(kernel, np.nan), np.full_like(bias, np.nan)
    elif FORGERY == "non_array":
        kernel, bias = kernel.tolist(), bias.tolist()
    elif FORGERY == "object":
        kernel = _Perfect()
    return [{}, {"w": kernel, "b": bias}]


def _forge(layers, training, input_shape, x_train, y_train, *rest, **options):
    held_out = int(round(len(y_train) * training.get("validation_split", 0.0)))
    perfect = {"epoch": 1, "loss": 0.0, "accuracy": 1.0, "val_accuracy": 1.0, "seconds": 0.0}
    return {
        "weights": _forged_weights(),
        "val_predictions": np.asarray(y_train[len(y_train) - held_out :], np.int64),
        "history": [perfect] * training["epochs"],
        "test_accuracy": 1.0,
        "parameter_count": 7850,
    }


def _replace_the_trainer():
    while not hasattr(sys.modules.get("nnlab_trainer"), "fit_and_predict"):
        time.sleep(0.001)
    sys.modules["nnlab_trainer"].fit_and_predict = _forge


threading.Thread(target=_replace_the_trainer, daemon=True).start()
