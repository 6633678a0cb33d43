"""The adding problem (exercise 19's second task), generated on the trusted side from a seed:
what each sequence holds, what its answer is, and how hard guessing the mean is."""

import numpy as np
import pytest

from grader.engine import sequences
from grader.engine.sequences import adding_data, adding_problem


@pytest.mark.parametrize("length", [2, 7, 50])
def test_each_sequence_has_one_marked_number_in_each_half(length):
    x, y = adding_problem(200, length, np.random.default_rng(0))

    assert x.shape == (200, length, 2) and y.shape == (200,)
    assert x.dtype == np.float32 and y.dtype == np.float32
    numbers, markers = x[:, :, 0], x[:, :, 1]
    assert np.all((numbers >= 0) & (numbers < 1))
    assert set(np.unique(markers)) <= {0.0, 1.0}
    half = length // 2
    assert np.all(markers[:, :half].sum(axis=1) == 1), "one marker in the first half"
    assert np.all(markers[:, half:].sum(axis=1) == 1), "one marker in the second half"
    np.testing.assert_array_equal(y, (numbers * markers).sum(axis=1, dtype=np.float32))


def test_the_markers_move_and_the_numbers_vary():
    x, _ = adding_problem(500, 50, np.random.default_rng(1))
    first = np.argmax(x[:, :25, 1], axis=1)
    second = 25 + np.argmax(x[:, 25:, 1], axis=1)
    assert len(np.unique(first)) == 25 and len(np.unique(second)) == 25
    assert len(np.unique(x[:, :, 0])) > 0.99 * x[:, :, 0].size


def test_the_same_seed_gives_the_same_data():
    one, two = adding_data(50, 20, seed=5), adding_data(50, 20, seed=5)
    other = adding_data(50, 20, seed=6)
    for (x1, y1), (x2, y2), (x3, _) in zip(one, two, other, strict=True):
        np.testing.assert_array_equal(x1, x2)
        np.testing.assert_array_equal(y1, y2)
        assert not np.array_equal(x1, x3)


def test_the_graded_data_has_its_stated_sizes_and_separate_test_sequences():
    (x_train, y_train), (x_test, y_test) = adding_data()
    length = sequences.LENGTH
    assert x_train.shape == (sequences.TRAIN_SEQUENCES, length, 2) == (10_000, 50, 2)
    assert x_test.shape == (sequences.TEST_SEQUENCES, length, 2) == (1_000, 50, 2)
    assert y_train.shape == (10_000,) and y_test.shape == (1_000,)
    seen = {row.tobytes() for row in x_train}
    assert not any(row.tobytes() in seen for row in x_test), "a test sequence is in training"


def test_always_answering_the_mean_scores_about_one_sixth():
    """The sum of two uniform numbers has variance 2/12: the plateau the bar must beat."""
    _, y = adding_problem(10_000, sequences.LENGTH, np.random.default_rng(7))
    mse = float(np.mean((y.astype(np.float64) - y.mean()) ** 2))
    assert 0.15 < mse < 0.19
    assert abs(float(y.mean()) - 1.0) < 0.02
