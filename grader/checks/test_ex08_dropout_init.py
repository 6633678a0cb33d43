"""Checks for exercise 8: dropout, weight initialisation and L2 penalty.

Random layers are checked statistically on large samples drawn with fixed
seeds; every tolerance is stated in the failure message and is at least six
standard errors wide, so a correct solution does not fail by bad luck.
"""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from grader.checks.checking import (
    CheckFailure,
    expect_close,
    expect_equal,
    expect_shape,
    hidden,
    points,
)
from grader.engine.oracles import tf_gradient

RATES = (0.1, 0.5, 0.8)
DROPOUT_SHAPE = (200, 500)  # 100,000 units
KEEP_TOLERANCE = 0.01  # the standard error of the kept fraction is at most 0.0016
TRUNCATION = 0.87962566103423978  # std of a standard normal truncated at +-2

weight_shapes = st.one_of(
    st.tuples(st.integers(1, 1000), st.integers(1, 1000)),  # dense (n_in, n_out)
    st.tuples(*[st.integers(1, 7)] * 2, st.integers(1, 256), st.integers(1, 256)),  # HWIO
    hnp.array_shapes(min_dims=0, max_dims=5, min_side=1, max_side=9),
)


INIT_SHAPES = ((784, 128), (3, 3, 64, 64))  # 100,352 and 36,864 weights

weight_lists = st.lists(
    hnp.arrays(np.float64, hnp.array_shapes(max_dims=4, max_side=5), elements=st.floats(-5, 5)),
    min_size=1,
    max_size=3,
)
lams = st.sampled_from([1e-4, 1e-3, 0.01, 0.05, 0.5])


# ---------------------------------------------------------------- dropout


@hidden
@points(2)
def test_dropout_keeps_each_unit_with_probability_1_minus_rate(learner):
    x = _inputs()
    for seed, rate in enumerate(RATES):
        out, _, what = _dropout(learner, x, rate, True, seed)
        kept = float(np.mean(out != 0))
        if abs(kept - (1 - rate)) > KEEP_TOLERANCE:
            hint = " (rate is the fraction dropped, not kept)" if abs(kept - rate) < 0.01 else ""
            raise CheckFailure(
                f"{what} kept {kept:.4f} of {x.size} units, expected {1 - rate:.2f} "
                f"+- {KEEP_TOLERANCE}{hint}"
            )


@points(2)
def test_dropout_scales_kept_units_by_1_over_1_minus_rate(learner):
    x = _inputs(1)
    for seed, rate in enumerate(RATES):
        out, mask, what = _dropout(learner, x, rate, True, seed)
        kept = out != 0
        scale = 1.0 / (1.0 - rate)
        if kept.all() or not kept.any():
            # Which units are kept is the learner's draw; it must at least be a draw.
            verb = "kept" if kept.all() else "dropped"
            raise CheckFailure(
                f"{what} {verb} every one of the {x.size} units: keep each unit with "
                f"probability 1 - rate = {1 - rate:g} and scale the kept ones by 1 / (1 - rate)"
            )
        ratios = out[kept] / x[kept]
        if ratios.size and np.allclose(ratios, 1.0):
            raise CheckFailure(
                f"{what} kept units unchanged: inverted dropout (Keras) multiplies them by "
                f"1 / (1 - rate) = {scale:.4g}, so the expected value of every unit stays x"
            )
        expect_close(out[kept], x[kept] * scale, what=f"the kept units of {what}")
        expect_close(out[~kept], np.zeros(int(np.sum(~kept))), what=f"the dropped units of {what}")
        expect_close(mask, np.where(kept, scale, 0.0), what=f"mask of {what} (0 or 1 / (1 - rate))")


@points(1)
@given(x=hnp.arrays(np.float64, hnp.array_shapes(max_dims=3), elements=st.floats(-10, 10)))
def test_dropout_at_inference_passes_x_through(learner, x):
    out, mask, what = _dropout(learner, x, 0.5, False, 0)
    expect_equal(out, x, what=f"out of {what} (at inference dropout does nothing)")
    expect_equal(mask, np.ones(x.shape), what=f"mask of {what} (all ones at inference)")


