"""Attack on exercise 12 (the MNIST capstone): a forged answer to the trial run.

Before training, the kit's trainer tries each function the network needs once
(`nnlab_trainer.probe_functions`) and answers one fixed-form verdict per
function. A thread replaces that function once the worker has imported it; the
replacement answers what FORGERY names (the red-team test writes it in place of
the marker):
- "object": objects of this module's own class instead of verdicts;
- "outside": verdicts blaming functions outside the course (the grader's own);
- "long": far more verdicts than there are functions.
"""

import sys
import threading
import time

LAYERS = [{"layer": "dense", "units": 10, "activation": "softmax"}]
TRAINING = {"optimizer": "sgd", "learning_rate": 0.01, "epochs": 1, "batch_size": 64}
FORGERY = "__FORGERY__"


class _Verdict:
    """Not data: whoever reads it as a verdict gets whatever it claims to be."""

    def __eq__(self, other):
        return True

    __hash__ = object.__hash__


def _forge(layers, training, *rest, **options):
    count = len(sys.modules["nnlab_trainer"].needed_functions(layers, training))
    if FORGERY == "object":
        return [_Verdict() for _ in range(count)]
    if FORGERY == "outside":
        return [["not_implemented", "grader.engine.capstone", "validate"]] * count
    return ["ready"] * 1000


def _replace_the_probe():
    while not hasattr(sys.modules.get("nnlab_trainer"), "probe_functions"):
        time.sleep(0.001)
    sys.modules["nnlab_trainer"].probe_functions = _forge


threading.Thread(target=_replace_the_probe, daemon=True).start()
