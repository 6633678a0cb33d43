"""The adding problem (Hochreiter & Schmidhuber, 1997), generated on the trusted side.

Each sequence has LENGTH steps of two features: a random number in [0, 1) and
a marker, 1 at exactly two steps (one in the first half, one in the second)
and 0 elsewhere. The target is the sum of the two marked numbers. Answering
the mean (1.0) scores a mean squared error of about 1/6: only a network that
keeps the first marked number for at least LENGTH / 2 steps does better.

The data is drawn from a fixed seed, so every learner gets the same sequences;
the worker gets the training part, never the test part.
"""

from __future__ import annotations

import numpy as np

LENGTH = 50
TRAIN_SEQUENCES = 10_000
TEST_SEQUENCES = 1_000
SEED = 19


def adding_problem(n: int, length: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """`n` sequences of the adding problem and their targets.

    Inputs: n; length (at least 2); rng, a numpy Generator (drawn from in a fixed order:
    the numbers, then the first markers, then the second).

    Returns (x, y): x float32 (n, length, 2) as described above, y float32 (n,).
    """
    x = np.zeros((n, length, 2), np.float32)
    x[:, :, 0] = rng.uniform(0.0, 1.0, (n, length))
    first = rng.integers(0, length // 2, n)
    second = rng.integers(length // 2, length, n)
    rows = np.arange(n)
    x[rows, first, 1] = 1.0
    x[rows, second, 1] = 1.0
    return x, x[rows, first, 0] + x[rows, second, 0]


def adding_data(
    train: int = TRAIN_SEQUENCES, test: int = TEST_SEQUENCES, seed: int = SEED
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """The graded adding problem, ((x_train, y_train), (x_test, y_test)) as keras.datasets
    shape their data, from one fixed seed (the training set is drawn first)."""
    rng = np.random.default_rng(seed)
    return adding_problem(train, LENGTH, rng), adding_problem(test, LENGTH, rng)