@hidden
@points(1)
def test_dropout_with_rate_1_drops_every_unit(learner):
    x = _inputs(2)[:20, :50]
    out, mask, what = _dropout(learner, x, 1.0, True, 0)
    if not np.all(np.isfinite(mask)):
        raise CheckFailure(
            f"the mask of {what} holds NaN or inf: with rate = 1, 1 / (1 - rate) divides by "
            "zero. Every unit is dropped, so the mask is all 0 (handle rate = 1 on its own)"
        )
    expect_equal(mask, np.zeros(x.shape), what=f"mask of {what} (rate 1 drops every unit)")
    expect_equal(out, np.zeros(x.shape), what=f"out of {what} (rate 1 drops every unit)")


@hidden
@points(1)
def test_dropout_keeps_the_units_whose_draw_is_at_least_rate(learner, check_seed):
    x = _inputs(3)[:40, :50]
    for index, rate in enumerate(RATES):
        seed = check_seed(30 + index)
        out, _, what = _dropout(learner, x, rate, True, seed)
        expected = np.random.default_rng(seed).random(x.shape) >= rate
        differ = int(np.sum((out != 0) != expected))
        if differ:
            raise CheckFailure(
                f"{what} kept or dropped {differ} of {x.size} units otherwise than the docstring "
                "says: draw u = rng.random(x.shape) once, one number per unit, and keep the "
                "units where u >= rate"
            )


@points(1)
def test_dropout_draws_its_mask_from_rng(learner):
    x = np.ones((20, 50))
    first = _dropout(learner, x, 0.5, True, 7)[1]
    again = _dropout(learner, x, 0.5, True, 7)[1]
    other = _dropout(learner, x, 0.5, True, 8)[1]
    if not np.array_equal(first, again):
        raise CheckFailure(
            "dropout_forward gave two different masks for the same seed: draw the random "
            "numbers from the rng argument only (e.g. rng.random(x.shape))"
        )
    if np.array_equal(first, other):
        raise CheckFailure("dropout_forward gave the same mask for two different seeds")


@points(1)
@given(
    dout=hnp.arrays(np.float64, hnp.array_shapes(max_dims=3), elements=st.floats(-10, 10)),
    rate=st.sampled_from(RATES),
    seed=st.integers(0, 2**16),
)
def test_dropout_backward_multiplies_by_the_mask(learner, tf, dout, rate, seed):
    keep = np.random.default_rng(seed).random(dout.shape) >= rate
    mask = keep / (1.0 - rate)
    (expected,) = tf_gradient(lambda x: x * mask, [np.zeros(dout.shape)], dout)
    got = learner.dropout_backward(dout, mask)
    expect_close(got, expected, what=f"dropout_backward(dout, mask) for rate {rate}")


# ---------------------------------------------------------------- fans and initialisers


@points(2)
@given(shape=weight_shapes)
def test_fans_match_keras(learner, keras, shape):
    from keras.src.initializers.random_initializers import compute_fans

    expected = compute_fans(shape)
    got = learner.fans(shape)
    if not isinstance(got, tuple | list) or len(got) != 2:
        raise CheckFailure(f"fans({shape}) should be a pair (fan_in, fan_out), got {got!r}")
    if not all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in got):
        raise CheckFailure(
            f"fans({shape}) gave {got!r}: return the two fans as Python ints, e.g. int(fan_in)"
        )
    got = tuple(int(v) for v in got)
    expect_equal(got, expected, what=f"fans({shape}) (Keras computes {expected})")


@points(1)
def test_glorot_uniform_stays_within_its_limit(learner, keras):
    for shape, (fan_in, fan_out), w in _drawn_weights(learner, "glorot_uniform"):
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        biggest = float(np.max(np.abs(w)))
        if biggest > limit * (1 + 1e-12):
            fan_in_only = np.sqrt(6.0 / fan_in)
            hint = (
                f": the limit looks like sqrt(6 / fan_in) = {fan_in_only:.4g}, Glorot uses "
                "fan_in + fan_out"
                if biggest > 0.98 * fan_in_only and biggest <= fan_in_only * (1 + 1e-12)
                else ""
            )
            raise CheckFailure(
                f"glorot_uniform({shape}, rng) has a value {biggest:.4g} outside "
                f"+-sqrt(6 / (fan_in + fan_out)) = +-{limit:.4g}{hint}"
            )
        if biggest < 0.99 * limit:
            raise CheckFailure(
                f"glorot_uniform({shape}, rng) never comes near its limit {limit:.4g} "
                f"(largest |w| is {biggest:.4g} in {w.size} draws): draw uniformly from "
                "[-limit, limit] with limit = sqrt(6 / (fan_in + fan_out))"
            )


