"""Checks for exercise 6: max and average pooling, against tf.nn.max_pool2d / avg_pool2d.

Random inputs are tie-free (a shuffled set of distinct values), so every
window has one maximum; ties have their own checks. TensorFlow's gradient of
avg_pool2d is wrong for SAME padding when the window is larger than the
input (TensorFlow issue #48773): those shapes are checked against the
gradient derived from TensorFlow's forward pass instead (average pooling is
linear, so its gradient is the transpose of its matrix).
"""

from functools import partial

import numpy as np
from hypothesis import given

from grader.checks import geometry
from grader.checks.checking import CheckFailure, expect_close, hidden, points
from grader.checks.geometry import SAME, VALID, PoolCase, distinct_values
from grader.checks.mistakes import Mistake
from grader.engine.oracles import tensorflow, tf_gradient, tf_same_padding

# The upstream gradient `dout` of a case has the shape of TensorFlow's pooled output.
pool_cases = partial(geometry.pool_cases, dout_shape=lambda case: _tf_max_pool(case).shape)
FOUR_BY_FOUR = np.array([[1, 3, 2, 1], [4, 2, 0, 1], [5, 6, 1, 2], [0, 1, 3, 4]], float)


# ---------------------------------------------------------------- forward


@points(2)
@given(case=pool_cases())
def test_max_pool_forward_matches_tensorflow(learner, case):
    got = learner.max_pool_forward(case.x, **case.kwargs)
    variants = _wrong_side_mistakes(case, "max_pool2d")
    if case.padding.upper() == "SAME":
        zeros = partial(_tf_max_pool, case, x=_zero_padded(case), padding="VALID")
        variants.append(Mistake(zeros, "padded cells won the max: pad with -inf so they never win"))
    _expect_pool(got, _tf_max_pool(case), case, "max_pool_forward(x, ...)", _tf_max_pool, variants)


@points(1)
@given(case=pool_cases(paddings=VALID))
def test_avg_pool_forward_with_valid_padding_matches_tensorflow(learner, case):
    got = learner.avg_pool_forward(case.x, **case.kwargs)
    _expect_pool(got, _tf_avg_pool(case), case, "avg_pool_forward(x, ...)", _tf_avg_pool)


@points(2)
@given(case=pool_cases(paddings=SAME))
def test_avg_pool_forward_with_same_padding_averages_only_real_cells(learner, case):
    got = learner.avg_pool_forward(case.x, **case.kwargs)
    variants = _padding_hint(case) + _wrong_side_mistakes(case, "avg_pool2d")
    _expect_pool(got, _tf_avg_pool(case), case, "avg_pool_forward(x, ...)", _tf_avg_pool, variants)


@points(1)
def test_pooling_a_4x4_image_with_2x2_windows(learner):
    x = FOUR_BY_FOUR.reshape(1, 4, 4, 1)
    for name, expected in [
        ("max_pool_forward", [[4.0, 2.0], [6.0, 4.0]]),
        ("avg_pool_forward", [[2.5, 1.0], [3.0, 2.5]]),
    ]:
        got = getattr(learner, name)(x)
        what = f"{name}(x) of the 4x4 example with the default pool_size=2"
        if np.shape(got) == (1, 3, 3, 1):
            raise CheckFailure(
                f"{what} has shape (1, 3, 3, 1), expected (1, 2, 2, 1): the stride should "
                "default to pool_size (Keras), so the 2x2 windows do not overlap"
            )
        expect_close(got, np.reshape(expected, (1, 2, 2, 1)), what=what)


@hidden
@points(1)
def test_pooling_stride_defaults_to_the_pool_size(learner, check_seed):
    rng = np.random.default_rng(check_seed(6))
    for pool_size, mode in ((3, "valid"), ((3, 2), "same")):
        case = PoolCase(distinct_values(rng, (2, 7, 6, 3)), pool_size, None, mode)
        for name, pool in (("max_pool_forward", _tf_max_pool), ("avg_pool_forward", _tf_avg_pool)):
            got = getattr(learner, name)(case.x, pool_size, padding=mode)
            what = f"{name}(x, pool_size={pool_size!r}, padding={mode!r})"
            _expect_pool(got, pool(case), case, what, pool)


