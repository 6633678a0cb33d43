"""Checks for exercise 7: backprop through convolution, and numerical gradients.

conv2d_backward is compared with tf.GradientTape through tf.nn.conv2d in
float64; numerical_gradient runs in the worker on a scalar function named by
ScalarFunction and is compared with the analytic gradient computed here.
"""

from functools import partial

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from grader.checks import checking, geometry
from grader.checks.checking import CheckFailure, expect_close, expect_equal, hidden, points
from grader.checks.strategies import float_arrays
from grader.engine.oracles import tensorflow, tf_gradient, tf_same_padding
from grader.sandbox.worker import ScalarFunction

# Cases without a bias; the upstream gradient `dout` has the shape of TensorFlow's output.
conv_cases = partial(
    geometry.conv_cases, bias=False, dout_shape=lambda case: _tf_forward(tensorflow(), case).shape
)
small_arrays = float_arrays(bound=2.0)

BIG_X_SHAPE, BIG_W_SHAPE = (64, 28, 28, 8), (3, 3, 8, 16)
WHAT = "{} of conv2d_backward(dout, x, w, stride, padding)"
NUMERIC_RTOL, NUMERIC_ATOL = 1e-6, 1e-6


# ---------------------------------------------------------------- conv2d_backward


@points(3)
@given(case=conv_cases())
def test_conv2d_backward_input_gradient_matches_gradient_tape(learner, tf, case):
    expected, _, _ = _tape(tf, case)
    got = _backward(learner, case)[0]
    if np.shape(got) != case.x.shape and np.shape(got) == _padded_shape(case):
        raise CheckFailure(
            f"dx has shape {np.shape(got)}, the padded input's: cut the padding off "
            f"(total // 2 rows/columns before, the rest after) to get {case.x.shape}"
        )
    expect_close(got, expected, what=WHAT.format("dx"))


@points(3)
@given(case=conv_cases())
def test_conv2d_backward_filter_gradient_matches_gradient_tape(learner, tf, case):
    _, expected, _ = _tape(tf, case)
    got = _backward(learner, case)[1]
    try:
        expect_close(got, expected, what=WHAT.format("dw"))
    except CheckFailure as failure:
        array = np.asarray(got, dtype=np.float64)
        if array.shape == expected.shape and np.allclose(array[::-1, ::-1], expected):
            raise CheckFailure(
                f"{failure}\ndw is the right gradient upside down and mirrored: the kernel "
                "offsets are reversed (convolution here is cross-correlation, no flip)"
            ) from None
        raise


@points(1)
@given(case=conv_cases())
def test_conv2d_backward_bias_gradient_is_summed_over_batch_and_positions(learner, tf, case):
    _, _, expected = _tape(tf, case)
    got = _backward(learner, case)[2]
    if np.shape(got) != expected.shape and np.ndim(got) > 1:
        raise CheckFailure(
            f"db has shape {np.shape(got)}, expected {expected.shape}: every bias was added "
            "to every position of every image, so sum dout over the batch, height and width"
        )
    expect_close(got, expected, what=WHAT.format("db"))


@hidden
@points(1)
@given(case=conv_cases(paddings=("same", "SAME"), kernel_larger_than_image=True))
def test_conv2d_backward_with_a_kernel_larger_than_the_image(learner, tf, case):
    expected = _tape(tf, case)
    got = _backward(learner, case)
    for name, value, want in zip(("dx", "dw", "db"), got, expected, strict=True):
        expect_close(value, want, what=WHAT.format(name))


