"""Hypothesis strategies for the arrays checks draw, shared by the exercises.

    @points(1)
    @given(x=float_arrays())
    def test_relu_matches_tensorflow(learner, tf, x): ...

Write exercise-specific strategies with `hypothesis.extra.numpy` in the check
module, above its checks (a decorator's arguments run when the module loads);
the inputs of convolutions and pooling are in grader.checks.geometry. Only inputs
are drawn here: a student release ships this module as it is.
"""

from __future__ import annotations

import numpy as np
from hypothesis import example
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

# No subnormal values (below 2.2e-308): TensorFlow's CPU kernels flush them to zero
# (its relu gradient at 1e-308 is 0), so its answer there is not the maths a learner writes.
FLOATS = {"width": 64, "allow_subnormal": False}

seeds = st.integers(0, 2**32 - 1)
"""Seeds of the NumPy generator a composite strategy draws its arrays with (hypothesis
shrinks the seed; arrays drawn element by element would be slow to generate)."""


def float_arrays(
    min_dims: int = 1, max_dims: int = 3, max_side: int = 5, bound: float = 10.0
) -> st.SearchStrategy[np.ndarray]:
    """Float64 arrays of a few small dimensions with values in [-bound, bound]."""
    shapes = hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=max_side)
    return hnp.arrays(np.float64, shapes, elements=st.floats(-bound, bound, **FLOATS))


def matrices(
    max_rows: int = 6, max_cols: int = 6, bound: float = 10.0
) -> st.SearchStrategy[np.ndarray]:
    """Float64 matrices (N, C) with N in 1..max_rows, C in 2..max_cols."""
    shapes = st.tuples(st.integers(1, max_rows), st.integers(2, max_cols))
    return hnp.arrays(np.float64, shapes, elements=st.floats(-bound, bound, **FLOATS))


def with_examples(examples: list):
    """Decorate a check @given(case=...) with @example(case=...) for each of `examples`,
    the first listed tried first."""

    def decorate(check):
        for case in examples[::-1]:
            check = example(case=case)(check)
        return check

    return decorate
