"""Common mistakes, recognised in a wrong answer and named.

`expect_close` calls `recognise` when an array is wrong. Two kinds of
recognisers:

- generic ones need nothing but the two arrays: an overflow (NaN or inf
  where the answer is finite), the sign flipped, the axes transposed, every
  value off by the same factor (the batch size, or another whole number);
- a check's own candidates (`mistakes=` of expect_close), tried first. Each
  has a `diagnose(got, expected)` returning the mistake's name when it
  explains `got`, else None:
  - `Mistake(value, name)`: a wrong answer computed in the trusted process
    (the convolution with the kernel flipped, SAME padding on the other
    side). It must match the learner's values; where none does and the
    learner's shape is wrong, one of the learner's shape explains it.
  - `Symptom(diagnose)`: a property of the wrong answer, for mistakes whose
    exact values depend on how the learner wrote them (a softmax normalised
    along the wrong axis: its rows do not sum to 1, its columns do).

Axis mix-ups, one family for every exercise (each name says which axis to
look at, so the report can show the hint that belongs to it):

- `not_normalised(axis, log=False)`: a Symptom for probabilities (softmax;
  with log=True, log-probabilities) that sum to 1 along another axis than
  `axis`: "rows do not sum to 1 along the last axis: check the `axis` of
  your sum".
- `wrong_reductions(elements, ops)`: Mistakes for a reduction of an array
  of per-element terms (a loss) with np.sum or np.mean over each axis:
  the sum and the mean exchanged on one axis ("summed over axis 0 where the
  answer averages over it"), between the axes, or an axis not reduced.
- `axis_mix_ups(compute, right, wrong)`: Mistakes for the right operation
  done over the wrong axes, e.g. pooling or convolving over (height,
  channels) instead of (height, width):
  `axis_mix_ups(lambda axes: max_pool(x, axes), right=(1, 2), wrong=[(1, 3), (2, 3)])`
  names "computed over axes (1, 3), not (1, 2): check the axes you reduce
  or slide over". `compute(axes)` runs only when the learner's answer is
  wrong; a candidate it cannot compute is skipped.

Names are keys of grader.messages' catalogue (translated on screen, and
found again in a message by grader.messages.keys_in) or plain sentences.
To show a hint with a named mistake, list its key (e.g. "wrong_axes",
"flipped_kernel") under that hint in curriculum.toml's `hint_checks`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from grader.messages import CATALOGUE, text

MATCH_RTOL = 1e-6
MATCH_ATOL = 1e-8
MAX_PERMUTED_DIMS = 5  # up to 5! = 120 axis orders are tried
NEAR_ONE = 1e-3
"""A common factor this close to 1 is not named: it comes from a small numerical
difference, not from a missing or extra factor (logits scaled by 1.0001 move a two-class
gradient by 1.00003 everywhere), and with 4 digits it would read "the same factor 1"."""


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

    def diagnose(self, got: np.ndarray, expected: np.ndarray) -> str | None:
        """The name when `got` is this wrong answer; else None."""
        answer = _safely(self.answer)
        return self.name if answer is not None and _close(got, answer) else None

    def explains_shape(self, got: np.ndarray, expected: np.ndarray) -> str | None:
        """The name when `got` has this wrong answer's shape and the right answer has
        another one (the values may differ for other reasons); else None."""
        answer = _safely(self.answer)
        if answer is None or got.shape == expected.shape or answer.shape != got.shape:
            return None
        return self.name


@dataclass(frozen=True)
class Symptom:
    """A mistake recognised by a property of the wrong answer, not by its exact values.

    - diagnose: callable(got, expected) -> the mistake's name (a catalogue key
      or sentence) when `got` shows it, else None. Both are float64 arrays;
      only wrong answers are shown to it.
    """

    diagnose: Callable[[np.ndarray, np.ndarray], str | None]


def describe(name: str) -> str:
    """The English sentence for a mistake's name (a catalogue key or already a sentence)."""
    return text(name) if name in CATALOGUE else name