@points(1)
def test_conv2d_backward_small_worked_example(learner):
    x = np.arange(9.0).reshape(1, 3, 3, 1)
    dx, dw, db = learner.conv2d_backward(np.ones((1, 2, 2, 1)), x, np.ones((2, 2, 1, 1)))
    what = "conv2d_backward(ones, x (1, 3, 3, 1), ones((2, 2, 1, 1)))"
    covering = [[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]
    expect_close(dx, np.reshape(covering, (1, 3, 3, 1)), what=f"dx of {what} (windows per pixel)")
    windows = [[0 + 1 + 3 + 4, 1 + 2 + 4 + 5], [3 + 4 + 6 + 7, 4 + 5 + 7 + 8]]
    expect_close(dw, np.reshape(windows, (2, 2, 1, 1)), what=f"dw of {what}")
    expect_close(db, [4.0], what=f"db of {what}")


# ---------------------------------------------------------------- numerical_gradient


@points(2)
@given(x=small_arrays, seed=st.integers(0, 2**16))
def test_numerical_gradient_matches_the_analytic_gradient(learner, tf, x, seed):
    weights = np.random.default_rng(seed).uniform(-2.0, 2.0, x.shape)
    f = ScalarFunction("weighted_tanh_sum", [weights])
    (expected,) = tf_gradient(lambda t: tf.reduce_sum(weights * tf.tanh(t)), [x], np.float64(1.0))
    got = learner.numerical_gradient(f, x)
    what = (
        "numerical_gradient(f, x) for f(x) = sum(w * tanh(x)) "
        f"(checked with rtol={NUMERIC_RTOL:g}, atol={NUMERIC_ATOL:g}; one-sided differences "
        "are not accurate enough)"
    )
    expect_close(got, expected, what=what, rtol=NUMERIC_RTOL, atol=NUMERIC_ATOL)


@hidden
@points(1)
@given(x=small_arrays, seed=st.integers(0, 2**16))
def test_numerical_gradient_uses_central_differences_with_the_given_h(learner, x, seed):
    weights = np.random.default_rng(seed).uniform(-2.0, 2.0, x.shape)
    h = 0.01
    f = ScalarFunction("cubic_plus_square_of_sum", [weights])
    # Central differences of a cubic are exact up to the h**2 term: w * h**2.
    expected = 3.0 * weights * x**2 + weights * h**2 + 2.0 * np.sum(x)
    got = learner.numerical_gradient(f, x, h=h)
    what = (
        "numerical_gradient(f, x, h=0.01) for f(x) = sum(w * x**3) + sum(x)**2, whose central "
        "difference is exactly 3 w x**2 + w h**2 + 2 sum(x)"
    )
    expect_close(got, expected, what=what, rtol=1e-7, atol=1e-7)


@hidden
@points(1)
def test_numerical_gradient_leaves_x_exactly_as_it_was(learner):
    # With h = 1e-5, (x + h) - h is not x for 0.5 and 4.0, (x - h) + h is not x for
    # -0.5 and -4.0, and (x + h - 2h) + h is not x for the second row.
    x = np.array([[0.5, 4.0, -0.5, -4.0], [1.64, -5.51, 1.28, 4.95]])
    original = x.copy()
    f = ScalarFunction("weighted_tanh_sum", [np.ones(x.shape)])
    got, args, _ = learner.call("numerical_gradient", f, x, echo_args=True)
    after = np.asarray(args[1])
    if not np.array_equal(after, original):
        changed = int(np.sum(after != original))
        raise CheckFailure(
            f"numerical_gradient changed {changed} of {x.size} elements of x (the largest by "
            f"{np.max(np.abs(after - original)):.3g}): save each element's old value and "
            "assign it back, x[i] += h then x[i] -= h does not always give the same float"
        )
    expect_equal(after, original, what="x after numerical_gradient(f, x)")
    # Leaving x alone counts only for a call that also computes the gradient.
    expect_close(
        got,
        1.0 - np.tanh(original) ** 2,
        what="numerical_gradient(f, x) for f(x) = sum(tanh(x))",
        rtol=NUMERIC_RTOL,
        atol=NUMERIC_ATOL,
    )


# ---------------------------------------------------------------- speed


@hidden
@points(2)
def test_conv2d_backward_is_vectorised(learner, reference, check_seed):
    rng = np.random.default_rng(check_seed(2025))
    x, w = rng.standard_normal(BIG_X_SHAPE), rng.standard_normal(BIG_W_SHAPE)
    dout = rng.standard_normal((BIG_X_SHAPE[0], 26, 26, BIG_W_SHAPE[-1]))
    what = f"conv2d_backward on a {BIG_X_SHAPE} batch with sixteen 3x3 filters"
    expected = reference.conv2d_backward(dout, x, w)

    def check(got):
        for name, value, want in zip(("dx", "dw", "db"), got, expected, strict=True):
            expect_close(value, want, what=f"{name} of {what}")

    checking.expect_vectorised(
        learner,
        "conv2d_backward",
        (dout, x, w),
        (dout[:2], x[:2], w),
        reference=lambda: reference.conv2d_backward(dout, x, w),
        what=what,
        advice="dw is one matrix product over the im2col matrix; dx loops over the "
        "kh * kw kernel offsets, never over pixels",
        check_result=check,
    )


# ---------------------------------------------------------------- helpers


def _backward(learner, case):
    result = learner.conv2d_backward(
        case.dout, case.x, case.w, stride=case.stride, padding=case.padding
    )
    if not isinstance(result, tuple | list) or len(result) != 3:
        raise CheckFailure(
            f"conv2d_backward should return a tuple (dx, dw, db), got {type(result).__name__}"
        )
    return result


def _padded_shape(case) -> tuple:
    """The shape of x with the zeros TensorFlow pads it with."""
    n, h, w, c = case.x.shape
    if case.padding.upper() == "VALID":
        return case.x.shape
    (sh, sw), (kh, kw) = case.strides, case.w.shape[:2]
    return (n, h + sum(tf_same_padding(h, kh, sh)), w + sum(tf_same_padding(w, kw, sw)), c)


def _tape(tf, case):
    """(dx, dw, db) of sum((conv2d(x, w) + b) * dout) by tf.GradientTape, float64."""
    b = np.zeros(case.w.shape[-1])
    mode = case.padding.upper()
    return tf_gradient(
        lambda x, w, b: tf.nn.conv2d(x, w, case.strides, mode) + b, [case.x, case.w, b], case.dout
    )


def _tf_forward(tf, case):
    """tf.nn.conv2d(x, w) of a case, in float64 (its shape is the shape of dout)."""
    return tf.nn.conv2d(case.x, case.w, case.strides, case.padding.upper())
