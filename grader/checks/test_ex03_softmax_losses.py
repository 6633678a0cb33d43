"""Checks for exercise 3: softmax and losses, against TensorFlow and Keras."""

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from grader.checking import expect_close, float_arrays, hidden, matrices, naming_overflow, points
from grader.mistakes import Mistake
from grader.oracles import tf_gradient


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
    expect_close(learner.softmax(z), tf.nn.softmax(z), what="softmax(z)")


@hidden
@points(1)
@given(z=matrices(bound=10.0))
def test_softmax_along_axis_0(learner, tf, z):
    expect_close(learner.softmax(z, axis=0), tf.nn.softmax(z, axis=0), what="softmax(z, axis=0)")


@hidden
@points(1)
def test_softmax_is_stable_for_logits_of_1e4(learner, tf):
    z = np.array([[1e4, 0.0, -1e4], [1e4, 1e4 - 1.0, 5.0]])
    with naming_overflow("softmax_overflow"):
        got = learner.call("softmax", z, float_errors="raise")
    unshifted = Mistake(lambda: _softmax_without_max_shift(z), "softmax_overflow")
    expect_close(got, tf.nn.softmax(z), what="softmax of logits near 1e4", mistakes=[unshifted])


def _softmax_without_max_shift(z):
    """The overflowing softmax a learner may write: NaN wherever exp(z) is inf."""
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(z)
        return e / e.sum(axis=-1, keepdims=True)


@hidden
@points(2)
@given(z=matrices(bound=1e4))
def test_log_softmax_matches_tensorflow(learner, tf, z):
    with naming_overflow("softmax_overflow"):
        got = learner.call("log_softmax", z, float_errors="raise")
    expect_close(got, tf.nn.log_softmax(z), what="log_softmax(z)")


@points(2)
@given(data=predictions(positive_min=1e-9))
def test_categorical_crossentropy_matches_keras(learner, tf, keras, data):
    labels, y_pred = data
    y_true = np.eye(y_pred.shape[1])[labels]
    expected = tf.reduce_mean(keras.losses.categorical_crossentropy(y_true, y_pred))
    got = learner.categorical_crossentropy(y_true, y_pred)
    expect_close(got, expected, what="categorical_crossentropy(y_true, y_pred)")


@hidden
@points(1)
def test_categorical_crossentropy_normalises_before_clipping(learner):
    got = learner.categorical_crossentropy(np.array([[0.0, 1.0]]), np.array([[3.0, 1.0]]))
    expect_close(got, math.log(4), what="categorical_crossentropy([[0, 1]], [[3, 1]]) (= ln 4)")


@points(2)
@given(data=predictions(positive_min=1e-9))
def test_sparse_categorical_crossentropy_matches_keras(learner, tf, keras, data):
    labels, y_pred = data
    expected = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(labels, y_pred))
    got = learner.sparse_categorical_crossentropy(labels, y_pred)
    expect_close(got, expected, what="sparse_categorical_crossentropy(labels, y_pred)")


@hidden
@points(1)
def test_sparse_categorical_crossentropy_clips_before_normalising(learner):
    got = learner.sparse_categorical_crossentropy(np.array([1]), np.array([[3.0, 1.0]]))
    expect_close(got, 0.6931471, what="sparse_categorical_crossentropy([1], [[3, 1]])", rtol=1e-6)


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
    expected = tf.reduce_mean(
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    )
    loss, _ = learner.softmax_cross_entropy(logits, labels)
    expect_close(loss, expected, what="the loss of softmax_cross_entropy(logits, labels)")


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
    expect_close(learner.sse(y, y_pred), expected, what="sse(y_true, y_pred)")


@points(1)
@given(y=float_arrays(min_dims=2, max_dims=2), noise=float_arrays(max_dims=1))
def test_mse_matches_keras(learner, tf, keras, y, noise):
    y_pred = y + np.resize(noise, y.shape)
    expected = tf.reduce_mean(keras.losses.mean_squared_error(y, y_pred))
    expect_close(learner.mse(y, y_pred), expected, what="mse(y_true, y_pred)")


@points(1)
@given(y=float_arrays(), noise=float_arrays(max_dims=1))
def test_mse_backward_matches_gradient_tape(learner, tf, y, noise):
    y_pred = y + np.resize(noise, y.shape)
    (expected,) = tf_gradient(lambda p: tf.reduce_mean(tf.square(y - p)), [y_pred], np.float64(1.0))
    expect_close(learner.mse_backward(y, y_pred), expected, what="mse_backward(y_true, y_pred)")
