"""Exercise 17: linear classifiers, the score function and two losses.

A linear classifier gives each class c a score that is a weighted sum of the
pixels plus a bias:

    scores = x @ w + b        x (N, D), w (D, C), b (C,), scores (N, C)

and predicts the class with the highest score. Column c of w is a "template"
of class c: a picture, once reshaped to 32 x 32 x 3, of what the class tends
to look like. This is `keras.layers.Dense(C)` without an activation; what
makes it an SVM or a softmax classifier is the loss it is trained with.

For a sample with scores s and true class y:

    multiclass SVM (hinge):  L = sum over j != y of max(0, s[j] - s[y] + 1)
    softmax (cross-entropy): L = -log(exp(s[y]) / sum_j exp(s[j]))

The data loss is the mean of L over the N samples. Both add an L2 penalty on
the weights, `reg * np.sum(w * w)` (reg times the sum of squares, with no
factor 0.5), whose gradient is `2 * reg * w`. The penalty keeps the weights
small and the templates smooth; with reg = 0 the classifier fits noise in
the training images.

The bias trick: append a column of ones to x, and the bias becomes the last
row of w, so a loss needs only w. train_linear uses it (and so regularises
the bias row too, like CS231n).

Labels y are integers 0..C-1 of shape (N,). Losses return (loss, dw): a
float and an array of w's shape, in float64. Do not change w, x or y in place.
"""

import numpy as np


def linear_scores(x, w, b):
    """Class scores of a linear classifier: x @ w + b.

    Inputs:
    - x: array (N, D), one flattened image per row.
    - w: array (D, C), one column (template) per class.
    - b: array (C,), one bias per class.

    Returns a float64 array (N, C).
    """
    raise NotImplementedError("linear_scores: write your code here")


def svm_loss_naive(w, x, y, reg):
    """Multiclass SVM loss and gradient with explicit loops over samples and classes.

    For sample i with scores s = x[i] @ w, every class j != y[i] has the
    margin m = s[j] - s[y[i]] + 1. When m > 0 (strictly), m is added to the
    loss, x[i] to column j of dw and -x[i] to column y[i] of dw. A margin of
    exactly 0 adds nothing. Then divide the loss and dw by N, and add
    reg * sum(w * w) to the loss and 2 * reg * w to dw.

    Inputs:
    - w: array (D, C); x: array (N, D); y: int array (N,) of classes 0..C-1;
      reg: float, the regularisation strength.

    Returns (loss, dw): a float and a float64 array (D, C).
    """
    raise NotImplementedError("svm_loss_naive: write your code here")


def svm_loss(w, x, y, reg):
    """The multiclass SVM loss and gradient of svm_loss_naive, without Python loops.

    Compute all scores at once (N, C), the margins
    scores - scores[arange(N), y][:, None] + 1, zero the true classes'
    margins, and keep the positive ones. For dw, build a (N, C) matrix that
    holds 1 where a margin is > 0 and minus the count of such margins in the
    true class's column; then dw = x.T @ that / N + 2 * reg * w.

    Inputs and returns as svm_loss_naive. Must be fast: within the kit's speed
    bound of the reference on 100,000 samples, where a loop over the samples
    is about 100 times slower.
    """
    raise NotImplementedError("svm_loss: write your code here")


def softmax_loss_naive(w, x, y, reg):
    """Softmax (cross-entropy) loss and gradient with an explicit loop over samples.

    For sample i with scores s = x[i] @ w: subtract max(s) first (the
    probabilities do not change, and exp cannot overflow), then
    p = exp(s) / sum(exp(s)) and the loss adds -log(p[y[i]]). The gradient of
    that term with respect to the scores is p minus the one-hot of y[i], so
    column j of dw gets x[i] * (p[j] - (j == y[i])). Then divide by N and add
    reg * sum(w * w) to the loss, 2 * reg * w to dw.

    Inputs:
    - w: array (D, C); x: array (N, D); y: int array (N,) of classes 0..C-1;
      reg: float.

    Returns (loss, dw): a float and a float64 array (D, C).
    """
    raise NotImplementedError("softmax_loss_naive: write your code here")


