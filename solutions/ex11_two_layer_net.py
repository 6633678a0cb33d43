"""Exercise 11: a two-layer network, trained end to end.

This is the Keras model

    keras.Sequential([
        keras.Input((2,)),
        keras.layers.Dense(50, activation="relu"),
        keras.layers.Dense(4, activation="softmax"),
    ])

compiled with `loss="sparse_categorical_crossentropy"` and trained with plain
SGD, written by hand. Every piece is one you have met:

    h      = relu(X @ W1 + b1)             hidden layer, (N, n_hidden)
    scores = h @ W2 + b2                   logits, (N, n_out)
    probs  = softmax(scores)               one row per sample, sums to 1
    loss   = mean(-log(probs[i, y[i]]))    cross-entropy, natural log

and backprop walks the same chain in reverse: softmax cross-entropy
(dscores = (probs - one_hot(y)) / N), the second Dense layer, the ReLU
(gradient 0 wherever the hidden pre-activation was <= 0), the first Dense
layer. Training repeats `w <- w - lr * dw` for each weight, just as
`gradient_descent_step` did for a single number (0.38, gradient -0.55,
lr 0.01 -> 0.3855).

The task: tell which quadrant a point of the plane lies in. Quadrant I
(x > 0, y > 0) is label 0, II (x < 0, y > 0) is 1, III is 2, IV is 3. The
training data are noisy samples around (1, 1), (-1, 1), (-1, -1) and
(1, -1). A trained network should get 99% of fresh points right, and the
point (2, 2), which it never saw, should land in quadrant I.

The module is self-contained: write the few helpers you need (ReLU, a stable
softmax) inside the methods.
"""

import numpy as np


