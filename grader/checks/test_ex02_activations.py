"""Checks for exercise 2: activations and their gradients."""

import numpy as np
from hypothesis import given

from grader.checks.checking import expect_close, hidden, points
from grader.checks.strategies import float_arrays
from grader.engine.oracles import tf_gradient


@points(1)
@given(x=float_arrays())
def test_step_is_one_where_positive(learner, tf, x):
    expected = tf.cast(x > 0, tf.float64)
    expect_close(learner.step(x), expected, what="step(x)")


@points(2)
@given(x=float_arrays())
def test_relu_matches_tensorflow(learner, tf, x):
    expect_close(learner.relu(x), tf.nn.relu(x), what="relu(x)")


@points(2)
@given(x=float_arrays(bound=30.0))
def test_sigmoid_matches_tensorflow(learner, tf, x):
    expect_close(learner.sigmoid(x), tf.nn.sigmoid(x), what="sigmoid(x)")


@hidden
@points(1)
def test_sigmoid_is_stable_for_huge_inputs(learner, tf):
    x = np.array([-1e4, -800.0, -50.0, 0.0, 50.0, 800.0, 1e4])
    got = learner.call("sigmoid", x, float_errors="raise")
    expect_close(got, tf.nn.sigmoid(x), what="sigmoid([-1e4 ... 1e4])")


@points(1)
@given(x=float_arrays())
def test_tanh_matches_tensorflow(learner, tf, x):
    expect_close(learner.tanh(x), tf.nn.tanh(x), what="tanh(x)")


@points(2)
@given(x=float_arrays(), seed=float_arrays(max_dims=1))
def test_relu_backward_matches_gradient_tape(learner, tf, x, seed):
    _expect_backward(learner, "relu_backward", tf.nn.relu, x, seed)


@hidden
@points(1)
def test_relu_gradient_at_zero_is_zero(learner):
    x = np.array([-1.0, 0.0, 1.0])
    got = learner.relu_backward(np.ones(3), x)
    expect_close(got, [0.0, 0.0, 1.0], what="relu_backward(1, [-1, 0, 1]) (TensorFlow uses 0 at 0)")


@points(2)
@given(x=float_arrays(bound=20.0), seed=float_arrays(max_dims=1))
def test_sigmoid_backward_matches_gradient_tape(learner, tf, x, seed):
    _expect_backward(learner, "sigmoid_backward", tf.nn.sigmoid, x, seed)


@hidden
@points(2)
@given(x=float_arrays(bound=5.0), seed=float_arrays(max_dims=1))
def test_tanh_backward_matches_gradient_tape(learner, tf, x, seed):
    _expect_backward(learner, "tanh_backward", tf.nn.tanh, x, seed)


# ---------------------------------------------------------------- helpers


def _expect_backward(learner, name, forward, x, seed):
    """Fail unless the learner's `name`(dout, x) is tf.GradientTape's gradient of
    `forward` at x, for dout = `seed` repeated to x's shape."""
    dout = np.resize(seed, x.shape)
    (expected,) = tf_gradient(forward, [x], dout)
    expect_close(getattr(learner, name)(dout, x), expected, what=f"{name}(dout, x)")