@hidden
@points(1)
def test_glorot_uniform_is_spread_evenly_over_its_range(learner, keras, check_seed):
    for shape, (fan_in, fan_out), w in _drawn_weights(learner, "glorot_uniform", check_seed, 10):
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        what = f"glorot_uniform({shape}, rng)"
        counts = np.histogram(w, bins=10, range=(-limit, limit))[0] / w.size
        # Each bin holds 10% of the draws; 0.015 is over six standard errors here.
        if np.max(np.abs(counts - 0.1)) > 0.015:
            raise CheckFailure(
                f"{what} is not uniform on [-{limit:.4g}, {limit:.4g}]: the ten equal bins hold "
                f"{np.array2string(counts, precision=3)} of the draws, each should hold "
                "0.1 +- 0.015"
            )
        _expect_standard_deviation(w, limit / np.sqrt(3.0), 0.02, what, "limit / sqrt(3)")


@hidden
@points(1)
def test_he_normal_is_truncated_at_two_standard_deviations(learner, keras, check_seed):
    for shape, (fan_in, _), w in _drawn_weights(learner, "he_normal", check_seed):
        untruncated = np.sqrt(2.0 / fan_in) / TRUNCATION
        biggest = float(np.max(np.abs(w)))
        what = f"he_normal({shape}, rng)"
        if biggest > 2 * untruncated * (1 + 1e-12):
            raise CheckFailure(
                f"{what} has a value {biggest:.4g} beyond 2 standard deviations "
                f"(2 * sqrt(2 / fan_in) / {TRUNCATION:.4f} = {2 * untruncated:.4g}): redraw "
                "every standard normal sample whose absolute value is over 2"
            )
        if biggest < 1.9 * untruncated:
            raise CheckFailure(
                f"{what} never goes beyond {biggest:.4g} in {w.size} draws: a normal truncated "
                f"at 2 standard deviations reaches close to {2 * untruncated:.4g}"
            )


@hidden
@points(1)
def test_he_normal_has_standard_deviation_sqrt_2_over_fan_in(learner, keras, check_seed):
    # The standard error of the sample std is 0.19% and 0.31% of it: over six of them.
    drawn = _drawn_weights(learner, "he_normal", check_seed, 20)
    for (shape, (fan_in, fan_out), w), tolerance in zip(drawn, (0.012, 0.02), strict=True):
        expected = np.sqrt(2.0 / fan_in)
        what = f"he_normal({shape}, rng)"
        hints = [
            (expected / TRUNCATION, f"did you divide by {TRUNCATION:.4f} without truncating?"),
            (expected * TRUNCATION, f"after truncating, divide the stddev by {TRUNCATION:.4f}"),
            (np.sqrt(2.0 / fan_out), "that is sqrt(2 / fan_out): He uses fan_in"),
            (np.sqrt(1.0 / fan_in), "that is sqrt(1 / fan_in): He uses 2 / fan_in"),
        ]
        _expect_standard_deviation(w, expected, tolerance, what, "sqrt(2 / fan_in)", hints)
        if abs(float(np.mean(w))) > 0.05 * expected:
            raise CheckFailure(
                f"{what} has mean {np.mean(w):.3g}, expected 0 +- {0.05 * expected:.3g}"
            )


@points(1)
def test_initialisers_draw_from_rng(learner):
    for name in ("glorot_uniform", "he_normal"):
        shape = (30, 20)
        first = _draw(learner, name, shape, 3)
        again = _draw(learner, name, shape, 3)
        other = _draw(learner, name, shape, 4)
        if not np.array_equal(first, again):
            raise CheckFailure(
                f"{name} gave different weights for the same seed: draw only from the rng argument"
            )
        if np.array_equal(first, other):
            raise CheckFailure(f"{name} gave the same weights for two different seeds")
        if len(np.unique(first)) < first.size // 2:
            raise CheckFailure(f"{name}({shape}, rng) repeats values: draw every weight at random")


# ---------------------------------------------------------------- L2 penalty


@points(1)
@given(weights=weight_lists, lam=lams)
def test_l2_penalty_matches_tensorflow(learner, tf, weights, lam):
    expected = _tf_penalty(tf, lam)(*[tf.constant(w, tf.float64) for w in weights])
    penalty, _ = _l2_penalty(learner, weights, lam)
    expect_close(penalty, expected, what=f"the penalty of l2_penalty(weights, {lam})")


