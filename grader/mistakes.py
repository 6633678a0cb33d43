"""Common mistakes, recognised in a wrong answer and named.

`expect_close` calls `recognise` when an array is wrong. Two kinds of
recognisers:

- generic ones need nothing but the two arrays: an overflow (NaN or inf
  where the answer is finite), the sign flipped, the axes transposed, every
  value off by the same factor (the batch size, or another whole number);
- a check's own candidates: wrong answers computed in the trusted process
  (the convolution with the kernel flipped, SAME padding on the other side),
  each a `Mistake` naming what gives it. A candidate of another shape than
  the answer explains a wrong shape; one of the same shape must match the
  values.

Names are keys of grader.messages' catalogue (translated on screen) or
plain sentences.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.messages import CATALOGUE, text

MATCH_RTOL = 1e-6
MATCH_ATOL = 1e-8
MAX_PERMUTED_DIMS = 5  # up to 5! = 120 axis orders are tried


@dataclass(frozen=True)
class Mistake:
    """A wrong answer and the mistake that gives it.

    - value: the wrong answer (array), or a zero-argument callable computing
      it, called only when the learner's answer is wrong (a candidate that
      cannot be computed for this input, e.g. TensorFlow refusing its shape,
      is skipped).
    - name: a key of grader.messages.CATALOGUE, or a sentence.
    """

    value: Any
    name: str

    def answer(self) -> np.ndarray:
        """The wrong answer as a float64 array (computing it if needed)."""
        value = self.value() if callable(self.value) else self.value
        if hasattr(value, "numpy"):  # a TensorFlow tensor
            value = value.numpy()
        return np.asarray(value, dtype=np.float64)


def describe(name: str) -> str:
    """The English sentence for a mistake's name (a catalogue key or already a sentence)."""
    return text(name) if name in CATALOGUE else name


def recognise(
    got: np.ndarray,
    expected: np.ndarray,
    candidates: Sequence[Mistake] | Callable[[], Sequence[Mistake]] = (),
) -> str:
    """Name the mistake that explains `got`, as lines of feedback; "" when none fits.

    Inputs:
    - got, expected: the learner's answer and the right one (any shapes).
    - candidates: the check's known wrong answers (or a callable returning them).

    Returns the name of the one mistake that fits (a check's candidates first,
    then the generic ones), a list when several candidates fit, or "".
    """
    got = np.asarray(got, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if callable(candidates):
        candidates = _safely(candidates) or ()
    names = _matching(got, expected, candidates) or _generic(got, expected)
    if len(names) <= 1:
        return "".join(names)
    items = [text("mistake_item", mistake=name) for name in names]
    return "\n".join([text("several_mistakes"), *items])


def _safely(compute: Callable):
    try:
        return compute()
    except Exception:  # noqa: BLE001 -- a guess that cannot be computed is no guess
        return None


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and np.allclose(
        a, b, rtol=MATCH_RTOL, atol=MATCH_ATOL, equal_nan=True
    )


def _matching(got: np.ndarray, expected: np.ndarray, candidates: Sequence[Mistake]) -> list[str]:
    shape_wrong = got.shape != expected.shape
    names: list[str] = []
    for candidate in candidates:
        answer = _safely(candidate.answer)
        if answer is None or answer.shape != got.shape:
            continue
        if shape_wrong or _close(got, answer):
            name = describe(candidate.name)
            if name not in names:
                names.append(name)
    return names


def _generic(got: np.ndarray, expected: np.ndarray) -> list[str]:
    if got.shape != expected.shape:
        return _permuted(got, expected)
    if (~np.isfinite(got) & np.isfinite(expected)).any():
        return [text("overflow")]
    nonzero = np.abs(expected) > MATCH_ATOL
    if nonzero.any() and _close(got, -expected):
        return [text("sign_flipped")]
    return _permuted(got, expected) or _scaled(got, expected, nonzero)


def _permuted(got: np.ndarray, expected: np.ndarray) -> list[str]:
    """got is expected with its axes in another order (2-D: transposed)."""
    if got.size != expected.size or not 2 <= expected.ndim <= MAX_PERMUTED_DIMS:
        return []
    identity = tuple(range(expected.ndim))
    for perm in itertools.permutations(identity):
        if perm == identity or expected.transpose(perm).shape != got.shape:
            continue
        if _close(got, expected.transpose(perm)):
            if expected.ndim == 2:
                return [text("transposed")]
            return [text("axes_swapped", perm=perm)]
    return []


def _scaled(got: np.ndarray, expected: np.ndarray, nonzero: np.ndarray) -> list[str]:
    """Every value off by one constant factor: a whole number (the batch size?) or not."""
    if nonzero.sum() < 2:
        return []
    ratio = float(np.median(got[nonzero] / expected[nonzero]))
    if not np.isfinite(ratio) or ratio == 0 or abs(ratio - 1) < 1e-6:
        return []
    if not _close(got, ratio * expected):
        return []
    batch = expected.shape[0] if expected.ndim >= 2 else None
    for factor, large in ((ratio, True), (1 / ratio, False)):
        whole = round(factor)
        if whole >= 2 and abs(factor - whole) <= 1e-6 * whole:
            if whole == batch:
                return [text("batch_too_large" if large else "batch_too_small", factor=whole)]
            return [text("too_large" if large else "too_small", factor=whole)]
    return [text("scaled", factor=f"{ratio:.4g}")]
