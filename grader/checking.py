"""The toolkit hidden checks are written with.

A check is a pytest test that reads like a teacher's sentence:

    @points(2)
    @given(x=float_arrays())
    def test_relu_matches_tensorflow(learner, tf, x):
        expect_close(learner.relu(x), tf.nn.relu(x), what="relu(x)")

`expect_close` / `expect_equal` raise CheckFailure with the feedback a learner
needs: the shape and dtype verdict first, then the largest error, where it is,
and the values there. The runner adds the failing input and the hint.
"""

from __future__ import annotations

import time
from typing import NamedTuple

import numpy as np
import pytest
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

RTOL = 1e-6
ATOL = 1e-8
SPEED_BOUND = 20  # the curriculum's bound: at most 20x the reference's time
PROBE_FRACTION = 32  # a first call on 1/32 of the batch catches a pixel loop without a long wait


class CheckFailure(AssertionError):
    """A learner's answer is wrong; the message says how."""


def points(n: int):
    """Mark a check as worth `n` points."""
    return pytest.mark.points(n)


hidden = pytest.mark.hidden
"""Mark a check as hidden: its name and message are not shown before the deadline."""


def _as_array(value, what: str) -> np.ndarray:
    if hasattr(value, "numpy"):  # a TensorFlow tensor from an oracle
        value = value.numpy()
    try:
        array = np.asarray(value)
    except Exception:  # noqa: BLE001 -- any unconvertible value is the learner's mistake
        raise CheckFailure(f"{what} should be an array, got {type(value).__name__}") from None
    if array.dtype.kind not in "biuf":
        raise CheckFailure(f"{what} should hold numbers, got an array of dtype {array.dtype}")
    return array


def expect_shape(got, shape: tuple, what: str) -> np.ndarray:
    """Fail unless `got` is an array of exactly `shape`; return it as an array."""
    array = _as_array(got, what)
    if array.shape != tuple(shape):
        raise CheckFailure(f"{what} has shape {array.shape}, expected {tuple(shape)}")
    return array


def expect_close(got, expected, what: str, rtol: float = RTOL, atol: float = ATOL) -> None:
    """Fail unless `got` equals `expected` within tolerances, elementwise.

    Inputs:
    - got: the learner's value (array, scalar or tensor).
    - expected: the trusted value.
    - what: how to name the value in the message, e.g. "softmax(z)".
    - rtol, atol: as in numpy.isclose.
    """
    want = _as_array(expected, "expected value").astype(np.float64)
    array = expect_shape(got, want.shape, what).astype(np.float64)
    bad = ~np.isclose(array, want, rtol=rtol, atol=atol, equal_nan=True)
    if not bad.any():
        return
    error = np.where(bad, np.abs(array - want), 0.0)
    error = np.where(np.isnan(error), np.inf, error)
    worst = np.unravel_index(int(np.argmax(error)), error.shape) if error.ndim else ()
    got_value, want_value = array[worst], want[worst]
    where = f" at index {tuple(int(i) for i in worst)}" if worst else ""
    difference = abs(got_value - want_value)
    relative = f", rel error {difference / abs(want_value):.3g}" if want_value != 0 else ""
    lines = [
        f"{what} is wrong: {int(bad.sum())} of {bad.size} values differ",
        f"largest error{where}: got {got_value:.10g}, expected {want_value:.10g} "
        f"(abs error {difference:.3g}{relative})",
    ]
    if np.isnan(got_value) or np.isinf(got_value):
        lines.append("a NaN or inf usually means an overflow: exp of a large number?")
    raise CheckFailure("\n".join(lines))


def expect_equal(got, expected, what: str) -> None:
    """Fail unless `got` equals `expected` exactly (arrays: same shape, same values)."""
    if isinstance(expected, np.ndarray):
        array = expect_shape(got, expected.shape, what)
        if not np.array_equal(array, expected):
            expect_close(array, expected, what, rtol=0.0, atol=0.0)
        return
    if got != expected:
        raise CheckFailure(f"{what} is {got!r}, expected {expected!r}")


def expect_float_dtype(got, what: str) -> None:
    """Fail unless `got` is an array of a floating-point dtype."""
    array = _as_array(got, what)
    if array.dtype.kind != "f":
        raise CheckFailure(f"{what} should be floating point, got dtype {array.dtype}")


# ---------------------------------------------------------------- speed


def _best_seconds(function, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - started)
    return best


