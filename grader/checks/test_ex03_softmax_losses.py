"""Checks for exercise 3: softmax and losses, against TensorFlow and Keras."""

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from grader.checks.checking import expect_close, hidden, naming_overflow, points
from grader.checks.mistakes import Mistake, not_normalised, wrong_reductions
from grader.checks.strategies import float_arrays, matrices
from grader.engine.oracles import tf_gradient

BATCH_OF_CLASSES = ("mean", "sum")
"""A batch loss: the mean over the samples (axis 0) of a sum over the classes (axis 1)."""


@st.composite
def predictions(draw, positive_min=0.01):
    """(labels, probabilities) with unnormalised positive rows, as models may emit."""
    n, c = draw(st.integers(1, 6)), draw(st.integers(2, 6))
    labels = draw(hnp.arrays(np.int64, n, elements=st.integers(0, c - 1)))
    y_pred = draw(hnp.arrays(np.float64, (n, c), elements=st.floats(positive_min, 1.0)))
    return labels, y_pred


@st.composite
def logits_and_labels(draw):
    """(logits (N, C), integer labels (N,)) as a classifier's last layer gives them."""
    logits = draw(matrices(bound=30.0))
    labels = draw(
        hnp.arrays(np.int64, logits.shape[0], elements=st.integers(0, logits.shape[1] - 1))
    )
    return logits, labels


@points(2)
@given(z=matrices(bound=50.0))
def test_softmax_matches_tensorflow(learner, tf, z):
    expect_close(
        learner.softmax(z), tf.nn.softmax(z), what="softmax(z)", mistakes=[not_normalised()]
    )


@hidden
@points(1)
@given(z=matrices(bound=10.0))
def test_softmax_along_axis_0(learner, tf, z):
    _expect_along_axis_0(learner, tf, "softmax", z)


@hidden
@points(1)
def test_softmax_is_stable_for_logits_of_1e4(learner, tf):
    # The last row lies far below the others: one maximum for the whole array is not enough.
    z = np.array([[1e4, 0.0, -1e4], [1e4, 1e4 - 1.0, 5.0], [-1e4, -1e4 + 1.0, -1e4 - 5.0]])
    mistakes = [
        Mistake(lambda: _softmax_shifted_by(z, 0.0), "softmax_overflow"),
        Mistake(lambda: _softmax_shifted_by(z, z.max()), "softmax_global_max"),
        not_normalised(),
    ]
    what = "softmax of logits near 1e4"
    expect_close(learner.softmax(z), tf.nn.softmax(z), what=what, mistakes=mistakes)
    _expect_no_overflow(learner, "softmax", z)


@hidden
@points(2)
@given(z=matrices(bound=1e4))
def test_log_softmax_matches_tensorflow(learner, tf, z):
    mistakes = [Mistake(lambda: _log_of_softmax(tf, z), "log_of_softmax"), not_normalised(log=True)]
    expect_close(
        learner.log_softmax(z), tf.nn.log_softmax(z), what="log_softmax(z)", mistakes=mistakes
    )
    _expect_no_overflow(learner, "log_softmax", z)


@hidden
@points(1)
@given(z=matrices(bound=10.0))
def test_log_softmax_along_axis_0(learner, tf, z):
    _expect_along_axis_0(learner, tf, "log_softmax", z, log=True)


# Public checks take their expectations, and the wrong answers they name, from TensorFlow
# and Keras: a formula written here would be the answer, shipped to students in a release.


@points(2)
@given(data=predictions(positive_min=1e-9))
def test_categorical_crossentropy_matches_keras(learner, tf, keras, data):
    labels, y_pred = data
    y_true = np.eye(y_pred.shape[1])[labels]
    per_sample = keras.losses.categorical_crossentropy(y_true, y_pred)
    got = learner.categorical_crossentropy(y_true, y_pred)
    what = "categorical_crossentropy(y_true, y_pred)"
    _expect_batch_mean(tf, got, per_sample, y_true, what, y_pred)


@hidden
@points(1)
def test_categorical_crossentropy_normalises_before_clipping(learner):
    got = learner.categorical_crossentropy(np.array([[0.0, 1.0]]), np.array([[3.0, 1.0]]))
    expect_close(got, math.log(4), what="categorical_crossentropy([[0, 1]], [[3, 1]]) (= ln 4)")


