"""Checks for exercise 10: a straight line through Boston housing, two ways.

Data: price (in $1000s) against the average number of rooms (feature 5) of
Keras' train split, loaded by grader.data (--data-dir, NNLAB_DATA_DIR, then the
caches). The learner's code gets x and y and fits a line; the grading is of
the line's quality, computed here.
"""

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from grader.checking import CheckFailure, expect_close, hidden, points
from grader.data import DatasetCorrupt, DatasetNotFound, load_boston_housing

ROOMS = 5
SEED = 0
PRICE_TOLERANCE = 0.5  # $0.5K


@pytest.fixture(scope="module")
def rooms_and_prices(collector):
    """(x, y): average rooms and median price of Keras' Boston housing train split."""
    try:
        (x_train, y_train), _ = load_boston_housing(getattr(collector, "data_dir", None))
    except (DatasetNotFound, DatasetCorrupt) as problem:
        raise CheckFailure(f"the Boston housing data could not be loaded: {problem}") from None
    return x_train[:, ROOMS].copy(), y_train.copy()


def mse(m: float, b: float, x, y) -> float:
    return float(np.mean((m * x + b - y) ** 2))


def line(result, name: str) -> tuple[float, float]:
    """(m, b) from what a fit returned, or a CheckFailure saying what it was."""
    try:
        m, b = (float(v) for v in result[:2])
    except (TypeError, ValueError, IndexError):
        raise CheckFailure(f"{name} should return numbers (m, b, ...), got {result!r}") from None
    return m, b


def full_batch_losses(x, y, lr: float, epochs: int) -> np.ndarray:
    """The MSE after each of `epochs` full-batch descent steps from m = b = 0.

    On the standardised feature z (mean 0, variance 1) the slope and intercept
    descend independently: each step moves them 2 * lr of the way to their
    optimum, mean(z * y) and mean(y), so after k steps they have gone a
    fraction 1 - (1 - 2 * lr) ** k of it.
    """
    z = (x - x.mean()) / x.std()
    gone = 1.0 - (1.0 - 2.0 * lr) ** np.arange(1, epochs + 1)
    return np.array([mse(f * np.mean(z * y), f * np.mean(y), z, y) for f in gone])


def fit_gd(learner, x, y, **settings):
    """The learner's (m, b, losses) from fit_line_gd with its own defaults unless given."""
    result = learner.fit_line_gd(x, y, rng=np.random.default_rng(SEED), **settings)
    if not isinstance(result, tuple | list) or len(result) != 3:
        raise CheckFailure(f"fit_line_gd should return (m, b, losses), got {result!r}")
    m, b = line(result, "fit_line_gd")
    return m, b, result[2]


@points(2)
def test_ols_matches_polyfit_on_boston_rooms(learner, rooms_and_prices):
    x, y = rooms_and_prices
    got = line(learner.fit_line_ols(x, y), "fit_line_ols")
    expect_close(got, np.polyfit(x, y, 1), what="(m, b) of fit_line_ols on price vs rooms")


@st.composite
def small_data(draw):
    """(x, y): 2..20 points with x not all equal."""
    n = draw(st.integers(2, 20))
    x = draw(hnp.arrays(np.float64, n, elements=st.floats(-100, 100, allow_subnormal=False)))
    assume(np.ptp(x) > 1e-2 * max(1.0, np.max(np.abs(x))))
    y = draw(hnp.arrays(np.float64, n, elements=st.floats(-100, 100, allow_subnormal=False)))
    return x, y


@hidden
@points(1)
@given(data=small_data())
def test_ols_matches_polyfit_on_small_data(learner, data):
    x, y = data
    got = line(learner.fit_line_ols(x, y), "fit_line_ols")
    expect_close(got, np.polyfit(x, y, 1), what="(m, b) of fit_line_ols(x, y)", atol=1e-6)


@points(2)
def test_gd_with_default_settings_ends_within_1pct_of_the_ols_loss(learner, rooms_and_prices):
    x, y = rooms_and_prices
    m, b, _ = fit_gd(learner, x, y)
    best = mse(*np.polyfit(x, y, 1), x, y)
    got = mse(m, b, x, y)
    if not got <= 1.01 * best:
        raise CheckFailure(
            f"after fit_line_gd with its default settings the MSE is {got:.4f}, "
            f"more than 1% above the least-squares MSE {best:.4f} (m={m:.4g}, b={b:.4g}); "
            f"standardise x inside the function and map m, b back"
        )


@hidden
@points(2)
def test_gd_predicts_prices_for_3_to_7_rooms_like_ols(learner, rooms_and_prices):
    x, y = rooms_and_prices
    m, b, _ = fit_gd(learner, x, y)
    slope, intercept = np.polyfit(x, y, 1)
    rooms = np.arange(3.0, 8.0)
    expect_close(
        m * rooms + b,
        slope * rooms + intercept,
        what="the prices gradient descent predicts for 3, 4, 5, 6, 7 rooms (in $1000s)",
        rtol=0.0,
        atol=PRICE_TOLERANCE,
    )


@points(1)
def test_gd_losses_one_per_epoch_ending_at_the_mse_of_the_line(learner, rooms_and_prices):
    x, y = rooms_and_prices
    # Full batches: one step per epoch, the same whatever the order of the rows.
    settings = {"lr": 0.01, "epochs": 5, "batch_size": len(x)}
    call = f"fit_line_gd(x, y, lr=0.01, epochs=5, batch_size={len(x)})"
    m, b, losses = fit_gd(learner, x, y, **settings)
    try:
        losses = np.asarray(losses, dtype=np.float64)
    except (TypeError, ValueError):
        raise CheckFailure(f"{call} should return a list of 5 losses, got {losses!r}") from None
    if losses.shape != (5,):
        raise CheckFailure(f"{call} should return 5 losses, got shape {losses.shape}")
    expect_close(
        losses[-1], mse(m, b, x, y), what="losses[-1] (the MSE of the returned line on all of x, y)"
    )
    # ... and the line must be where the descent goes, whatever the learner returned.
    expected = full_batch_losses(x, y, settings["lr"], settings["epochs"])
    expect_close(losses, expected, what=f"the losses of {call} (from m = b = 0)", rtol=1e-4)
