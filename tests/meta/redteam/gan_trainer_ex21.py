"""Attack on exercise 21 (the GAN capstone) through the trainer's answer.

Not a whole module: the red-team test appends it to the reference
ex21_gan_mnist.py, whose networks stay the reference's. On import it replaces
the kit's trainer entry point, `nnlab_trainer.fit_gan`, with one that trains
nothing and answers at once; ATTACK (the test writes it in place of the marker)
chooses the answer:
- "samples": training images where the generator's weights belong, and again
  under a key "samples", in the hope the grader judges them as the samples;
- "wrong_shape": the generator's last kernel transposed, (784, 256) for (256, 784);
- "nan": the right shapes, full of NaN;
- "overflow": the right shapes, finite, but a first kernel of 3e38 everywhere:
  the generator's pixels overflow to NaN;
- "history": zero weights of the right shapes (their samples would earn the
  parameter count's and the memorisation check's points), with NaN losses;
- "long_history": the same weights, with a thousand records per epoch asked for;
- "absurd_history": the same weights, with a history in form (finite numbers)
  whose epoch numbers and losses are +-1.7e308, beyond what a plot's axis spans.
The worker goes by the name TOKEN, for the test to find what outlives the grade.
"""

import ctypes

import nnlab_trainer
import numpy as np

ATTACK = "__ATTACK__"
TOKEN = "__TOKEN__"
PR_SET_NAME = 15

ctypes.CDLL(None).prctl(PR_SET_NAME, TOKEN.encode(), 0, 0, 0)


def _generator_weights(noise_dim: int) -> list[dict]:
    """The reference generator's weights, as fit_gan returns them, all zero."""
    return [
        {"w": np.zeros((noise_dim, 256), np.float32), "b": np.zeros(256, np.float32)},
        {"w": np.zeros((256, 784), np.float32), "b": np.zeros(784, np.float32)},
    ]


def _forged_weights(noise_dim: int, x_train):
    weights = _generator_weights(noise_dim)
    if ATTACK == "samples":
        return np.asarray(x_train[:1000], np.float32).reshape(1000, 784) / np.float32(255)
    if ATTACK == "wrong_shape":
        weights[1]["w"] = weights[1]["w"].T.copy()
    elif ATTACK == "nan":
        weights = [{k: np.full_like(v, np.nan) for k, v in layer.items()} for layer in weights]
    elif ATTACK == "overflow":
        weights[0]["w"][:] = 3e38
        weights[1]["w"][::2] = 3e38
        weights[1]["w"][1::2] = -3e38
    return weights


def _forged_history(epochs: int) -> list[dict]:
    record = {"loss": 0.0, "generator_loss": 0.0, "accuracy": 0.5, "seconds": 0.0}
    if ATTACK == "history":
        record.update(loss=float("nan"), generator_loss=float("nan"))
    elif ATTACK == "long_history":
        epochs *= 1000
    elif ATTACK == "absurd_history":
        huge = 1.7e308
        record.update(loss=huge, generator_loss=-huge)
        return [dict(record, epoch=(-huge, huge)[epoch % 2]) for epoch in range(epochs)]
    return [dict(record, epoch=epoch + 1) for epoch in range(epochs)]


def _forge(generator, discriminator, training, x_train, *rest, **options):
    weights = _forged_weights(training["noise_dim"], x_train)
    answer = {"weights": weights, "history": _forged_history(training["epochs"])}
    if ATTACK == "samples":
        answer["samples"] = weights
    return answer


nnlab_trainer.fit_gan = _forge