@hidden
@points(1)
def test_categorical_crossentropy_clips_predictions_of_0_and_1(learner, tf, keras):
    y_true = np.array([[1.0, 0.0]])
    for y_pred, clipped in (
        ([[0.0, 1.0]], "0 is clipped up to 1e-7"),
        ([[1.0, 0.0]], "1 down to 1 - 1e-7"),
    ):
        y_pred = np.array(y_pred)
        expected = tf.reduce_mean(keras.losses.categorical_crossentropy(y_true, y_pred))
        what = f"categorical_crossentropy([[1, 0]], {y_pred.tolist()}) (the {clipped})"
        got = learner.categorical_crossentropy(y_true, y_pred)
        expect_close(got, expected, what=what, mistakes=[_unclipped(tf, y_true, y_pred)])


@points(2)
@given(data=predictions(positive_min=1e-9))
def test_sparse_categorical_crossentropy_matches_keras(learner, tf, keras, data):
    labels, y_pred = data
    per_sample = keras.losses.sparse_categorical_crossentropy(labels, y_pred)
    got = learner.sparse_categorical_crossentropy(labels, y_pred)
    y_true = np.eye(y_pred.shape[1])[labels]
    what = "sparse_categorical_crossentropy(labels, y_pred)"
    _expect_batch_mean(tf, got, per_sample, y_true, what, y_pred)


@hidden
@points(1)
def test_sparse_categorical_crossentropy_clips_before_normalising(learner, tf):
    got = learner.sparse_categorical_crossentropy(np.array([1]), np.array([[3.0, 1.0]]))
    expect_close(got, 0.6931471, what="sparse_categorical_crossentropy([1], [[3, 1]])", rtol=1e-6)
    y_pred = np.array([[0.0, 1.0]])
    got = learner.sparse_categorical_crossentropy(np.array([0]), y_pred)
    what = "sparse_categorical_crossentropy([0], [[0, 1]]) (the 0 is clipped up to 1e-7 first)"
    unclipped = _unclipped(tf, np.array([[1.0, 0.0]]), y_pred)
    expect_close(got, -math.log(1e-7 / (1e-7 + 1 - 1e-7)), what=what, mistakes=[unclipped])


@points(1)
def test_loss_uses_the_natural_log(learner):
    y_pred = np.array([[0.9, 0.1]])
    what = "the loss of probability 0.9 on the true class (natural log: -ln 0.9 = 0.1054)"
    expect_close(
        learner.sparse_categorical_crossentropy(np.array([0]), y_pred), -math.log(0.9), what=what
    )
    expect_close(
        learner.categorical_crossentropy(np.array([[1.0, 0.0]]), y_pred), -math.log(0.9), what=what
    )


@points(1)
@given(case=logits_and_labels())
def test_softmax_cross_entropy_loss_matches_tensorflow(learner, tf, case):
    logits, labels = case
    per_sample = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    loss, _ = learner.softmax_cross_entropy(logits, labels)
    y_true = np.eye(logits.shape[1])[labels]
    what = "the loss of softmax_cross_entropy(logits, labels)"
    _expect_batch_mean(tf, loss, per_sample, y_true, what)


@hidden
@points(1)
def test_softmax_cross_entropy_is_stable_for_large_logits(learner, tf):
    logits = np.array([[1000.0, 0.0, -1000.0], [0.0, 1000.0, 500.0]])
    labels = np.array([2, 0])
    expected = tf.reduce_mean(
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    )
    loss, _ = learner.softmax_cross_entropy(logits, labels)
    log_of_softmax = Mistake(np.inf, "log_of_softmax")
    what = "the loss of softmax_cross_entropy for logits 1000 apart (= 1500)"
    expect_close(loss, expected, what=what, mistakes=[log_of_softmax])


@points(2)
@given(case=logits_and_labels())
def test_softmax_cross_entropy_gradient_matches_gradient_tape(learner, tf, case):
    logits, labels = case

    def mean_loss(z):
        return tf.reduce_mean(
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=z)
        )

    (expected,) = tf_gradient(mean_loss, [logits], np.float64(1.0))
    _, dlogits = learner.softmax_cross_entropy(logits, labels)
    expect_close(dlogits, expected, what="dlogits of softmax_cross_entropy(logits, labels)")


@points(1)
def test_sse_worked_example(learner):
    got = learner.sse(np.array([1.0, 0.0, 0.0]), np.array([0.37, 0.50, 0.13]))
    expect_close(got, 0.6638, what="sse([1, 0, 0], [0.37, 0.50, 0.13])")


