"""Checks for exercise 10: a straight line through Boston housing, two ways.

Data: price (in $1000s) against the average number of rooms (feature 5) of
Keras' train split, loaded by grader.engine.data (--data-dir, NNLAB_DATA_DIR, then the
caches). The learner's code gets x and y and fits a line; the grading is of
the line's quality, computed here.
"""

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from grader.checks.checking import CheckFailure, expect_close, hidden, points
from grader.checks.strategies import FLOATS

ROOMS = 5
SEED = 0
PRICE_TOLERANCE = 0.5  # $0.5K


@st.composite
def small_data(draw):
    """(x, y): 2..20 points with x not all equal."""
    n = draw(st.integers(2, 20))
    x = draw(hnp.arrays(np.float64, n, elements=st.floats(-100, 100, **FLOATS)))
    assume(np.ptp(x) > 1e-2 * max(1.0, np.max(np.abs(x))))
    y = draw(hnp.arrays(np.float64, n, elements=st.floats(-100, 100, **FLOATS)))
    return x, y


@points(2)
def test_ols_matches_least_squares_on_boston_rooms(learner, tf, rooms_and_prices):
    x, y = rooms_and_prices
    got = line(learner.fit_line_ols(x, y), "fit_line_ols")
    expect_close(got, tf_line(tf, x, y), what="(m, b) of fit_line_ols on price vs rooms")


@hidden
@points(1)
@given(data=small_data())
def test_ols_matches_polyfit_on_small_data(learner, data):
    x, y = data
    got = line(learner.fit_line_ols(x, y), "fit_line_ols")
    expect_close(got, np.polyfit(x, y, 1), what="(m, b) of fit_line_ols(x, y)", atol=1e-6)


@points(2)
def test_gd_with_default_settings_ends_within_1pct_of_the_ols_loss(
    learner, tf, keras, rooms_and_prices
):
    x, y = rooms_and_prices
    m, b, _ = fit_gd(learner, x, y)
    best = keras_mse(keras, *tf_line(tf, x, y), x, y)
    got = keras_mse(keras, m, b, x, y)
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
def test_gd_losses_one_per_epoch_ending_at_the_mse_of_the_line(learner, keras, rooms_and_prices):
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
        losses[-1],
        keras_mse(keras, m, b, x, y),
        what="losses[-1] (the MSE of the returned line on all of x, y)",
    )
    # ... and the line must be where the descent goes, whatever the learner returned.
    expected = keras_losses(keras, x, y, **settings, rng=np.random.default_rng(SEED))
    what = f"the losses of {call} (from m = b = 0, as Keras' Dense(1) and SGD go)"
    expect_close(losses, expected, what=what, rtol=1e-4)


@points(1)
def test_gd_with_rng_none_steps_like_keras_on_the_same_batches(learner, keras, rooms_and_prices):
    x, y = rooms_and_prices
    settings = {"lr": 0.01, "epochs": 3, "batch_size": 50}
    call = "fit_line_gd(x, y, lr=0.01, epochs=3, batch_size=50, rng=None)"
    _, _, losses = fit_gd(learner, x, y, **settings, rng=None)
    expected = keras_losses(keras, x, y, **settings, rng=np.random.default_rng(0))
    note = (
        "rng=None means np.random.default_rng(0); each epoch shuffles the rows with "
        "order = rng.permutation(N) and steps on consecutive batches of batch_size rows"
    )
    try:
        expect_close(losses, expected, what=f"the losses of {call}")
    except CheckFailure as failure:
        raise CheckFailure(f"{failure}\n{note}") from None


# ---------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def rooms_and_prices(dataset_or_failure):
    """(x, y): average rooms and median price of Keras' Boston housing train split."""
    (x_train, y_train), _ = dataset_or_failure("boston_housing")
    return x_train[:, ROOMS].copy(), y_train.copy()


def keras_mse(keras, m: float, b: float, x, y) -> float:
    """The MSE of the line m * x + b on (x, y), by Keras' mean_squared_error."""
    return float(keras.losses.mean_squared_error(y, m * x + b))


def tf_line(tf, x, y) -> np.ndarray:
    """(m, b) of the least-squares line through (x, y), by TensorFlow's lstsq."""
    design = tf.constant(np.stack([x, np.ones_like(x)], axis=1))
    return tf.linalg.lstsq(design, tf.constant(y[:, None]), fast=False).numpy().ravel()


def line(result, name: str) -> tuple[float, float]:
    """(m, b) from what a fit returned, or a CheckFailure saying what it was."""
    try:
        m, b = (float(v) for v in result[:2])
    except (TypeError, ValueError, IndexError):
        raise CheckFailure(f"{name} should return numbers (m, b, ...), got {result!r}") from None
    return m, b


def keras_losses(keras, x, y, lr: float, epochs: int, batch_size: int, rng) -> list[float]:
    """Keras' Dense(1) trained with SGD(lr) on the standardised feature from zero weights
    (m = b = 0), on the batches the docstring names (each epoch, rng.permutation(N) cut
    into consecutive batches): the MSE on all of (x, y) after each epoch."""
    z = ((x - x.mean()) / x.std()).reshape(-1, 1)
    model = keras.Sequential(
        [
            keras.Input((1,), dtype="float64"),
            keras.layers.Dense(1, kernel_initializer="zeros", dtype="float64"),
        ]
    )
    model.compile(optimizer=keras.optimizers.SGD(lr), loss="mse")
    losses = []
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for start in range(0, len(x), batch_size):
            batch = order[start : start + batch_size]
            model.train_on_batch(z[batch], y[batch])
        losses.append(float(keras.losses.mean_squared_error(y, model.predict_on_batch(z)[:, 0])))
    return losses


def fit_gd(learner, x, y, **settings):
    """The learner's (m, b, losses) from fit_line_gd with its own defaults unless given;
    rng is np.random.default_rng(SEED) unless given (None: the function's own default)."""
    settings.setdefault("rng", np.random.default_rng(SEED))
    result = learner.fit_line_gd(x, y, **settings)
    if not isinstance(result, tuple | list) or len(result) != 3:
        raise CheckFailure(f"fit_line_gd should return (m, b, losses), got {result!r}")
    m, b = line(result, "fit_line_gd")
    return m, b, result[2]
