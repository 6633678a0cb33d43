"""Attack on exercise 11 (the two-layer network): a "network" with no matrix product.

It draws honest random weights at construction, then holds zeros whatever
weights it is given, so every expectation computed from the weights read back
from it is that of an all-zero network: uniform probabilities, a loss of
log(n_out), and gradients that only the output bias has. After `train` it
ignores its weights altogether and names the quadrant from the signs of x.
"""

import numpy as np

WEIGHTS = ("W1", "b1", "W2", "b2")


class TwoLayerNet:
    """Looks like TwoLayerNet from the outside; computes nothing a network computes."""

    def __init__(self, n_in=2, n_hidden=50, n_out=4, rng=None):
        rng = np.random.default_rng(0) if rng is None else rng
        own = object.__setattr__
        own(self, "W1", rng.standard_normal((n_in, n_hidden)) * np.sqrt(2.0 / n_in))
        own(self, "b1", np.zeros(n_hidden))
        own(self, "W2", rng.standard_normal((n_hidden, n_out)) * np.sqrt(2.0 / n_hidden))
        own(self, "b2", np.zeros(n_out))
        own(self, "by_sign", False)

    def __setattr__(self, name, value):
        if name in WEIGHTS:  # whatever the grader sets, hold zeros of the same shape
            value = np.zeros(np.shape(getattr(self, name)))
        object.__setattr__(self, name, value)

    def forward(self, X):
        scores = np.zeros((len(X), len(self.b2))) + self.b2
        exp = np.exp(scores - scores.max(axis=1, keepdims=True))
        return exp / exp.sum(axis=1, keepdims=True)

    def loss_and_grads(self, X, y):
        y = np.asarray(y)
        n_out = len(self.b2)
        grads = {name: np.zeros(np.shape(getattr(self, name))) for name in WEIGHTS}
        grads["b2"] = 1.0 / n_out - np.bincount(y, minlength=n_out) / len(y)
        return float(np.log(n_out)), grads

    def train_step(self, X, y, lr):
        loss, grads = self.loss_and_grads(X, y)
        object.__setattr__(self, "b2", self.b2 - lr * grads["b2"])
        return loss

    def train(self, X, y, rng, lr=0.1, epochs=50, batch_size=32):
        object.__setattr__(self, "by_sign", True)
        return [1.0] * epochs

    def predict(self, X):
        if not self.by_sign:
            return np.argmax(self.forward(X), axis=1)
        right, up = X[:, 0] > 0, X[:, 1] > 0
        return np.select([right & up, ~right & up, ~right & ~up], [0, 1, 2], 3)
