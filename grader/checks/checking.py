"""The toolkit hidden checks are written with.

A check is a pytest test that reads like a teacher's sentence:

    @points(2)
    @given(x=float_arrays())
    def test_relu_matches_tensorflow(learner, tf, x):
        expect_close(learner.relu(x), tf.nn.relu(x), what="relu(x)")

`expect_close` / `expect_equal` raise CheckFailure with the feedback a learner
needs: the shape and dtype verdict first, then the largest errors, where the
worst one is and its neighbourhood side by side, and the name of a common
mistake when one fits (grader.checks.mistakes; a check passes its own candidates
with `mistakes=`). The fixed words come from grader.messages' catalogue. The
runner adds the failing call as Python to paste (grader.engine.reproduction) and the
report the hint that belongs to the check (or to the mistake it names).

The inputs a check draws: grader.checks.strategies (arrays), grader.checks.geometry
(convolutions and pooling).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence

import numpy as np
import pytest

from grader.checks.mistakes import Mistake, describe, recognise
from grader.messages import text

RTOL = 1e-6
ATOL = 1e-8
SPEED_BOUND = 20  # x the reference's time; tests/meta/test_speed_bound.py pins the references
PROBE_FRACTION = 32  # a first call on 1/32 of the batch catches a pixel loop without a long wait
DIAGNOSIS_SIZE_FACTOR = 4  # a wrong-shaped answer this many times too big is not diagnosed
MIN_REFERENCE_SECONDS = 1e-4  # a floor, so that no ratio divides by zero


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
        raise CheckFailure(text("not_array", what=what, type=type(value).__name__)) from None
    if array.dtype.kind not in "biuf":
        raise CheckFailure(text("not_numbers", what=what, dtype=array.dtype))
    return array


def expect_shape(got, shape: tuple, what: str) -> np.ndarray:
    """Fail unless `got` is an array of exactly `shape`; return it as an array."""
    array = _as_array(got, what)
    if array.shape != tuple(shape):
        raise CheckFailure(text("wrong_shape", what=what, got=array.shape, expected=tuple(shape)))
    return array


def expect_close(
    got,
    expected,
    what: str,
    rtol: float = RTOL,
    atol: float = ATOL,
    mistakes: Sequence[Mistake] | Callable[[], Sequence[Mistake]] = (),
) -> None:
    """Fail unless `got` equals `expected` within tolerances, elementwise.

    Inputs:
    - got: the learner's value (array, scalar or tensor).
    - expected: the trusted value.
    - what: how to name the value in the message, e.g. "softmax(z)".
    - rtol, atol: as in numpy.isclose.
    - mistakes: the check's known wrong answers (grader.checks.mistakes.Mistake), or a
      callable returning them (called only on failure), to name the mistake.

    The failure message gives the shape/dtype verdict first, then the largest
    absolute and relative errors, the worst element and its neighbourhood
    side by side, and the name of a recognised mistake.
    """
    want = _as_array(expected, "expected value").astype(np.float64)
    array = _as_array(got, what)
    if array.shape != want.shape:
        lines = [text("wrong_shape", what=what, got=array.shape, expected=want.shape)]
        if array.size > DIAGNOSIS_SIZE_FACTOR * want.size + 64:
            raise CheckFailure("\n".join(lines))  # far too big to be a near miss: no guessing
        raise CheckFailure(_with_diagnosis(lines, array, want, mistakes))
    values = array.astype(np.float64)
    bad = ~np.isclose(values, want, rtol=rtol, atol=atol, equal_nan=True)
    if not bad.any():
        return
    lines = _value_feedback(what, array, values, want, bad)
    raise CheckFailure(_with_diagnosis(lines, values, want, mistakes))


def _with_diagnosis(lines: list[str], got: np.ndarray, want: np.ndarray, mistakes) -> str:
    try:
        diagnosis = recognise(got, want, mistakes)
    except Exception:  # noqa: BLE001 -- a failed guess must not hide the verdict
        diagnosis = ""
    return "\n".join([*lines, diagnosis] if diagnosis else lines)


def _value_feedback(
    what: str, array: np.ndarray, values: np.ndarray, want: np.ndarray, bad: np.ndarray
) -> list[str]:
    """Verdict, errors, the worst element and its neighbourhood, as message lines."""
    error = np.where(bad, np.abs(values - want), 0.0)
    error = np.where(np.isnan(error), np.inf, error)
    worst = np.unravel_index(int(np.argmax(error)), error.shape)
    nonzero = bad & (want != 0)
    relative = error[nonzero] / np.abs(want[nonzero])
    errors = {"abs": f"{error.max():.3g}"}
    if relative.size:
        errors["rel"] = f"{relative.max():.3g}"
    errors_line = text("errors" if "rel" in errors else "abs_error", **errors)
    if want.ndim == 0:
        got_text, want_text = f"{values[()]:.10g}", f"{want[()]:.10g}"
        return [text("value_differs", what=what, got=got_text, expected=want_text), errors_line]
    lines = [
        text(
            "values_differ",
            what=what,
            shape=want.shape,
            dtype=array.dtype,
            bad=int(bad.sum()),
            size=bad.size,
        ),
    ]
    if array.dtype.kind in "biu" and not np.array_equal(want, np.round(want)):
        lines.append(text("int_dtype", dtype=array.dtype))
    index = tuple(int(i) for i in worst)
    lines.append(errors_line)
    lines.append(
        text("worst", index=index, got=f"{values[worst]:.10g}", expected=f"{want[worst]:.10g}")
    )
    if want.size > 1:
        lines.extend(_side_by_side(want, values, index))
    return lines


WINDOW_RADIUS = 2  # rows and columns shown either side of the worst element


def _side_by_side(want: np.ndarray, got: np.ndarray, worst: tuple[int, ...]) -> list[str]:
    """A few rows and columns around the worst element, expected left, got right.

    1-D: a slice around it; 2-D: a window of rows and columns; 4-D (the
    course's NHWC images): a window of image rows and columns; other N-D: of
    the last two axes. The other indices are fixed at the worst element's.
    """
    if want.ndim == 1:
        shown = (0,)
    elif want.ndim == 4:
        shown = (1, 2)
    else:
        shown = (want.ndim - 2, want.ndim - 1)
    index, labels = [], []
    for axis, at in enumerate(worst):
        if axis in shown:
            low = max(at - WINDOW_RADIUS, 0)
            high = min(at + WINDOW_RADIUS + 1, want.shape[axis])
            index.append(slice(low, high))
            labels.append(f"{low}:{high}")
        else:
            index.append(at)
            labels.append(str(at))
    left = np.atleast_2d(want[tuple(index)])
    right = np.atleast_2d(got[tuple(index)])
    mark = tuple(worst[axis] - index[axis].start for axis in shown)
    mark = mark if len(mark) == 2 else (0, *mark)
    cells = [[_cells(block, mark) for block in (left, right)]]
    width = max(len(c) for block in cells[0] for row in block for c in row)
    lines = [text("window", window="[" + ", ".join(labels) + "]")]
    for row_left, row_right in zip(*cells[0], strict=True):
        halves = [" ".join(c.rjust(width) for c in row) for row in (row_left, row_right)]
        lines.append("  " + "   |   ".join(halves))
    return lines


def _cells(block: np.ndarray, mark: tuple[int, int]) -> list[list[str]]:
    """The block's values as short strings; the worst element between > and <."""
    rows = []
    for i, row in enumerate(block):
        cells = [f"{v:.4g}" for v in row]
        if i == mark[0]:
            cells[mark[1]] = f">{cells[mark[1]]}<"
        rows.append(cells)
    return rows


def expect_equal(got, expected, what: str) -> None:
    """Fail unless `got` equals `expected` exactly (arrays: same shape, same values)."""
    if isinstance(expected, np.ndarray):
        array = expect_shape(got, expected.shape, what)
        if not np.array_equal(array, expected):
            expect_close(array, expected, what, rtol=0.0, atol=0.0)
        return
    if got != expected:
        raise CheckFailure(text("value_differs", what=what, got=repr(got), expected=repr(expected)))


def expect_float_dtype(got, what: str) -> None:
    """Fail unless `got` is an array of a floating-point dtype."""
    array = _as_array(got, what)
    if array.dtype.kind != "f":
        raise CheckFailure(text("not_float", what=what, dtype=array.dtype))


@contextlib.contextmanager
def naming_overflow(mistake: str = "overflow"):
    """Within this block, a learner call's FloatingPointError fails the check naming `mistake`.

    For calls made with `float_errors="raise"`: the worker's message (where
    it overflowed) is kept, and the mistake (a grader.messages key or a
    sentence) says what to do about it.
    """
    from grader.sandbox import LearnerError

    try:
        yield
    except LearnerError as error:
        if error.error_type != "FloatingPointError":
            raise
        raise CheckFailure(f"{error}\n{describe(mistake)}") from None


def expect_value_error(call: str, function, *args) -> None:
    """Fail unless the learner's `function(*args)` raises ValueError.

    Inputs: call, how the message names the call (e.g. "knn_predict(dists, y, k=0)");
    function, a learner's function (from the `learner` proxy); args, its arguments.
    Raises CheckFailure saying what it raised or returned instead.
    """
    from grader.sandbox import LearnerError

    try:
        got = function(*args)
    except LearnerError as error:
        if error.error_type == "ValueError":
            return
        raise CheckFailure(
            f"{call} should raise ValueError, it raised {error.error_type}"
        ) from None
    raise CheckFailure(f"{call} should raise ValueError, it returned {type(got).__name__}")


# ---------------------------------------------------------------- speed


def _best_seconds(function, repeat: int = 3) -> float:
    """The least CPU time of this process (every thread) over `repeat` runs of `function()`.

    Process time, not wall time and not this thread's time: the worker's BLAS runs on
    one thread (Limits.blas_threads) and its CPU time counts all of its work, so the
    reference's must count the work of every BLAS thread here too.
    """
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        function()
        best = min(best, time.process_time() - started)
    return best


def _timed_call(learner, name: str, args: tuple, what: str):
    """Call the learner's `name`; return (result, CPU seconds its worker spent on the call)."""
    from grader.sandbox import LearnerTimeout

    try:
        result = learner.call(name, *args, timed=True)
    except LearnerTimeout:
        raise CheckFailure(
            f"{what} did not finish within the time allowed for one call: vectorise it, "
            "a Python loop over pixels is far too slow to train a network with"
        ) from None
    return result, learner.last_call_cpu_seconds


def _other_values(args: tuple) -> tuple:
    """`args` with every array of two or more rows rolled by one row: the same shapes and
    dtypes, other values."""
    return tuple(
        np.roll(a, 1, axis=0) if isinstance(a, np.ndarray) and a.ndim and len(a) > 1 else a
        for a in args
    )


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

    Times are CPU times, measured by the grader: the worker's process tree's during
    the call, read from the kernel (learner code cannot stop that clock), against
    this process's while it runs the reference. CPU time hardly depends on how busy
    the machine is, so one timed call decides: no best of several tries, which a
    learner's code could win by answering a repeated call from memory. It follows one
    untimed call on other values of the same shapes (a first call's memory costs).

    Inputs:
    - learner, name: the learner's function.
    - args: the full-batch arguments; probe_args: the same on 1/PROBE_FRACTION of the
      batch, timed first so that a hopeless loop fails without a long wait.
    - reference: a zero-argument callable running the reference on `args` (timed
      here, best of 3).
    - what: how to name the call; advice: how to vectorise it, in the learner's terms.
    - check_result: callable(result) raising CheckFailure when the answer is wrong.
    """

    def too_slow(seconds: float, bound: float, took: str = "took") -> CheckFailure:
        return CheckFailure(
            f"{what} {took} {seconds:.3g} s of CPU time, {seconds / bound:.0f}x the "
            f"reference's {bound:.3g} s (at most {SPEED_BOUND}x is allowed): vectorise it "
            f"({advice})"
        )

    _, probe = _timed_call(learner, name, probe_args, what)
    bound = max(_best_seconds(reference), MIN_REFERENCE_SECONDS)
    if probe * PROBE_FRACTION > 2 * SPEED_BOUND * bound:
        raise too_slow(probe * PROBE_FRACTION, bound, took="would take (timed on a few images)")
    # The first full-size call pays for memory the worker has not touched yet: the
    # reference's own conv2d_forward took 85-146 ms there against 9 ms warm (and failed
    # the bound once). So one untimed call first, on other values of the same shapes: an
    # answer kept from it cannot serve the timed call.
    _timed_call(learner, name, _other_values(args), what)
    got, seconds = _timed_call(learner, name, args, what)
    check_result(got)
    if seconds > SPEED_BOUND * bound:
        raise too_slow(seconds, bound)