class TwoLayerNet:
    """A fully connected network: Dense(n_hidden, relu) -> Dense(n_out, softmax).

    Weights follow Keras' layouts: W1 (n_in, n_hidden), b1 (n_hidden,),
    W2 (n_hidden, n_out), b2 (n_out,).
    """

    def __init__(self, n_in=2, n_hidden=50, n_out=4, rng=None):
        """Create the weights.

        Draw W1 and W2 at random (so the hidden units differ from each other)
        and at a sensible scale: He initialisation, normal with standard
        deviation sqrt(2 / fan_in), suits ReLU. The biases start at zero.

        Inputs:
        - n_in: int, input features.
        - n_hidden: int, hidden units.
        - n_out: int, classes.
        - rng: numpy.random.Generator for the initial weights; None means
          np.random.default_rng(0).

        Returns:
        - nothing; sets the attributes W1 (n_in, n_hidden), b1 (n_hidden,),
          W2 (n_hidden, n_out), b2 (n_out,), float64 arrays.
        """
        # BEGIN SOLUTION
        if rng is None:
            rng = np.random.default_rng(0)
        self.W1 = rng.standard_normal((n_in, n_hidden)) * np.sqrt(2.0 / n_in)
        self.b1 = np.zeros(n_hidden)
        self.W2 = rng.standard_normal((n_hidden, n_out)) * np.sqrt(2.0 / n_hidden)
        self.b2 = np.zeros(n_out)
        # END SOLUTION

    def forward(self, X):
        """The forward pass: class probabilities for each sample.

        h = relu(X @ W1 + b1), scores = h @ W2 + b2, probs = softmax(scores)
        row by row. Subtract each row's maximum score before exponentiating
        so that large scores cannot overflow.

        Inputs:
        - X: array of shape (N, n_in).

        Returns:
        - probs: array of shape (N, n_out); each row is non-negative and sums
          to 1.
        """
        # BEGIN SOLUTION
        h = np.maximum(0.0, X @ self.W1 + self.b1)
        scores = h @ self.W2 + self.b2
        exp = np.exp(scores - scores.max(axis=1, keepdims=True))
        return exp / exp.sum(axis=1, keepdims=True)
        # END SOLUTION

    def loss_and_grads(self, X, y):
        """Softmax cross-entropy loss of a batch and its gradients.

        Run the forward pass keeping the intermediate values, then backprop:

            loss     = mean over i of -log(probs[i, y[i]])
            dscores  = (probs - one_hot(y)) / N
            dW2      = h.T @ dscores,        db2 = dscores summed over rows
            dh       = dscores @ W2.T
            dpre     = dh where the pre-activation X @ W1 + b1 > 0, else 0
            dW1      = X.T @ dpre,           db1 = dpre summed over rows

        The weights are not changed. Compute the loss from the shifted scores,
        log p = (s - max) - log(sum(exp(s - max))), so it stays finite even
        when a probability underflows to 0.

        Inputs:
        - X: array of shape (N, n_in).
        - y: int array of shape (N,), labels in 0 .. n_out - 1.

        Returns a tuple (loss, grads):
        - loss: float, the mean cross-entropy over the batch.
        - grads: dict with keys "W1", "b1", "W2", "b2", each an array of the
          same shape as that weight: dloss/dweight.
        """
        # BEGIN SOLUTION
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y)
        n = X.shape[0]
        pre = X @ self.W1 + self.b1
        h = np.maximum(0.0, pre)
        scores = h @ self.W2 + self.b2
        shifted = scores - scores.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        loss = -np.mean(log_probs[np.arange(n), y])

        dscores = np.exp(log_probs)
        dscores[np.arange(n), y] -= 1.0
        dscores /= n
        dh = dscores @ self.W2.T
        dpre = dh * (pre > 0)
        grads = {
            "W1": X.T @ dpre,
            "b1": dpre.sum(axis=0),
            "W2": h.T @ dscores,
            "b2": dscores.sum(axis=0),
        }
        return float(loss), grads
        # END SOLUTION

    def train_step(self, X, y, lr):
        """One step of gradient descent on a batch.

        Compute the loss and gradients, then move every weight against its
        gradient: W1 <- W1 - lr * dW1, and the same for b1, W2, b2.

        Inputs:
        - X: array of shape (N, n_in).
        - y: int array of shape (N,).
        - lr: float, the learning rate.

        Returns:
        - loss: float, the batch loss BEFORE the update.
        """
        # BEGIN SOLUTION
        loss, grads = self.loss_and_grads(X, y)
        self.W1 = self.W1 - lr * grads["W1"]
        self.b1 = self.b1 - lr * grads["b1"]
        self.W2 = self.W2 - lr * grads["W2"]
        self.b2 = self.b2 - lr * grads["b2"]
        return loss
        # END SOLUTION

    def train(self, X, y, rng, lr=0.1, epochs=50, batch_size=32):
        """Train with mini-batch gradient descent, like `model.fit`.

        For each epoch: shuffle the sample order with `rng.permutation(N)`,
        cut it into consecutive batches of batch_size samples (the last one
        may be smaller), and call train_step on each. The defaults are enough
        for the quadrant task: 99% of fresh points right.

        Inputs:
        - X: array of shape (N, n_in).
        - y: int array of shape (N,).
        - rng: numpy.random.Generator for the shuffling.
        - lr: float, the learning rate.
        - epochs: int, the number of passes over the data.
        - batch_size: int, samples per step.

        Returns:
        - losses: list of `epochs` floats, the average over each epoch's
          samples of the batch losses (what Keras' progress bar shows as
          "loss" at the end of the epoch).
        """
        # BEGIN SOLUTION
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y)
        losses = []
        for _ in range(epochs):
            order = rng.permutation(len(X))
            total = 0.0
            for start in range(0, len(X), batch_size):
                batch = order[start : start + batch_size]
                total += self.train_step(X[batch], y[batch], lr) * len(batch)
            losses.append(total / len(X))
        return losses
        # END SOLUTION

    def predict(self, X):
        """The predicted class of each sample: the most probable one.

        Inputs:
        - X: array of shape (N, n_in).

        Returns:
        - labels: int array of shape (N,), argmax of the probabilities.
        """
        # BEGIN SOLUTION
        return np.argmax(self.forward(X), axis=1)
        # END SOLUTION
