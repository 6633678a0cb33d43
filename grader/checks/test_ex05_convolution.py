"""Checks for exercise 5: the forward pass of a 2-D convolution, against tf.nn.conv2d."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from grader.checks.checking import (
    CheckFailure,
    expect_close,
    expect_equal,
    expect_vectorised,
    hidden,
    points,
)
from grader.checks.geometry import SAME, VALID, ConvCase, conv_cases
from grader.checks.mistakes import Mistake
from grader.engine.oracles import tf_same_padding
from grader.sandbox import LearnerError

paddings = st.sampled_from(VALID + SAME)

BIG_X_SHAPE, BIG_W_SHAPE = (64, 28, 28, 8), (3, 3, 8, 16)


# ---------------------------------------------------------------- sizes and padding


@points(2)
@given(n=st.integers(1, 30), k=st.integers(1, 7), stride=st.integers(1, 4), padding=paddings)
def test_conv_output_size_matches_tensorflow(learner, tf, n, k, stride, padding):
    if padding.lower() == "valid" and k > n:
        expected = 0  # no window fits (TensorFlow refuses such shapes, the curriculum says 0)
    else:
        probe = tf.nn.conv2d(
            tf.zeros((1, n, 1, 1), tf.float64),
            tf.zeros((k, 1, 1, 1), tf.float64),
            [stride, 1],
            padding.upper(),
        )
        expected = int(probe.shape[1])
    got = learner.conv_output_size(n, k, stride, padding)
    expect_equal(got, expected, what=f"conv_output_size({n}, {k}, {stride}, {padding!r})")


@points(1)
def test_conv_output_size_worked_examples(learner):
    for args, expected in [
        ((28, 3, 1, "valid"), 26),
        ((7, 3, 2, "valid"), 3),
        ((28, 3, 1, "same"), 28),
        ((7, 3, 2, "same"), 4),
        ((2, 3, 1, "valid"), 0),
    ]:
        got = learner.conv_output_size(*args)
        expect_equal(got, expected, what=f"conv_output_size{args}")


@hidden
@points(1)
def test_conv_output_size_rejects_unknown_padding(learner):
    conv_output_size = learner.conv_output_size  # a missing function fails here, plainly
    try:
        got = conv_output_size(5, 3, 1, "full")
    except LearnerError as error:
        if error.error_type == "ValueError":
            return
        raise CheckFailure(
            f"conv_output_size(5, 3, 1, 'full') should raise ValueError, "
            f"it raised {error.error_type}"
        ) from None
    raise CheckFailure(f"conv_output_size(5, 3, 1, 'full') should raise ValueError, got {got!r}")


@points(2)
@given(n=st.integers(1, 30), k=st.integers(1, 7), stride=st.integers(1, 4))
def test_same_padding_follows_tensorflows_rule(learner, n, k, stride):
    expected = tf_same_padding(n, k, stride)
    got = learner.same_padding(n, k, stride)
    what = f"same_padding({n}, {k}, {stride})"
    try:
        got = tuple(int(v) for v in got)
    except (TypeError, ValueError):
        raise CheckFailure(f"{what} should be a pair (before, after), got {got!r}") from None
    if got != expected and got == expected[::-1]:
        raise CheckFailure(
            f"{what} is {got}, expected {expected}: SAME padding put on the wrong side, "
            f"TensorFlow puts total // 2 before (top/left) and the odd zero after (bottom/right)"
        )
    expect_equal(got, expected, what=what)


@points(1)
def test_same_padding_worked_examples(learner):
    for args, expected in [((5, 3, 1), (1, 1)), ((6, 3, 2), (0, 1)), ((5, 4, 1), (1, 2))]:
        got = learner.same_padding(*args)
        expect_equal(tuple(int(v) for v in got), expected, what=f"same_padding{args}")


# ---------------------------------------------------------------- the convolution


@points(1)
def test_vertical_edge_kernel_finds_the_edge(learner):
    image = np.zeros((1, 8, 8, 1))
    image[0, :, :4, 0] = 10.0
    kernel = np.array([[1.0, 0.0, -1.0]] * 3).reshape(3, 3, 1, 1)
    got = learner.conv2d_forward(image, kernel, np.zeros(1))
    expected = np.tile([0.0, 0.0, 30.0, 30.0, 0.0, 0.0], (6, 1)).reshape(1, 6, 6, 1)
    what = "the 8x8 edge image convolved with the vertical-edge kernel [[1, 0, -1]] * 3"
    array = np.asarray(got, dtype=np.float64)
    if array.shape == expected.shape and np.allclose(array, -expected):
        raise CheckFailure(
            f"{what} gives rows [0, 0, -30, -30, 0, 0], expected [0, 0, 30, 30, 0, 0]: "
            "looks like the kernel was flipped (deep learning's convolution is cross-correlation)"
        )
    expect_close(got, expected, what=what)


@points(3)
@given(case=conv_cases(VALID))
def test_conv2d_forward_with_valid_padding_matches_tensorflow(learner, tf, case):
    _expect_conv(tf, _forward(learner, case), case)


@points(3)
@given(case=conv_cases(SAME))
def test_conv2d_forward_with_same_padding_matches_tensorflow(learner, tf, case):
    _expect_conv(tf, _forward(learner, case), case)


@hidden
@points(1)
@given(case=conv_cases(("same", "SAME"), kernel_larger_than_image=True))
def test_conv2d_forward_with_a_kernel_larger_than_the_image(learner, tf, case):
    _expect_conv(tf, _forward(learner, case), case)


@hidden
@points(1)
def test_conv2d_forward_defaults_to_stride_1_and_valid_padding(learner, tf, check_seed):
    rng = np.random.default_rng(check_seed(5))
    x, w = rng.standard_normal((2, 7, 6, 3)), rng.standard_normal((3, 2, 3, 4))
    case = ConvCase(x, w, stride=1, padding="valid", b=rng.standard_normal(4))
    _expect_conv(
        tf, learner.conv2d_forward(case.x, case.w, case.b), case, "conv2d_forward(x, w, b)"
    )


@points(1)
def test_conv2d_param_count_of_rgb_filters_matches_keras(learner, keras):
    for filters in (1, 2):
        layer = keras.layers.Conv2D(filters, 3)
        layer.build((None, 8, 8, 3))
        expected = int(layer.count_params())
        got = learner.conv2d_param_count(3, 3, 3, filters)
        expect_equal(got, expected, what=f"conv2d_param_count(3, 3, 3, {filters}) (Keras says)")


@hidden
@points(1)
@given(
    kh=st.integers(1, 7), kw=st.integers(1, 7), c_in=st.integers(1, 64), filters=st.integers(1, 64)
)
def test_conv2d_param_count_is_weights_plus_one_bias_per_filter(learner, kh, kw, c_in, filters):
    got = learner.conv2d_param_count(kh, kw, c_in, filters)
    expected = (kh * kw * c_in + 1) * filters
    expect_equal(got, expected, what=f"conv2d_param_count({kh}, {kw}, {c_in}, {filters})")


# ---------------------------------------------------------------- speed


@hidden
@points(2)
def test_conv2d_forward_is_vectorised(learner, reference, check_seed):
    rng = np.random.default_rng(check_seed(2024))
    x, w = rng.standard_normal(BIG_X_SHAPE), rng.standard_normal(BIG_W_SHAPE)
    b = rng.standard_normal(BIG_W_SHAPE[-1])
    what = f"conv2d_forward on a {BIG_X_SHAPE} batch with sixteen 3x3 filters"
    expected = reference.conv2d_forward(x, w, b)
    expect_vectorised(
        learner,
        "conv2d_forward",
        (x, w, b),
        (x[:2], w, b),
        reference=lambda: reference.conv2d_forward(x, w, b),
        what=what,
        advice="im2col: gather every window into one matrix, then one matrix product, "
        "instead of Python loops over pixels",
        check_result=lambda got: expect_close(got, expected, what=what),
    )


# ---------------------------------------------------------------- helpers


def _forward(learner, case):
    """The learner's conv2d_forward of a case, every argument given."""
    return learner.conv2d_forward(case.x, case.w, case.b, stride=case.stride, padding=case.padding)