@points(1)
@given(weights=weight_lists, lam=lams)
def test_l2_penalty_gradients_match_gradient_tape(learner, tf, weights, lam):
    expected = tf_gradient(_tf_penalty(tf, lam), weights, np.float64(1.0))
    _, grads = _l2_penalty(learner, weights, lam)
    if not isinstance(grads, list | tuple) or len(grads) != len(weights):
        raise CheckFailure(
            f"the grads of l2_penalty should be a list of {len(weights)} arrays, one per weight "
            f"array, got {type(grads).__name__}"
        )
    for i, (got, want) in enumerate(zip(grads, expected, strict=True)):
        expect_close(got, want, what=f"grads[{i}] of l2_penalty(weights, {lam})")


@points(1)
def test_l2_penalty_worked_example(learner):
    penalty, grads = _l2_penalty(learner, [np.array([1.0, -2.0])], 0.01)
    what = "l2_penalty([array([1, -2])], 0.01)"
    expect_close(penalty, 0.05, what=f"the penalty of {what}")
    if not isinstance(grads, list | tuple) or len(grads) != 1:
        raise CheckFailure(f"the grads of {what} should be a list of one array")
    expect_close(grads[0], [0.02, -0.04], what=f"grads[0] of {what}")


# ---------------------------------------------------------------- helpers


def _dropout(learner, x, rate, training, seed):
    result = learner.dropout_forward(x, rate, training, np.random.default_rng(seed))
    if not isinstance(result, tuple | list) or len(result) != 2:
        raise CheckFailure(
            f"dropout_forward should return a tuple (out, mask), got {type(result).__name__}"
        )
    what = f"dropout_forward(x, rate={rate}, training={training}, rng)"
    out = expect_shape(result[0], x.shape, f"out of {what}").astype(np.float64)
    mask = expect_shape(result[1], x.shape, f"mask of {what}").astype(np.float64)
    return out, mask, what


def _inputs(seed=0):
    """Positive inputs, so a dropped unit (0) is never confused with a kept one."""
    return np.random.default_rng(seed).uniform(0.5, 1.5, DROPOUT_SHAPE)


def _draw(learner, name, shape, seed):
    """The learner's weights name(shape, rng), after checking their shape and dtype."""
    got = expect_shape(
        learner.call(name, shape, np.random.default_rng(seed)), shape, f"{name}({shape}, rng)"
    )
    if got.dtype != np.float64:
        raise CheckFailure(f"{name}({shape}, rng) returned {got.dtype} weights: return float64")
    return got


def _drawn_weights(learner, name, check_seed=None, first_seed=0):
    """For each of INIT_SHAPES: (shape, Keras' (fan_in, fan_out), the learner's
    name(shape, rng)), the i-th rng seeded with first_seed + i (through check_seed if given).

    A generator: each draw is made when the loop reaches it."""
    for i, shape in enumerate(INIT_SHAPES):
        seed = first_seed + i if check_seed is None else check_seed(first_seed + i)
        yield shape, _fans(shape), _draw(learner, name, shape, seed)


def _expect_standard_deviation(w, expected, tolerance, what, formula, hints=()):
    """Fail unless the standard deviation of the weights w is `expected` (written as
    `formula` in the message) within the relative `tolerance`.

    hints: (a standard deviation a known mistake gives, what to say about it); the first
    one w's matches within the tolerance is added to the message.
    """
    std = float(np.std(w))
    if abs(std / expected - 1) > tolerance:
        hint = next((h for value, h in hints if abs(std / value - 1) <= tolerance), "")
        raise CheckFailure(
            f"{what} has standard deviation {std:.4g}, expected {formula} = "
            f"{expected:.4g} within {tolerance:.0%}" + (f": {hint}" if hint else "")
        )


def _fans(shape):
    """Keras' (fan_in, fan_out) of a weight shape (the checks that call it ask for the keras
    fixture, so Keras is imported)."""
    from keras.src.initializers.random_initializers import compute_fans

    return compute_fans(shape)


def _l2_penalty(learner, weights, lam):
    result = learner.l2_penalty(weights, lam)
    if not isinstance(result, tuple | list) or len(result) != 2:
        raise CheckFailure(
            f"l2_penalty should return a tuple (penalty, grads), got {type(result).__name__}"
        )
    return result


def _tf_penalty(tf, lam):
    return lambda *ws: lam * tf.add_n([tf.reduce_sum(tf.square(w)) for w in ws])