def softmax_loss(w, x, y, reg):
    """The softmax loss and gradient of softmax_loss_naive, without Python loops.

    Shift each row of scores by its maximum, take the log-sum-exp per row,
    and the loss is the mean of log_sum_exp - scores[arange(N), y]; with
    p = the row-wise softmax, dw = x.T @ (p - one_hot(y)) / N + 2 * reg * w.
    It must stay finite for scores in the thousands.

    Inputs and returns as softmax_loss_naive. Must be fast: within the kit's
    speed bound of the reference on 100,000 samples, where a loop over the
    samples is about 100 times slower.
    """
    raise NotImplementedError("softmax_loss: write your code here")


def perceptron_step(w, b, x, y):
    """One step of Rosenblatt's perceptron on one sample.

    The sample is misclassified when y * (w @ x + b) <= 0: a point exactly
    on the boundary (score 0) counts as a mistake, so that learning can start
    from w = 0. On a mistake, move the boundary towards the sample:
    w + y * x and b + y. Otherwise, keep w and b.

    Inputs:
    - w: array (D,), the weights; b: float, the bias.
    - x: array (D,), one sample; y: its label, -1 or +1.

    Returns (new_w, new_b, mistake): an array (D,), a float and a bool. w is
    not changed in place.
    """
    raise NotImplementedError("perceptron_step: write your code here")


def train_perceptron(x, y, epochs=100):
    """Train a perceptron from w = 0, b = 0 with perceptron_step.

    Each epoch visits the samples in order 0..N-1 and counts its mistakes.
    Training stops after the first epoch without a mistake (its count, 0, is
    the last in the list) or after `epochs` epochs. On linearly separable data
    it always stops: Novikoff's theorem bounds the total number of mistakes
    by (R / margin)**2.

    Inputs:
    - x: array (N, D); y: array (N,) of labels -1 and +1 only (raise
      ValueError for any other label, e.g. the 0/1 labels of a dataset).
    - epochs: the most epochs to run.

    Returns (w, b, mistakes): w an array (D,), b a float, mistakes a list of
    ints, the mistakes made in each epoch run.
    """
    raise NotImplementedError("train_perceptron: write your code here")


def preprocess(x_train, x_other):
    """Flatten, scale to [0, 1] and zero-centre images with the *training* mean.

    Flatten each image to a row (N, D), convert to float64, divide by 255,
    then subtract the mean image of the training rows from both arrays. The
    mean comes from x_train only, never from x_other: the test images stand
    for data the classifier has not seen, so nothing may be learnt from them.

    Inputs:
    - x_train: uint8 images (N, ...), e.g. (N, 32, 32, 3).
    - x_other: images of the same shape per image (M, ...), e.g. the test set.

    Returns (train, other): float64 arrays (N, D) and (M, D).
    """
    raise NotImplementedError("preprocess: write your code here")


def train_linear(x, y, loss="softmax", lr=0.05, reg=0.01, epochs=10, batch_size=200, rng=None):
    """Train a linear classifier by mini-batch stochastic gradient descent.

    With C = max(y) + 1 classes, use the bias trick: append a column of ones
    to x and start from W = 0.001 * rng.standard_normal((D + 1, C)) (the last
    row is the bias). Each epoch: order = rng.permutation(N), cut into
    consecutive batches of batch_size rows (the last may be smaller); for each
    batch, compute (batch_loss, dW) with svm_loss (loss="svm") or softmax_loss
    (loss="softmax"; any other value raises ValueError), record batch_loss,
    and step W = W - lr * dW.

    Inputs:
    - x: array (N, D), preprocessed; y: int array (N,).
    - loss: "svm" or "softmax"; lr, reg: floats; epochs, batch_size: ints.
    - rng: a numpy Generator; None means np.random.default_rng(0).

    Returns (w, b, loss_history): w (D, C) is W without its last row, b (C,)
    is that last row, and loss_history is the list of every batch's loss, in
    order.
    """
    raise NotImplementedError("train_linear: write your code here")