def _expect_conv(tf, got, case, what="conv2d_forward(x, w, b, stride, padding)"):
    """expect_close against tf.nn.conv2d + b, naming a common mistake when one matches."""
    expected = _tf_conv(tf, case.x, case.w, case.b, case.strides, case.padding.upper())
    expect_close(got, expected, what=what, mistakes=_mistakes(tf, case))


def _mistakes(tf, case) -> list[Mistake]:
    """Wrong answers common mistakes give for this case (TensorFlow runs only on failure)."""
    x, w, b, s, mode = case.x, case.w, case.b, case.strides, case.padding.upper()

    def conv(**change):
        args = {"x": x, "w": w, "b": b, "strides": s, "padding": mode} | change
        return lambda: _tf_conv(tf, **args)

    other = "SAME" if mode == "VALID" else "VALID"
    mistakes = [
        Mistake(conv(w=w[::-1, ::-1]), "flipped_kernel"),
        Mistake(conv(b=0.0), "looks like the bias b was not added"),
        Mistake(conv(padding=other), f"the output has the shape of {other} padding, not {mode}"),
    ]
    c_in, c_out = w.shape[2:]
    if c_in > 1:
        # Windows flattened channel-first (C, kh, kw), as an NCHW im2col does, against the
        # kernel's (kh, kw, C) rows: the convolution with the kernel's axes so reordered.
        regrouped = w.reshape(c_in, *w.shape[:2], c_out).transpose(1, 2, 0, 3)
        order = (
            "the windows are flattened in (C, kh, kw) order but the kernel in (kh, kw, C) "
            "order: flatten each window as x_pad[n, rows, columns, :] is laid out"
        )
        mistakes.append(Mistake(conv(w=regrouped), order))
    if s != [1, 1]:
        stride_1 = "the output has the shape of stride 1: was the stride ignored?"
        mistakes.append(Mistake(conv(strides=[1, 1]), stride_1))
    if mode == "SAME":
        top, bottom = tf_same_padding(x.shape[1], w.shape[0], s[0])
        left, right = tf_same_padding(x.shape[2], w.shape[1], s[1])
        if (top, left) != (bottom, right):
            swapped = [[0, 0], [bottom, top], [right, left], [0, 0]]
            mistakes.append(Mistake(conv(padding=swapped), "same_wrong_side"))
    return mistakes


def _tf_conv(tf, x, w, b, strides, padding):
    """tf.nn.conv2d(x, w) + b in float64; padding a TF string or explicit pairs."""
    x, w = tf.constant(x, tf.float64), tf.constant(np.ascontiguousarray(w), tf.float64)
    return (tf.nn.conv2d(x, w, strides, padding) + b).numpy()