# ---------------------------------------------------------------- backward


@points(3)
@given(case=pool_cases())
def test_max_pool_backward_matches_gradient_tape(learner, case):
    got = _max_pool_backward(learner, case)
    _expect_pool_gradient(got, case, "max_pool2d", "max_pool_backward(dout, x, ...)")


@hidden
@points(1)
def test_max_pool_backward_gives_a_tied_window_to_its_first_maximum(learner):
    x = np.ones((1, 2, 2, 1))
    got = np.asarray(learner.max_pool_backward(np.ones((1, 1, 1, 1)), x), dtype=np.float64)
    what = "max_pool_backward(1, [[1, 1], [1, 1]])"
    if got.shape == x.shape and np.allclose(got, 1.0):
        raise CheckFailure(
            f"{what} gave gradient 1 to every tied maximum: TensorFlow gives the whole "
            "gradient to the first one in row-major order, [[1, 0], [0, 0]]"
        )
    if got.shape == x.shape and np.allclose(got, 0.25):
        raise CheckFailure(
            f"{what} shared the gradient among the tied maxima: TensorFlow gives all of it "
            "to the first one in row-major order, [[1, 0], [0, 0]]"
        )
    expect_close(got, [[[[1.0], [0.0]], [[0.0], [0.0]]]], what=what)


@hidden
@points(2)
@given(case=pool_cases(values=[-1.0, 0.0, 1.0]))
def test_max_pool_backward_with_ties_matches_gradient_tape(learner, case):
    got = _max_pool_backward(learner, case)
    what = "max_pool_backward(dout, x, ...) on an input with tied maxima"
    _expect_pool_gradient(got, case, "max_pool2d", what)


@points(2)
@given(case=pool_cases(window_fits=True))
def test_avg_pool_backward_matches_gradient_tape(learner, case):
    # window_fits keeps clear of TensorFlow's wrong gradient (issue #48773).
    got = _avg_pool_backward(learner, case)
    _expect_pool_gradient(got, case, "avg_pool2d", "avg_pool_backward(dout, x, ...)")


@hidden
@points(1)
@given(case=pool_cases(paddings=SAME, window_larger=True))
def test_avg_pool_backward_with_a_window_larger_than_the_image(learner, case):
    got = _avg_pool_backward(learner, case)
    expected = _avg_pool_gradient_from_forward(case)
    _expect_pool_gradient(got, case, "avg_pool2d", "avg_pool_backward(dout, x, ...)", expected)


# ---------------------------------------------------------------- helpers


def _max_pool_backward(learner, case):
    return learner.max_pool_backward(case.dout, case.x, **case.kwargs)


def _avg_pool_backward(learner, case):
    return learner.avg_pool_backward(case.dout, case.x, **case.kwargs)


def _expect_pool(got, expected, case, what, pool=None, variants=()):
    """expect_close, naming the mistake when a known wrong answer matches.

    pool: the forward oracle, whose stride and padding variants explain a
    wrong output shape; variants: more Mistakes (wrong answers and their names).
    """
    shapes = _shape_mistakes(case, pool) if pool is not None else []
    expect_close(got, expected, what=what, mistakes=[*variants, *shapes])


def _expect_pool_gradient(got, case, pool_function, what, expected=None):
    """_expect_pool for a gradient: against tf.GradientTape through tf.nn.<pool_function>
    (or `expected`), naming SAME padding put on the wrong sides."""
    if expected is None:
        expected = _tape(case, pool_function)
    variants = _wrong_side_mistakes(case, pool_function, case.dout)
    _expect_pool(got, expected, case, what, variants=variants)


def _shape_mistakes(case, pool) -> list[Mistake]:
    """Outputs of the shapes a stride, padding or axis mistake gives (computed on failure only)."""
    mode = case.padding.upper()
    mistakes = []
    if case.window[0] != case.window[1]:
        swapped = "pool_size is (height, width): the window's height and width were swapped"
        mistakes.append(Mistake(partial(pool, case, window=case.window[::-1]), swapped))
    if case.stride is None:
        stride_1 = "the output has the shape of stride 1: the stride should default to pool_size"
        mistakes.append(Mistake(partial(pool, case, strides=[1, 1]), stride_1 + " (Keras)"))
    for other in ("VALID", "SAME"):
        if other != mode:
            message = f"the output has the shape of {other} padding, not {mode}"
            mistakes.append(Mistake(partial(pool, case, padding=other), message))
    return mistakes