@points(1)
@given(y=float_arrays(max_dims=1), noise=float_arrays(max_dims=1))
def test_sse_matches_tensorflow(learner, tf, y, noise):
    y_pred = y + np.resize(noise, y.shape)
    expected = tf.reduce_sum(tf.square(y - y_pred))
    mistakes = wrong_reductions(tf.square(y - y_pred), ("sum",))
    expect_close(learner.sse(y, y_pred), expected, what="sse(y_true, y_pred)", mistakes=mistakes)


@points(1)
@given(y=float_arrays(min_dims=2, max_dims=2), noise=float_arrays(max_dims=1))
def test_mse_matches_keras(learner, tf, keras, y, noise):
    y_pred = y + np.resize(noise, y.shape)
    expected = tf.reduce_mean(keras.losses.mean_squared_error(y, y_pred))
    mistakes = wrong_reductions(tf.square(y - y_pred), ("mean", "mean"))
    expect_close(learner.mse(y, y_pred), expected, what="mse(y_true, y_pred)", mistakes=mistakes)


@points(1)
@given(y=float_arrays(), noise=float_arrays(max_dims=1))
def test_mse_backward_matches_gradient_tape(learner, tf, y, noise):
    y_pred = y + np.resize(noise, y.shape)
    (expected,) = tf_gradient(lambda p: tf.reduce_mean(tf.square(y - p)), [y_pred], np.float64(1.0))
    expect_close(learner.mse_backward(y, y_pred), expected, what="mse_backward(y_true, y_pred)")


# ---------------------------------------------------------------- helpers


def _expect_along_axis_0(learner, tf, name, z, log=False):
    """Fail unless the learner's `name`(z, axis=0) is TensorFlow's tf.nn.<name>(z, axis=0)."""
    expect_close(
        getattr(learner, name)(z, axis=0),
        getattr(tf.nn, name)(z, axis=0),
        what=f"{name}(z, axis=0)",
        mistakes=[not_normalised(axis=0, log=log)],
    )


def _expect_no_overflow(learner, name, z):
    """Fail, naming the overflow, if the learner's `name`(z) overflows (NumPy's float
    warnings raised as errors)."""
    with naming_overflow("softmax_overflow"):
        learner.call(name, z, float_errors="raise")


def _softmax_shifted_by(z, shift):
    """The softmax a learner may write with one shift for all of z (0: none at all),
    NaN wherever exp overflows to inf or every exp of a row underflows to 0."""
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        e = np.exp(z - shift)
        return e / e.sum(axis=-1, keepdims=True)


def _log_of_softmax(tf, z):
    """log(softmax(z)): -inf wherever a probability rounds to 0."""
    with np.errstate(divide="ignore"):
        return np.log(tf.nn.softmax(z).numpy())


def _expect_batch_mean(tf, got, per_sample, y_true, what, y_pred=None):
    """Fail unless `got` is the mean of the oracle's `per_sample` losses (N,).

    On failure it names a wrong reduction of the loss's terms and, given the
    predictions `y_pred`, a loss without Keras' clip (both worked out only then).
    """

    def mistakes():
        unclipped = [] if y_pred is None else [_unclipped(tf, y_true, y_pred)]
        return [*unclipped, *_loss_reductions(tf, y_true, per_sample)]

    expect_close(got, tf.reduce_mean(per_sample), what=what, mistakes=mistakes)


def _loss_reductions(tf, y_true, per_sample):
    """Wrong reductions of a batch loss, from the oracle's per-sample losses (N,).

    Each loss is put at its sample's true class of an (N, C) array of terms (the
    cross-entropy's terms are 0 at the other classes), so every sum or mean of the
    terms is one a learner's np.sum / np.mean over the wrong axis gives.
    """
    terms = tf.multiply(y_true, tf.reshape(per_sample, (-1, 1)))
    return wrong_reductions(np.asarray(terms), BATCH_OF_CLASSES)


def _unclipped(tf, y_true, y_pred):
    """The loss without Keras' clip (inf for a prediction of 0 on the true class): the
    cross-entropy of the normalised predictions, i.e. of softmax(log(y_pred))."""
    with np.errstate(divide="ignore"):
        logits = np.log(y_pred)
    labels = np.argmax(y_true, axis=-1)  # the sparse form: no 0 * inf at the other classes
    per_sample = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    return Mistake(lambda: tf.reduce_mean(per_sample), "not_clipped")
