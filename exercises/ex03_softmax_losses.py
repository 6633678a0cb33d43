"""Exercise 3: softmax and losses.

A classifier's last layer turns scores (logits) into probabilities with
softmax, and a loss says how far those probabilities are from the truth.
Keras' `categorical_crossentropy` and `sparse_categorical_crossentropy` are
what `model.compile(loss=...)` uses; you will write them exactly as Keras
computes them, plus the squared-error losses of regression.

Two worked examples the checks use:
- sse([1, 0, 0], [0.37, 0.50, 0.13]) == 0.6638
- predicting probability 0.9 for the true class costs -ln 0.9 = 0.1054
  (natural log: 0.046 would be log base 10).
"""

import numpy as np

EPSILON = 1e-7  # Keras' backend.epsilon(), used for clipping probabilities


def softmax(z, axis=-1):
    """Softmax along `axis`: exp(z) / sum(exp(z)). Equals `tf.nn.softmax`.

    exp(1000) overflows to inf and inf / inf is NaN. Softmax does not change
    when you subtract the same number from every logit, so subtract the
    maximum first: then the largest exponent is exp(0) = 1. It must be
    stable for logits as large as 1e4.

    Inputs:
    - z: array of logits, e.g. (N, C).
    - axis: the axis that holds the classes.

    Returns:
    - array of z's shape; along `axis` values are >= 0 and sum to 1.
    """
    raise NotImplementedError("softmax: write your code here")


def log_softmax(z, axis=-1):
    """The logarithm of softmax, computed stably. Equals `tf.nn.log_softmax`.

    log(softmax(z)) fails when a probability rounds to 0 (log 0 = -inf).
    Instead: log_softmax(z) = (z - m) - log(sum(exp(z - m))) with m the max.

    Inputs:
    - z: array of logits, e.g. (N, C).
    - axis: the axis that holds the classes.

    Returns:
    - array of z's shape, all values <= 0.
    """
    raise NotImplementedError("log_softmax: write your code here")


def categorical_crossentropy(y_true, y_pred):
    """Mean cross-entropy of one-hot targets and predicted probabilities, as Keras.

    For one sample, -sum(y_true * log(y_pred)) with the natural log. Keras
    first divides y_pred by its row sum (so unnormalised rows still work)
    and then clips it to [1e-7, 1 - 1e-7] so log never sees 0.
    Example: categorical_crossentropy([[0, 1]], [[3, 1]]) = -ln(1/4) = 1.386.

    Inputs:
    - y_true: one-hot targets, shape (N, C).
    - y_pred: predicted probabilities, shape (N, C).

    Returns:
    - a float: the loss averaged over the N samples.
    """
    raise NotImplementedError("categorical_crossentropy: write your code here")


def sparse_categorical_crossentropy(labels, y_pred):
    """Mean cross-entropy with integer labels, as Keras computes it.

    Like categorical_crossentropy, but the targets are class indices, and
    Keras does the two steps in the other order: it clips y_pred to
    [1e-7, 1 - 1e-7] first and then divides by the row sum.
    Example: sparse_categorical_crossentropy([1], [[3, 1]]) = 0.693, because
    the clip turns [3, 1] into [1 - 1e-7, 1 - 1e-7] before normalising.

    Inputs:
    - labels: integer class indices, shape (N,).
    - y_pred: predicted probabilities, shape (N, C).

    Returns:
    - a float: the loss averaged over the N samples.
    """
    raise NotImplementedError("sparse_categorical_crossentropy: write your code here")


def softmax_cross_entropy(logits, labels):
    """Softmax followed by cross-entropy, fused: the loss and its gradient.

    This is what a classifier trains on. Working from logits avoids taking
    the log of a rounded-to-zero probability, and the gradient is
    beautifully simple: (softmax(logits) - one_hot(labels)) / N.

    Inputs:
    - logits: array (N, C).
    - labels: integer class indices, shape (N,).

    Returns a tuple (loss, dlogits):
    - loss: a float, the mean over the batch of -log softmax(logits)[i, labels[i]].
    - dlogits: array (N, C), the gradient of loss with respect to logits.
    """
    raise NotImplementedError("softmax_cross_entropy: write your code here")


def sse(y_true, y_pred):
    """Sum of squared errors of one sample: sum((y_true - y_pred)**2).

    Example: sse([1, 0, 0], [0.37, 0.50, 0.13]) = 0.3969 + 0.25 + 0.0169 = 0.6638.

    Inputs:
    - y_true, y_pred: arrays of the same shape.

    Returns:
    - a float.
    """
    raise NotImplementedError("sse: write your code here")


def mse(y_true, y_pred):
    """Mean squared error over all elements. Equals `keras.losses.MeanSquaredError()`.

    Inputs:
    - y_true, y_pred: arrays of the same shape.

    Returns:
    - a float: mean((y_true - y_pred)**2).
    """
    raise NotImplementedError("mse: write your code here")


def mse_backward(y_true, y_pred):
    """Gradient of mse(y_true, y_pred) with respect to y_pred.

    Every element contributes (y_pred - y_true)**2 / n, so its derivative is
    2 * (y_pred - y_true) / n, with n the total number of elements.

    Inputs:
    - y_true, y_pred: arrays of the same shape.

    Returns:
    - array of y_pred's shape.
    """
    raise NotImplementedError("mse_backward: write your code here")