def _wrong_side_mistakes(case, pool_function, dout=None) -> list[Mistake]:
    """SAME padding put on the other sides: its output, or its gradient for `dout`.

    [] unless SAME padding is uneven here (else both sides get the same).
    """
    (ph, pw), (sh, sw) = case.window, case.strides
    top, bottom = tf_same_padding(case.x.shape[1], ph, sh)
    left, right = tf_same_padding(case.x.shape[2], pw, sw)
    if case.padding.upper() != "SAME" or (top, left) == (bottom, right):
        return []
    tf = tensorflow()
    pads = [[0, 0], [bottom, top], [right, left], [0, 0]]

    def pooled(x):
        if pool_function == "max_pool2d":
            padded = tf.pad(x, pads, constant_values=-np.inf)
            return tf.nn.max_pool2d(padded, case.window, case.strides, "VALID")
        sums = tf.nn.avg_pool2d(tf.pad(x, pads), case.window, case.strides, "VALID")
        counts = tf.nn.avg_pool2d(tf.pad(tf.ones_like(x), pads), case.window, case.strides, "VALID")
        return sums / counts

    def wrong():
        if dout is None:
            return pooled(tf.constant(case.x, tf.float64))
        return tf_gradient(pooled, [case.x], dout)[0]

    return [Mistake(wrong, "same_wrong_side")]


def _padding_hint(case) -> list[Mistake]:
    """The variant that lets padded cells count in a SAME average."""
    if case.padding.upper() != "SAME":
        return []
    counted = partial(_tf_avg_pool, case, x=_zero_padded(case), padding="VALID")
    return [
        Mistake(
            counted,
            "the average counted padded cells: with SAME padding, divide each window's sum "
            "by the number of real (not padded) cells in it",
        )
    ]


def _zero_padded(case) -> np.ndarray:
    """case.x with its SAME padding as real zeros."""
    (ph, pw), (sh, sw) = case.window, case.strides
    pads = (
        (0, 0),
        tf_same_padding(case.x.shape[1], ph, sh),
        tf_same_padding(case.x.shape[2], pw, sw),
        (0, 0),
    )
    return np.pad(case.x, pads)


def _tf_max_pool(case, **variant):
    return _tf_pool("max_pool2d", case, **variant)


def _tf_avg_pool(case, **variant):
    return _tf_pool("avg_pool2d", case, **variant)


def _tf_pool(name, case, x=None, padding=None, strides=None, window=None):
    """tf.nn.<name> of case.x (or x), optionally with another padding, strides or window."""
    tf = tensorflow()
    # Always an explicit float64 constant: given a NumPy array, TF 2.21's eager
    # max_pool2d (whose dtype attribute defaults to float32) computes in float32
    # from its second call on.
    x = tf.constant(np.asarray(case.x if x is None else x, dtype=np.float64), tf.float64)
    mode = padding or case.padding.upper()
    return getattr(tf.nn, name)(x, window or case.window, strides or case.strides, mode).numpy()


def _tape(case, pool_function):
    tf = tensorflow()
    window, strides, mode = case.window, case.strides, case.padding.upper()
    (expected,) = tf_gradient(
        lambda t: getattr(tf.nn, pool_function)(t, window, strides, mode), [case.x], case.dout
    )
    return expected


def _avg_pool_gradient_from_forward(case) -> np.ndarray:
    """avg_pool2d's gradient as the transpose of its forward pass (it is linear).

    The forward of every one-hot image of one channel gives the pooling
    matrix, one column per input pixel.
    """
    n, h, w, c = case.x.shape
    basis = np.eye(h * w).reshape(h * w, h, w, 1)
    matrix = _tf_avg_pool(case, x=basis).reshape(h * w, -1)  # (pixels, outputs)
    dout = case.dout.reshape(n, -1, c)  # (n, outputs, c)
    return np.einsum("po,noc->npc", matrix, dout).reshape(n, h, w, c)