def _timed_call(learner, name: str, args: tuple, what: str):
    from grader.sandbox import LearnerTimeout

    try:
        result = learner.call(name, *args)
    except LearnerTimeout:
        raise CheckFailure(
            f"{what} did not finish within the time allowed for one call: vectorise it, "
            "a Python loop over pixels is far too slow to train a network with"
        ) from None
    return result, learner.last_call_seconds


def expect_vectorised(
    learner,
    name: str,
    args: tuple,
    probe_args: tuple,
    reference,
    what: str,
    advice: str,
    check_result,
) -> None:
    """Fail unless the learner's `name` is right and within SPEED_BOUND x the reference's time.

    Inputs:
    - learner, name: the learner's function, timed inside its worker (compute time only).
    - args: the full-batch arguments; probe_args: the same on 1/PROBE_FRACTION of the
      batch, timed first so that a hopeless loop fails without a long wait.
    - reference: a zero-argument callable running the reference on `args` (timed
      here, best of 3).
    - what: how to name the call; advice: how to vectorise it, in the learner's terms.
    - check_result: callable(result) raising CheckFailure when the answer is wrong.
    """

    def too_slow(seconds: float, bound: float, took: str = "took") -> CheckFailure:
        return CheckFailure(
            f"{what} {took} {seconds:.3g} s, {seconds / bound:.0f}x the reference's "
            f"{bound:.3g} s (at most {SPEED_BOUND}x is allowed): vectorise it ({advice})"
        )

    _, probe = _timed_call(learner, name, probe_args, what)
    bound = _best_seconds(reference)
    if probe * PROBE_FRACTION > 2 * SPEED_BOUND * bound:
        raise too_slow(probe * PROBE_FRACTION, bound, took="would take (timed on a few images)")
    got, seconds = _timed_call(learner, name, args, what)
    check_result(got)
    for _ in range(2):  # a busy machine gets two more tries before a verdict
        if seconds <= SPEED_BOUND * bound:
            return
        seconds = min(seconds, _timed_call(learner, name, args, what)[1])
    if seconds > SPEED_BOUND * bound:
        raise too_slow(seconds, bound)


# ---------------------------------------------------------------- strategies


def float_arrays(
    min_dims: int = 1, max_dims: int = 3, max_side: int = 5, bound: float = 10.0
) -> st.SearchStrategy[np.ndarray]:
    """Float64 arrays of a few small dimensions with values in [-bound, bound]."""
    shapes = hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=max_side)
    return hnp.arrays(np.float64, shapes, elements=st.floats(-bound, bound, width=64))


def matrices(
    max_rows: int = 6, max_cols: int = 6, bound: float = 10.0
) -> st.SearchStrategy[np.ndarray]:
    """Float64 matrices (N, C) with N in 1..max_rows, C in 2..max_cols."""
    shapes = st.tuples(st.integers(1, max_rows), st.integers(2, max_cols))
    return hnp.arrays(np.float64, shapes, elements=st.floats(-bound, bound, width=64))


class ConvGeometry(NamedTuple):
    """Sizes of one random convolution: batch, image, channels, kernel, padding mode."""

    mode: str
    n: int
    h: int
    w: int
    c_in: int
    c_out: int
    kh: int
    kw: int


@st.composite
def conv_geometry(draw, modes: st.SearchStrategy[str], kernel_larger_than_image: bool = False):
    """Batch 1-4, images 1-12, channels 1-5, kernels 1-5; VALID kernels fit the image.

    kernel_larger_than_image: SAME padding with kh > H or kw > W (or both).
    """
    mode = draw(modes)
    n, c_in, c_out = draw(st.integers(1, 4)), draw(st.integers(1, 5)), draw(st.integers(1, 5))
    kh, kw = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    if mode.lower() == "valid":
        h, w = draw(st.integers(kh, 12)), draw(st.integers(kw, 12))
    elif kernel_larger_than_image:
        axes = draw(st.sampled_from(["height", "width", "both"]))
        kh = draw(st.integers(2, 5)) if axes != "width" else kh
        kw = draw(st.integers(2, 5)) if axes != "height" else kw
        h = draw(st.integers(1, kh - 1)) if axes != "width" else draw(st.integers(1, 12))
        w = draw(st.integers(1, kw - 1)) if axes != "height" else draw(st.integers(1, 12))
    else:
        h, w = draw(st.integers(1, 12)), draw(st.integers(1, 12))
    return ConvGeometry(mode, n, h, w, c_in, c_out, kh, kw)