def recognise(
    got: np.ndarray,
    expected: np.ndarray,
    candidates: Sequence[Mistake | Symptom] | Callable[[], Sequence[Mistake | Symptom]] = (),
) -> str:
    """Name the mistake that explains `got`, as lines of feedback; "" when none fits.

    Inputs:
    - got, expected: the learner's answer and the right one (any shapes).
    - candidates: the check's known mistakes (Mistake or Symptom), or a
      callable returning them.

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


# ---------------------------------------------------------------- axis mix-ups


def not_normalised(axis: int = -1, log: bool = False) -> Symptom:
    """Probabilities that sum to 1 along another axis than `axis` (a softmax summed over axis 0).

    With log=True the answer holds log-probabilities (log_softmax): exp of it
    is what must sum to 1. Slices that are not finite (0 / 0 where the wrong
    sum underflowed) are left out of the other axis' test.
    """

    def diagnose(got: np.ndarray, expected: np.ndarray) -> str | None:
        if got.ndim < 2 or got.shape != expected.shape:
            return None
        with np.errstate(all="ignore"):
            values = np.exp(got) if log else got
        right = axis % got.ndim
        if _sums_to_one(values, right, finite_only=False):
            return None
        for other in range(got.ndim):
            if other != right and _sums_to_one(values, other, finite_only=True):
                return _normalisation_name(got.ndim, right, other, log)
        return None

    return Symptom(diagnose)


def _sums_to_one(values: np.ndarray, axis: int, finite_only: bool) -> bool:
    """Whether every slice along `axis` sums to 1 (with finite_only: every finite one, and
    there is one)."""
    with np.errstate(all="ignore"):
        sums = values.sum(axis=axis)
    if finite_only:
        sums = sums[np.isfinite(sums)]
        if sums.size == 0:
            return False
    return bool(np.allclose(sums, 1.0, rtol=MATCH_RTOL, atol=1e-6))


def _normalisation_name(ndim: int, right: int, other: int, log: bool) -> str:
    prefix = "log_" if log else ""
    if right == ndim - 1:
        return text(f"{prefix}rows_not_normalised")
    return text(f"{prefix}not_normalised_along", axis=right, other=other)


REDUCTIONS = {"sum": np.sum, "mean": np.mean}


def wrong_reductions(elements, ops: Sequence[str]) -> list[Mistake]:
    """The wrong reductions of an array of per-element terms, as Mistakes.

    Inputs:
    - elements: the terms, e.g. the (N, C) matrix of -y_true * log(y_pred) of
      a batch loss (computed in the trusted process).
    - ops: the right reduction of each axis, "sum" or "mean", e.g.
      ("mean", "sum"): the mean over the samples of the sum over the classes.

    Returns a Mistake for each other choice of np.sum / np.mean that a learner
    makes by mistake (one axis with the other op, every axis with the other
    op, the ops of two axes exchanged), and for each axis left unreduced (an
    answer of another shape).
    """
    elements = np.asarray(elements, dtype=np.float64)
    ops = tuple(ops)
    mistakes = []
    for choice in itertools.product(REDUCTIONS, repeat=len(ops)):
        # Over an axis of length 1 the sum is the mean: no mistake to tell apart there.
        if any(choice[a] != ops[a] and elements.shape[a] == 1 for a in range(len(ops))):
            continue
        name = _reduction_mistake(ops, choice)
        if name:
            mistakes.append(Mistake(_reduce(elements, choice), name))
    for axis, op in enumerate(ops):
        kept = ops[:axis] + (None,) + ops[axis + 1 :]
        name = text("not_reduced", axis=axis, op=f"np.{op}")
        mistakes.append(Mistake(_reduce(elements, kept), name))
    return mistakes


def _reduction_mistake(ops: tuple[str, ...], choice: tuple[str, ...]) -> str | None:
    """The sentence for reducing with `choice` where `ops` is right (None: no mistake
    a learner makes, or no mistake at all)."""
    differ = [axis for axis in range(len(ops)) if choice[axis] != ops[axis]]
    if len(differ) == 1:
        key = "summed_not_averaged" if ops[differ[0]] == "mean" else "averaged_not_summed"
        return text(key, axis=differ[0])
    if differ and len(differ) == len(ops) and len(set(ops)) == 1:
        return text("summed_everywhere" if ops[0] == "mean" else "averaged_everywhere")
    if len(differ) == 2 and sorted(choice[a] for a in differ) == sorted(ops[a] for a in differ):
        a, b = differ
        return text("reductions_exchanged", first=f"np.{ops[a]}", a=a, second=f"np.{ops[b]}", b=b)
    return None


def _reduce(elements: np.ndarray, ops: Sequence[str | None]) -> np.ndarray:
    """`elements` reduced by ops[axis] over each axis (None: that axis is kept)."""
    result = elements
    for axis in reversed(range(len(ops))):
        if ops[axis] is not None:
            result = REDUCTIONS[ops[axis]](result, axis=axis)
    return np.asarray(result)


def axis_mix_ups(compute: Callable[[Any], Any], right: Any, wrong: Sequence[Any]) -> list[Mistake]:
    """Mistakes for the right operation done over the wrong axes.

    Inputs:
    - compute: callable(axes) -> the answer computed over `axes` (run in the
      trusted process, only when the learner's answer is wrong).
    - right: the axes the answer is computed over, e.g. (1, 2) or -1.
    - wrong: the mix-ups to try, e.g. [(1, 3), (2, 3)].
    """
    return [
        Mistake(partial(compute, axes), text("wrong_axes", got=axes, expected=right))
        for axes in wrong
    ]


def _safely(compute: Callable):
    try:
        return compute()
    except Exception:  # noqa: BLE001 -- a guess that cannot be computed is no guess
        return None


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and np.allclose(
        a, b, rtol=MATCH_RTOL, atol=MATCH_ATOL, equal_nan=True
    )


def _matching(
    got: np.ndarray, expected: np.ndarray, candidates: Sequence[Mistake | Symptom]
) -> list[str]:
    """The names of the candidates that explain `got`: by its values, else (a wrong
    shape) by its shape alone."""
    names = _names(candidates, lambda c: c.diagnose(got, expected))
    if names or got.shape == expected.shape:
        return names
    mistakes = [c for c in candidates if isinstance(c, Mistake)]
    return _names(mistakes, lambda c: c.explains_shape(got, expected))


def _names(candidates, diagnose: Callable) -> list[str]:
    names: list[str] = []
    for candidate in candidates:
        name = _safely(partial(diagnose, candidate))
        if name and describe(name) not in names:
            names.append(describe(name))
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
    if not np.isfinite(ratio) or ratio == 0 or abs(ratio - 1) < NEAR_ONE:
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
