"""Checks for exercise 17: linear classifiers (scores, SVM and softmax losses, the
perceptron, preprocessing, mini-batch SGD), against TensorFlow and Keras, then on CIFAR-10.

The losses are compared in float64 with TensorFlow: the softmax loss with
tf.nn.softmax_cross_entropy_with_logits on one-hot labels, the hinge written with
tf ops, the gradients from tf.GradientTape. The hinge uses tf.nn.relu, whose
gradient at exactly 0 is 0 (the strict `margin > 0` of the contract; tf.maximum(m, 0)
would give 1 there), and the drawn inputs keep every margin away from 0 except in
the check made for ties. Graded last: the learner's train_linear on the shared
CIFAR-10 data, preprocessed as the learner's preprocess does it (tried on a sample);
the test labels stay here, where the test accuracy is computed.
"""

from functools import partial

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from grader.checks.checking import (
    CheckFailure,
    expect_close,
    expect_equal,
    expect_shape,
    expect_value_error,
    expect_vectorised,
    hidden,
    naming_overflow,
    points,
)
from grader.checks.mistakes import Mistake, Symptom
from grader.checks.strategies import seeds
from grader.engine import data, figures
from grader.engine.capstone import CapstoneProblem
from grader.engine.oracles import tf_gradient
from grader.sandbox import LearnerError, LearnerProblem

LOSS_RTOL = 1e-6  # float64 against TensorFlow in float64: only rounding differs
TIE_GAP = 1e-6  # drawn margins stay this far from 0, where NumPy and TF could round apart
NOVIKOFF_MARGIN = 0.15
"""Every point drawn for the perceptron lies at least this far from the separating
hyperplane, measured in the space of (x, 1) where (w*, b*) is a unit vector: the bias
folded in, as the perceptron's update b + y does. Novikoff's theorem then bounds the
perceptron's total mistakes by (R / margin)**2, R the largest norm of a row (x, 1)."""
XOR = (np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]), np.array([-1, 1, 1, -1]))

# Speed: 100,000 samples of 2 features, ten classes. What a loop over the samples costs
# (some 8-15 us of Python per sample) shows against whole-array work (~0.1 us per sample):
# measured here, svm_loss 6 ms and a loop 1.4 s, softmax_loss 9 ms and a loop 0.75 s.
# The reference is timed on blocks of REFERENCE_BLOCK rows: OpenBLAS runs a matrix product
# below 2**18 multiply-adds on one thread, as the worker's BLAS always runs, so the time is
# the reference's work and not a second thread spinning (in one piece it measured 14 to
# 50 ms from one run to the next). On CIFAR-sized rows (D = 3073) the matrix product
# dominates and a loop over the samples is only ~8x slower: no speed bound could tell.
SPEED_ROWS, SPEED_FEATURES, SPEED_CLASSES = 100_000, 2, 10
REFERENCE_BLOCK = 10_000

# CIFAR-10: the settings the learner's train_linear gets, and the test-accuracy bars.
CIFAR_SETTINGS = {"lr": 0.05, "reg": 0.01, "epochs": 10, "batch_size": 200}
CIFAR_SEED = 0
CIFAR_SAMPLE = (500, 200)  # the training and test images the learner's preprocess is tried on
CIFAR_IMAGE = (32, 32, 3)
FULL_CIFAR = 50_000
BARS = {
    # The shared subset (10,000 training images decoded from a JPEG copy, 5,000 test
    # images): the reference measured over rng seeds 0-4 on this machine, softmax
    # 37.3-38.1%, SVM 33.3-35.4% (33.26% at seed 0); the bar is the worst seed minus
    # 2 points (issue 16; its floors were 34% / 31%, CURRICULUM.md measured 37.7% / 33.5%).
    "subset": {"softmax": 0.353, "svm": 0.313},
    # The full 50,000 training images: NOT measured, they are not on this machine.
    # CS231n's published bars on 49,000 images are softmax > 36%, SVM > 38.5% (tuned, more
    # epochs). A stand-in run on 5 copies of the subset's 10,000 images scored softmax
    # above 36% and SVM 34.2%, so the full-set bars are softmax 36%, SVM 33% until the
    # reference is measured where the full set is present.
    "full": {"softmax": 0.36, "svm": 0.33},
}


@st.composite
def loss_cases(draw):
    """(w, x, y, reg) for a loss: N 1..8 samples, D 1..6 features, C 2..6 classes, every
    SVM margin of a class j != y at least TIE_GAP away from 0."""
    rng = np.random.default_rng(draw(seeds))
    n, d, c = draw(st.integers(1, 8)), draw(st.integers(1, 6)), draw(st.integers(2, 6))
    w = rng.standard_normal((d, c))
    x = rng.standard_normal((n, d)) * draw(st.sampled_from([1.0, 10.0]))
    y = rng.integers(0, c, n)
    rows = np.arange(n)
    scores = x @ w
    margins = scores - scores[rows, y][:, None] + 1.0
    margins[rows, y] = 1.0
    assume(np.min(np.abs(margins)) > TIE_GAP)
    return w, x, y, draw(st.sampled_from([0.0, 0.01, 0.5]))


@st.composite
def tied_cases(draw):
    """(w, x, y, reg) with whole numbers (exact in floating point) and a margin of exactly
    0: sample 0's for a class j != y[0]. The last feature is 1 (a bias), and the bias of
    class j is moved so that s[j] - s[y] + 1 is 0."""
    rng = np.random.default_rng(draw(seeds))
    n, d, c = draw(st.integers(1, 6)), draw(st.integers(2, 5)), draw(st.integers(2, 5))
    x = rng.integers(-3, 4, (n, d)).astype(np.float64)
    x[:, -1] = 1.0
    w = rng.integers(-3, 4, (d, c)).astype(np.float64)
    y = rng.integers(0, c, n)
    j = (y[0] + draw(st.integers(1, c - 1))) % c
    scores = x[0] @ w
    w[-1, j] -= scores[j] - scores[y[0]] + 1.0
    return w, x, y, draw(st.sampled_from([0.0, 0.5]))


@st.composite
def separable_data(draw):
    """(x, y, bound): 1..30 points in [-1, 1]^D (D 1..4) labelled by a random unit (w*, b*)
    of the space of (x, 1), each at least NOVIKOFF_MARGIN from its hyperplane; bound is
    Novikoff's (R / margin)**2 with the margin the closest point's."""
    rng = np.random.default_rng(draw(seeds))
    n, d = draw(st.integers(1, 30)), draw(st.integers(1, 4))
    unit = rng.standard_normal(d + 1)
    unit /= np.linalg.norm(unit)
    candidates = rng.uniform(-1.0, 1.0, (100 * n, d))
    augmented = np.hstack([candidates, np.ones((len(candidates), 1))])
    keep = np.abs(augmented @ unit) >= NOVIKOFF_MARGIN
    assume(keep.sum() >= n)
    x, augmented = candidates[keep][:n], augmented[keep][:n]
    y = np.where(augmented @ unit > 0, 1, -1)
    radius = np.max(np.linalg.norm(augmented, axis=1))
    margin = np.min(y * (augmented @ unit))
    return x, y, (radius / margin) ** 2


@st.composite
def perceptron_cases(draw):
    """(w, b, x, y) of whole numbers, so that a score of exactly 0 comes up often."""
    rng = np.random.default_rng(draw(seeds))
    d = draw(st.integers(1, 5))
    w = rng.integers(-2, 3, d).astype(np.float64)
    x = rng.integers(-2, 3, d).astype(np.float64)
    return w, float(rng.integers(-2, 3)), x, draw(st.sampled_from([-1, 1]))


@st.composite
def image_pairs(draw):
    """(x_train, x_other): uint8 images (N, ...) and (M, ...), N and M from 1 to 6, of
    one to three dimensions per image (grey (h, w) or colour (h, w, 3))."""
    rng = np.random.default_rng(draw(seeds))
    shape = draw(st.sampled_from([(5,), (3, 4), (4, 4, 3), (2, 3, 3)]))
    n, m = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    return (
        rng.integers(0, 256, (n, *shape), dtype=np.uint8),
        rng.integers(0, 256, (m, *shape), dtype=np.uint8),
    )


# ---------------------------------------------------------------- scores


@points(1)
@given(data=st.data())
def test_linear_scores_match_keras_dense(learner, keras, data):
    rng = np.random.default_rng(data.draw(seeds))
    n, d, c = (
        data.draw(st.integers(1, 6)),
        data.draw(st.integers(1, 8)),
        data.draw(st.integers(1, 5)),
    )
    pixels = data.draw(st.booleans())
    x = rng.integers(0, 256, (n, d), dtype=np.uint8) if pixels else rng.standard_normal((n, d))
    w, b = rng.standard_normal((d, c)), rng.standard_normal(c)
    dense = keras.layers.Dense(c, dtype="float64")
    dense.build((None, d))
    dense.set_weights([w, b])
    got = learner.linear_scores(x, w, b)
    what = f"linear_scores(x, w, b) for x of dtype {x.dtype}"
    expect_close(got, dense(np.asarray(x, dtype=np.float64)), what=what)
    _expect_float64(got, what)


# ---------------------------------------------------------------- losses against TensorFlow


@points(2)
@given(case=loss_cases())
def test_svm_loss_naive_matches_tensorflow(learner, tf, case):
    _expect_loss(tf, learner.svm_loss_naive(*case), "svm_loss_naive", *case)


@points(2)
@given(case=loss_cases())
def test_svm_loss_matches_tensorflow(learner, tf, case):
    _expect_loss(tf, learner.svm_loss(*case), "svm_loss", *case)


@points(1)
@given(case=tied_cases())
def test_svm_margins_of_exactly_0_count_nothing(learner, tf, case):
    """A margin of 0 adds nothing, to the loss or to dw: tf.nn.relu's gradient at 0 is 0."""
    w, x, y, reg = case
    expected_loss, expected_dw = _tf_loss(tf, "svm", w, x, y, reg)
    _, ties_counted = _tf_loss(tf, "svm", w, x, y, reg, hinge=_max_with_0(tf))
    true_class, _ = _tf_loss(tf, "svm", w, x, y, reg, true_class=True)
    loss_mistakes = [Mistake(true_class, "svm_true_class_counted")]
    mistakes = [Mistake(ties_counted, "svm_margin_ge_0")]
    for name in ("svm_loss_naive", "svm_loss"):
        loss, dw = _loss_and_gradient(getattr(learner, name)(w, x, y, reg), name)
        call = f"{name}(w, x, y, reg) (whole numbers; sample 0 has a margin of exactly 0)"
        what = f"the loss of {call}"
        expect_close(loss, expected_loss, what=what, rtol=LOSS_RTOL, mistakes=loss_mistakes)
        expect_close(dw, expected_dw, what=f"dw of {call}", rtol=LOSS_RTOL, mistakes=mistakes)


@points(2)
@given(case=loss_cases())
def test_softmax_loss_naive_matches_tensorflow(learner, tf, case):
    _expect_loss(tf, learner.softmax_loss_naive(*case), "softmax_loss_naive", *case)


@points(2)
@given(case=loss_cases())
def test_softmax_loss_matches_tensorflow(learner, tf, case):
    _expect_loss(tf, learner.softmax_loss(*case), "softmax_loss", *case)


@points(1)
def test_l2_penalty_is_reg_times_the_sum_of_squares_with_gradient_2_reg_w(learner, tf):
    """The loss at reg minus the loss at reg = 0 is the penalty alone, and so for dw."""
    rng = np.random.default_rng(17)
    w, x, y = rng.standard_normal((5, 4)), rng.standard_normal((6, 5)), rng.integers(0, 4, 6)
    reg = 0.3
    penalty = reg * tf.reduce_sum(w * w)
    (gradient,) = tf_gradient(lambda v: reg * tf.reduce_sum(v * v), [w], np.float64(1.0))
    loss_mistakes = [
        Mistake(0.5 * penalty, "l2_half"),
        Mistake(penalty / len(x), "l2_divided_by_n"),
    ]
    dw_mistakes = [
        Mistake(np.zeros_like(w), "l2_missing_from_dw"),
        Mistake(0.5 * gradient, "l2_gradient_reg_w"),
        Mistake(gradient / len(x), "l2_divided_by_n"),
    ]
    for name in ("svm_loss_naive", "svm_loss", "softmax_loss_naive", "softmax_loss"):
        with_penalty = _loss_and_gradient(getattr(learner, name)(w, x, y, reg), name)
        without = _loss_and_gradient(getattr(learner, name)(w, x, y, 0.0), name)
        expect_close(
            with_penalty[0] - without[0],
            penalty,
            what=f"{name}(w, x, y, reg=0.3) - {name}(w, x, y, reg=0.0), the penalty",
            mistakes=loss_mistakes,
        )
        expect_close(
            np.asarray(with_penalty[1]) - np.asarray(without[1]),
            gradient,
            what=f"dw of {name}(w, x, y, reg=0.3) - dw at reg=0.0, the penalty's gradient",
            mistakes=dw_mistakes,
        )


@points(1)
def test_softmax_losses_stay_finite_for_scores_in_the_thousands(learner, tf):
    rng = np.random.default_rng(1000)
    # Every class gets 2000 * x[:, 0] on top of scores of about +-1000: with x[:, 0] = 1.5
    # the scores lie in the thousands (exp overflows unless each row's maximum is
    # subtracted), and a last sample with x[:, 0] = -2 has scores some 7000 below the
    # others' (one maximum for the whole batch makes every exp of its row underflow to 0).
    w = 1000.0 * rng.standard_normal((3, 5))
    w[0] += 2000.0
    x, y = rng.standard_normal((6, 3)), rng.integers(0, 5, 6)
    x[:, 0] = 1.5
    x_far, y_far = np.vstack([x, [-2.0, *x[0, 1:]]]), np.append(y, 0)
    # Sample 0's true class scores 4509 below its best: its probability underflows to 0, so
    # -log of it is inf; the loss is log(sum(exp(s - max))) - (s[y] - max), never a log of p.
    one_sample = ((x[:1], y[:1]), "log_of_softmax")
    far_apart = ((x_far, y_far), "softmax_global_max")
    for name in ("softmax_loss_naive", "softmax_loss"):
        for inputs, mistake in (one_sample, far_apart):
            _expect_no_float_error(learner, name, (w, *inputs, 0.0), mistake)
            loss, dw = _loss_and_gradient(getattr(learner, name)(w, *inputs, 0.0), name)
            expected_loss, expected_dw = _tf_loss(tf, "softmax", w, *inputs, 0.0)
            what = f"{name}(w, x, y, reg=0.0) with scores in the thousands"
            not_finite = Symptom(
                lambda got, _, m=mistake: m if not np.isfinite(got).all() else None
            )
            expect_close(loss, expected_loss, what=f"the loss of {what}", mistakes=[not_finite])
            expect_close(dw, expected_dw, what=f"dw of {what}", mistakes=[not_finite])


@points(1)
def test_naive_and_vectorised_losses_agree_on_cifar_sized_rows(learner):
    rng = np.random.default_rng(3073)
    w = 0.001 * rng.standard_normal((3073, 10))
    x, y = rng.uniform(-0.5, 0.5, (20, 3073)), rng.integers(0, 10, 20)
    for naive, vectorised in (
        ("svm_loss_naive", "svm_loss"),
        ("softmax_loss_naive", "softmax_loss"),
    ):
        loop = _loss_and_gradient(getattr(learner, naive)(w, x, y, 0.01), naive)
        fast = _loss_and_gradient(getattr(learner, vectorised)(w, x, y, 0.01), vectorised)
        what = f"{vectorised}(w, x, y, reg) on 20 CIFAR-sized rows (expected: {naive}'s)"
        expect_close(fast[0], loop[0], what=f"the loss of {what}")
        expect_close(fast[1], loop[1], what=f"dw of {what}")


@hidden
@points(1)
def test_scores_and_losses_change_nothing_in_place(learner):
    rng = np.random.default_rng(4)
    w, x, y = rng.standard_normal((4, 3)), rng.standard_normal((5, 4)), rng.integers(0, 3, 5)
    calls = [("linear_scores", (x, w, rng.standard_normal(3)), ("x", "w", "b"))]
    for name in ("svm_loss_naive", "svm_loss", "softmax_loss_naive", "softmax_loss"):
        calls.append((name, (w, x, y, 0.1), ("w", "x", "y", "reg")))
    for name, sent, labels in calls:
        kept = [np.copy(value) for value in sent]
        _, echoed, _ = learner.call(name, *sent, echo_args=True)
        for label, before, after in zip(labels, kept, echoed, strict=True):
            if not np.array_equal(before, after):
                raise CheckFailure(
                    f"{name} changed its argument {label} in place: work on new arrays "
                    f"(np.asarray(...) of a float64 array is the same array, not a copy)"
                )


@hidden
@points(2)
def test_svm_loss_is_vectorised(learner, reference, check_seed):
    _expect_fast_loss(learner, reference, "svm_loss", check_seed(2017))


@hidden
@points(2)
def test_softmax_loss_is_vectorised(learner, reference, check_seed):
    _expect_fast_loss(learner, reference, "softmax_loss", check_seed(2018))


# ---------------------------------------------------------------- the perceptron


@points(1)
def test_perceptron_step_worked_examples(learner):
    w, x = np.array([1.0, -1.0]), np.array([2.0, 1.0])
    cases = [
        # score 2 - 1 + 0.5 = 1.5: y = -1 is on the wrong side, y = +1 on the right one
        ((w, 0.5, x, -1), ([-1.0, -2.0], -0.5, True), "y * score = -1.5 <= 0: a mistake"),
        ((w, 0.5, x, 1), ([1.0, -1.0], 0.5, False), "y * score = 1.5 > 0: right, no change"),
        # a score of exactly 0 is a mistake, whichever the label: learning starts from w = 0
        ((np.zeros(2), 0.0, x, 1), ([2.0, 1.0], 1.0, True), "score 0 from w = 0: a mistake"),
        ((np.array([1.0, -2.0]), 0.0, x, -1), ([-1.0, -3.0], -1.0, True), "score 0: a mistake"),
    ]
    for args, (new_w, new_b, mistake), why in cases:
        got = _step_result(learner.perceptron_step(*args))
        what = f"perceptron_step(w={args[0].tolist()}, b={args[1]}, x=[2.0, 1.0], y={args[3]})"
        # On a score of 0, an unchanged w is the `< 0` mistake.
        kept = [Mistake(args[0], "perceptron_score_0_not_a_mistake")] if "score 0" in why else []
        expect_close(got[0], np.array(new_w), what=f"new_w of {what} ({why})", mistakes=kept)
        expect_close(got[1], new_b, what=f"new_b of {what} ({why})")
        if bool(got[2]) is not mistake:
            raise CheckFailure(
                f"mistake of {what} is {got[2]!r}, expected {mistake} ({why})"
                + ("; misclassified means y * (w @ x + b) <= 0" if mistake else "")
            )


@hidden
@points(1)
@given(case=perceptron_cases())
def test_perceptron_step_follows_the_rule_on_random_samples(learner, case):
    w, b, x, y = case
    got = _step_result(learner.perceptron_step(w, b, x, y))
    expected = _perceptron_rule(w, b, x, y, strict=False)
    strict = _perceptron_rule(w, b, x, y, strict=True)
    what = f"perceptron_step(w, b, x, y) with y * (w @ x + b) = {y * (w @ x + b) + 0.0:g}"
    named = [Mistake(strict[0], "perceptron_score_0_not_a_mistake")]
    expect_close(got[0], expected[0], what=f"new_w of {what}", mistakes=named)
    expect_close(got[1], expected[1], what=f"new_b of {what}")
    expect_equal(bool(got[2]), expected[2], what=f"mistake of {what}")


@points(1)
def test_perceptron_step_returns_a_new_array_a_float_and_a_bool(learner):
    w, x = np.array([0.5, -1.0, 2.0]), np.array([1.0, 1.0, -1.0])
    for y in (1, -1):  # a mistake (score -2.5 for y = +1) and a right answer
        sent = (w.copy(), 0.0, x.copy(), y)
        result, echoed, _ = learner.call("perceptron_step", *sent, echo_args=True)
        new_w, new_b, mistake = _step_result(result)
        what = f"perceptron_step(w=[0.5, -1.0, 2.0], b=0.0, x=[1.0, 1.0, -1.0], y={y})"
        for label, before, after in zip(("w", "b", "x", "y"), sent, echoed, strict=True):
            if not np.array_equal(before, after):
                raise CheckFailure(
                    f"{what} changed its argument {label} in place: return a new array, "
                    f"w + y * x, instead of w += y * x"
                )
        if not isinstance(new_w, np.ndarray) or new_w.shape != (3,):
            raise CheckFailure(f"new_w of {what} should be an array of shape (3,), got {new_w!r}")
        if not isinstance(new_b, float | np.floating):
            raise CheckFailure(f"new_b of {what} should be a float, got {new_b!r}")
        if not isinstance(mistake, bool | np.bool_):
            raise CheckFailure(f"mistake of {what} should be True or False, got {mistake!r}")


@points(2)
@given(case=separable_data())
def test_train_perceptron_separates_data_with_a_margin_within_the_novikoff_bound(learner, case):
    x, y, bound = case
    epochs = int(bound) + 2  # room for every mistake the theorem allows, and a clean epoch
    w, b, mistakes = _perceptron_result(learner.train_perceptron(x, y, epochs))
    call = f"train_perceptron(x, y, epochs={epochs}) on {len(x)} separable points"
    if not mistakes or mistakes[-1] != 0 or 0 in mistakes[:-1]:
        raise CheckFailure(
            f"{call} returned the mistakes {mistakes}: training stops after the first "
            "epoch without a mistake, so the list ends with its 0 and holds no other 0"
        )
    wrong = int(np.sum(y * (x @ np.asarray(w) + b) <= 0))
    if wrong:
        raise CheckFailure(
            f"after {call} (mistakes per epoch {mistakes}), {wrong} of {len(x)} points are "
            f"on the wrong side (or on the boundary) of w @ x + b = 0{_from_zero(mistakes)}"
        )
    if sum(mistakes) > bound:
        raise CheckFailure(
            f"{call} made {sum(mistakes)} mistakes ({mistakes}), more than Novikoff's "
            f"bound (R / margin)**2 = {bound:.1f}: is w updated by y * x and b by y?"
        )


@hidden
@points(1)
@given(data=st.data())
def test_train_perceptron_matches_the_reference_mistake_by_mistake(learner, reference, data):
    rng = np.random.default_rng(data.draw(seeds))
    n, d = data.draw(st.integers(1, 12)), data.draw(st.integers(1, 3))
    x = rng.integers(-3, 4, (n, d)).astype(np.float64)
    y = rng.choice([-1, 1], n)
    epochs = data.draw(st.integers(1, 8))
    w, b, mistakes = _perceptron_result(learner.train_perceptron(x, y, epochs))
    expected_w, expected_b, expected = reference.train_perceptron(x, y, epochs)
    what = f"train_perceptron(x, y, epochs={epochs})"
    strict = _strict_perceptron(x, y, epochs)
    named = [Mistake(strict, "perceptron_score_0_not_a_mistake")]
    expect_close(mistakes, expected, what=f"the mistakes per epoch of {what}", mistakes=named)
    expect_close(w, expected_w, what=f"w of {what}")
    expect_close(b, expected_b, what=f"b of {what}")


@hidden
@points(1)
def test_train_perceptron_rejects_labels_other_than_minus_1_and_1(learner):
    x = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]])
    for y in (np.array([0, 1, 1]), np.array([-1, 1, 0])):
        _expect_value_error(
            learner, "train_perceptron", (x, y, 5), f"train_perceptron(x, y={y.tolist()}, epochs=5)"
        )


@hidden
@points(1)
def test_train_perceptron_stops_after_epochs_on_xor(learner):
    x, y = XOR
    _, _, mistakes = _perceptron_result(learner.train_perceptron(x, y, 7))
    if len(mistakes) != 7 or 0 in mistakes:
        raise CheckFailure(
            f"train_perceptron on XOR with epochs=7 returned the mistakes {mistakes}: no line "
            "separates XOR, so every epoch makes a mistake and training stops after 7 epochs"
            + _from_zero(mistakes)
        )


# ---------------------------------------------------------------- preprocessing


@points(2)
@given(images=image_pairs())
def test_preprocess_matches_tensorflow(learner, tf, images):
    x_train, x_other = images
    got = learner.preprocess(x_train, x_other)
    _expect_preprocessed(tf, got, x_train, x_other, "preprocess(x_train, x_other)")


@points(1)
def test_preprocess_centres_the_test_images_with_the_training_mean(learner, tf):
    rng = np.random.default_rng(255)
    x_train = rng.integers(0, 101, (8, 4, 4, 3), dtype=np.uint8)  # dark images
    x_other = rng.integers(155, 256, (3, 4, 4, 3), dtype=np.uint8)  # bright ones
    what = "preprocess(x_train, x_other), dark training and bright test images"
    _expect_preprocessed(tf, learner.preprocess(x_train, x_other), x_train, x_other, what)


# ---------------------------------------------------------------- training


@points(1)
def test_train_linear_records_one_loss_per_batch(learner):
    rng = np.random.default_rng(5)
    # (N, batch_size, epochs, batches in all: epochs * ceil(N / batch_size))
    for n, batch_size, epochs, batches in ((23, 5, 3, 15), (20, 5, 2, 8), (7, 10, 4, 4)):
        x = rng.standard_normal((n, 3))
        y = np.arange(n) % 3
        settings = {"lr": 0.1, "reg": 0.01, "epochs": epochs, "batch_size": batch_size}
        w, b, history = _linear_result(
            learner.train_linear(x, y, "softmax", rng=np.random.default_rng(0), **settings)
        )
        call = f"train_linear on N={n} rows with batch_size={batch_size}, epochs={epochs}"
        expect_shape(history, (batches,), what=f"loss_history of {call} (one loss per batch)")
        expect_shape(w, (3, 3), what=f"w of {call} (D features, C classes)")
        expect_shape(b, (3,), what=f"b of {call}")


@points(2)
def test_train_linear_steps_like_keras_dense_and_sgd_on_the_same_batches(learner, tf, keras):
    rng = np.random.default_rng(6)
    x = rng.standard_normal((23, 4))
    y = np.array([0, 2, 3] * 7 + [0, 3])  # class 1 never appears: still C = max(y) + 1 = 4
    settings = {"lr": 0.1, "reg": 0.05, "epochs": 3, "batch_size": 5}
    for loss in ("softmax", "svm"):
        result = learner.train_linear(x, y, loss, rng=np.random.default_rng(3), **settings)
        w, b, history = _linear_result(result)
        expected = _keras_sgd(tf, keras, loss, x, y, rng=np.random.default_rng(3), **settings)
        call = f"train_linear(x, y, {loss!r}, lr=0.1, reg=0.05, epochs=3, batch_size=5, rng)"
        for got, want, part in zip(
            (w, b, history), expected, ("w", "b", "loss_history"), strict=True
        ):
            expect_close(got, want, what=f"{part} of {call}", rtol=LOSS_RTOL)


@points(1)
def test_train_linear_with_rng_none_uses_default_rng_0(learner):
    rng = np.random.default_rng(7)
    x, y = rng.standard_normal((12, 3)), np.arange(12) % 2
    settings = {"lr": 0.1, "reg": 0.01, "epochs": 2, "batch_size": 5}
    seeded = _linear_result(
        learner.train_linear(x, y, "svm", rng=np.random.default_rng(0), **settings)
    )
    default = _linear_result(learner.train_linear(x, y, "svm", rng=None, **settings))
    call = "train_linear(x, y, 'svm', lr=0.1, reg=0.01, epochs=2, batch_size=5, rng=None)"
    for got, want, part in zip(default, seeded, ("w", "b", "loss_history"), strict=True):
        what = f"{part} of {call} (expected: your result with rng=np.random.default_rng(0))"
        expect_close(got, want, what=what, rtol=0.0, atol=0.0)


@hidden
@points(1)
def test_train_linear_rejects_an_unknown_loss(learner):
    x, y = np.zeros((4, 2)), np.array([0, 1, 0, 1])
    for loss in ("hinge", "mse"):
        _expect_value_error(
            learner, "train_linear", (x, y, loss), f"train_linear(x, y, loss={loss!r})"
        )


@hidden
@points(1)
@given(data=st.data())
def test_train_linear_matches_the_reference_exactly(learner, reference, data):
    rng = np.random.default_rng(data.draw(seeds))
    n, d, c = (
        data.draw(st.integers(2, 30)),
        data.draw(st.integers(1, 5)),
        data.draw(st.integers(2, 4)),
    )
    x, y = rng.standard_normal((n, d)), rng.integers(0, c, n)
    loss = data.draw(st.sampled_from(["softmax", "svm"]))
    seed = data.draw(seeds)
    settings = {
        "lr": 0.1,
        "reg": data.draw(st.sampled_from([0.0, 0.05])),
        "epochs": data.draw(st.integers(1, 3)),
        "batch_size": data.draw(st.integers(1, 12)),
    }
    got = _linear_result(
        learner.train_linear(x, y, loss, rng=np.random.default_rng(seed), **settings)
    )
    expected = reference.train_linear(x, y, loss, rng=np.random.default_rng(seed), **settings)
    shown = ", ".join(f"{k}={v}" for k, v in settings.items())
    call = f"train_linear(x, y, {loss!r}, {shown}, rng=np.random.default_rng({seed}))"
    for index, part in enumerate(("w", "b", "loss_history")):
        named = [
            Mistake(
                partial(_drawn_in_order, reference, x, y, loss, seed, order, index, settings),
                "rng_draw_order",
            )
            for order in ("permutation_first", "one_permutation")
        ]
        expect_close(
            got[index], expected[index], what=f"{part} of {call}", rtol=1e-9, mistakes=named
        )


# ---------------------------------------------------------------- CIFAR-10


@points(3)
def test_softmax_classifier_reaches_the_bar_on_cifar10(
    learner, tf, keras, cifar10, cifar10_rows, collector, note
):
    _expect_cifar_accuracy(learner, (tf, keras), cifar10, cifar10_rows, collector, note, "softmax")


@points(3)
def test_svm_classifier_reaches_the_bar_on_cifar10(
    learner, tf, keras, cifar10, cifar10_rows, collector, note
):
    _expect_cifar_accuracy(learner, (tf, keras), cifar10, cifar10_rows, collector, note, "svm")


# ---------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def cifar10(dataset_or_failure):
    """CIFAR-10 as keras.datasets returns it (loaded once); missing data is a plain failure."""
    return dataset_or_failure("cifar10")


@pytest.fixture(scope="module")
def cifar10_rows(learner, tf, cifar10):
    """(train, test): CIFAR-10 preprocessed as the learner's preprocess does it (once).

    The worker cannot send the 10,000 preprocessed training rows back (368 MiB with the
    test rows; an answer is capped at 64 MiB), so the learner's preprocess is tried on
    CIFAR_SAMPLE of the images and must match flatten / 255 / training-mean centring
    there (as its own checks require); then the same is done here to all the images.
    """
    (x_train, _), (x_test, _) = cifar10
    train_sample, test_sample = x_train[: CIFAR_SAMPLE[0]], x_test[: CIFAR_SAMPLE[1]]
    what = f"preprocess(x_train[:{CIFAR_SAMPLE[0]}], x_test[:{CIFAR_SAMPLE[1]}]) of CIFAR-10"
    try:
        result = learner.preprocess(train_sample, test_sample)
    except LearnerProblem as problem:  # kept for both checks that need the rows
        raise CapstoneProblem(str(problem), problem.status) from None
    try:
        _expect_preprocessed(tf, result, train_sample, test_sample, what)
    except CheckFailure as failure:
        raise CheckFailure(
            f"{failure}\nthe classifiers are trained on the images preprocessed as your "
            "preprocess does it: fix preprocess first (its own checks say more)"
        ) from None
    train, test = _tf_rows(tf, x_train), _tf_rows(tf, x_test)
    mean = tf.reduce_mean(train, axis=0)
    return np.asarray(train - mean), np.asarray(test - mean)


def _expect_cifar_accuracy(learner, oracles, cifar10, rows, collector, note, loss: str) -> None:
    """Train the learner's classifier on the preprocessed CIFAR-10 training rows; check its
    weights are those of the same SGD in Keras (so no other fit, e.g. a closed form, scores
    here); score it on the test rows (the test labels never reach the worker); plot its
    class templates."""
    (x_train, y_train), (_, y_test) = cifar10
    train, test = rows
    labels = y_train.ravel().astype(np.int64)
    result = learner.train_linear(
        train, labels, loss, rng=np.random.default_rng(CIFAR_SEED), **CIFAR_SETTINGS
    )
    w, b, history = _linear_result(result)
    what = f"train_linear on CIFAR-10 ({loss})"
    w = expect_shape(w, (train.shape[1], 10), f"w of {what}")
    b = expect_shape(b, (10,), f"b of {what}")
    rng = np.random.default_rng(CIFAR_SEED)
    expected = _keras_sgd(*oracles, loss, train, labels, rng=rng, **CIFAR_SETTINGS)
    for got, want, part in zip((w, b, history), expected, ("w", "b", "loss_history"), strict=True):
        expect_close(got, want, what=f"{part} of {what}, against the same SGD in Keras", rtol=1e-5)
    accuracy = float(np.mean(np.argmax(test @ w + b, axis=1) == y_test.ravel()))
    size = "full" if len(x_train) >= FULL_CIFAR else "subset"
    bar, which = BARS[size][loss], {"full": "the full training set", "subset": "the shared subset"}
    title = f"Exercise 17: {loss} classifier's class templates (test accuracy {accuracy:.1%})"
    path = collector.report_dir / f"templates_{loss}.png"
    figures.class_templates_plot(w, CIFAR_IMAGE, data.class_names("cifar10"), path, title)
    collector.artifacts.append(path)
    settings = ", ".join(f"{k}={v}" for k, v in CIFAR_SETTINGS.items())
    summary = (
        f"the {loss} classifier ({settings}, rng=np.random.default_rng({CIFAR_SEED})) on "
        f"{len(x_train):,} training images scores {accuracy:.1%} on the {len(y_test):,} test "
        f"images; the bar is {bar:.1%} ({which[size]}); "
        f"class templates: {path}"
    )
    if accuracy < bar:
        raise CheckFailure(
            f"{summary}\nthe images were preprocessed correctly, so with the {loss} loss and its "
            "gradient right (their own checks say) train_linear's SGD gets there: check its "
            "step W = W - lr * dW on every batch, with the bias row appended to x"
        )
    note(summary)


def _loss_and_gradient(result, name: str):
    """(loss, dw) from what a loss function returned, or a CheckFailure saying what it was."""
    if not isinstance(result, tuple | list) or len(result) != 2:
        raise CheckFailure(f"{name} should return a pair (loss, dw), got {type(result).__name__}")
    return result


def _step_result(result):
    """(new_w, new_b, mistake) from perceptron_step, or a CheckFailure."""
    if not isinstance(result, tuple | list) or len(result) != 3:
        raise CheckFailure(
            f"perceptron_step should return (new_w, new_b, mistake), got {type(result).__name__}"
        )
    return result


def _perceptron_result(result):
    """(w, b, mistakes) from train_perceptron, mistakes as a list of ints, or a CheckFailure."""
    if not isinstance(result, tuple | list) or len(result) != 3:
        raise CheckFailure(
            f"train_perceptron should return (w, b, mistakes), got {type(result).__name__}"
        )
    w, b, mistakes = result
    try:
        counts = [int(m) for m in mistakes]
    except (TypeError, ValueError):
        raise CheckFailure(
            f"the mistakes train_perceptron returns should be a list of ints, got {mistakes!r}"
        ) from None
    if counts != list(mistakes):
        raise CheckFailure(f"the mistakes per epoch should be whole numbers, got {mistakes!r}")
    return w, b, counts


def _linear_result(result):
    """(w, b, loss_history) from train_linear, or a CheckFailure saying what it was."""
    if not isinstance(result, tuple | list) or len(result) != 3:
        raise CheckFailure(
            f"train_linear should return (w, b, loss_history), got {type(result).__name__}"
        )
    return result


def _from_zero(mistakes: list[int]) -> str:
    """What a first epoch without a mistake says about the rule ("" otherwise)."""
    if mistakes[:1] != [0]:
        return ""
    return (
        "; a first epoch without a mistake never moved w = 0, b = 0: a score of exactly 0 "
        "must count as a mistake (y * (w @ x + b) <= 0)"
    )


def _expect_float64(got, what: str) -> None:
    """Fail unless `got` is a float64 array."""
    dtype = np.asarray(got).dtype
    if dtype != np.float64:
        raise CheckFailure(f"{what} should be float64, got dtype {dtype}")


def _expect_value_error(learner, name: str, args: tuple, call: str) -> None:
    """Fail unless the learner's `name`(*args) raises ValueError."""
    function = getattr(learner, name)  # a missing function fails here, plainly
    expect_value_error(call, function, *args)


def _expect_no_float_error(learner, name: str, args: tuple, underflow: str) -> None:
    """Call `name`(*args) with NumPy's float warnings raised as errors; fail naming the
    mistake: softmax_overflow for an overflow, else `underflow` (a log of 0, a 0 / 0)."""
    try:
        learner.call(name, *args, float_errors="raise")
    except LearnerError as error:
        if error.error_type != "FloatingPointError":
            raise
        mistake = "softmax_overflow" if "overflow" in str(error) else underflow
        with naming_overflow(mistake):
            raise


def _max_with_0(tf):
    """max(m, 0) by tf.maximum, whose gradient at a tie is 1: the `margin >= 0` mistake."""
    return lambda margins: tf.maximum(margins, tf.constant(0.0, tf.float64))


def _tf_loss(tf, kind: str, w, x, y, reg, hinge=None, true_class=False):
    """(loss, dw) of the mean SVM or softmax loss plus reg * sum(w * w), by TensorFlow in
    float64 (dw from a GradientTape). The hinge is tf.nn.relu unless given; true_class
    counts the true class's margin too (a mistake)."""
    classes = w.shape[1]
    one_hot = tf.one_hot(y, classes, dtype=tf.float64)
    counted = tf.ones_like(one_hot) if true_class else 1.0 - one_hot
    hinge = hinge or tf.nn.relu

    def loss(weights):
        scores = tf.matmul(tf.constant(x, tf.float64), weights)
        if kind == "softmax":
            data_loss = tf.nn.softmax_cross_entropy_with_logits(labels=one_hot, logits=scores)
        else:
            correct = tf.reduce_sum(scores * one_hot, axis=1, keepdims=True)
            data_loss = tf.reduce_sum(hinge(scores - correct + 1.0) * counted, axis=1)
        return tf.reduce_mean(data_loss) + reg * tf.reduce_sum(weights * weights)

    (dw,) = tf_gradient(loss, [w], np.float64(1.0))
    return float(loss(tf.constant(w, tf.float64))), dw


def _expect_loss(tf, result, name: str, w, x, y, reg) -> None:
    """Fail unless the learner's (loss, dw) from `name`(w, x, y, reg) is TensorFlow's,
    naming a penalty or hinge mistake when one explains it."""
    loss, dw = _loss_and_gradient(result, name)
    kind = "svm" if name.startswith("svm") else "softmax"
    expected_loss, expected_dw = _tf_loss(tf, kind, w, x, y, reg)

    def loss_mistakes():
        data_loss, _ = _tf_loss(tf, kind, w, x, y, 0.0)
        penalty = reg * tf.reduce_sum(w * w)
        found = [
            Mistake(data_loss + 0.5 * penalty, "l2_half"),
            Mistake(data_loss + penalty / len(x), "l2_divided_by_n"),
        ]
        if kind == "svm":
            found.append(
                Mistake(
                    _tf_loss(tf, kind, w, x, y, reg, true_class=True)[0], "svm_true_class_counted"
                )
            )
        return found

    def dw_mistakes():
        _, data_dw = _tf_loss(tf, kind, w, x, y, 0.0)
        (gradient,) = tf_gradient(lambda v: reg * tf.reduce_sum(v * v), [w], np.float64(1.0))
        found = [
            Mistake(data_dw, "l2_missing_from_dw"),
            Mistake(data_dw + 0.5 * gradient, "l2_gradient_reg_w"),
            Mistake(data_dw + gradient / len(x), "l2_divided_by_n"),
        ]
        if kind == "svm":
            true_column = tf.matmul(
                x, tf.one_hot(y, w.shape[1], dtype=tf.float64), transpose_a=True
            )
            found.append(Mistake(expected_dw - true_column / len(x), "svm_true_class_counted"))
        return found

    call = f"{name}(w, x, y, reg={reg})"
    expect_close(
        loss, expected_loss, what=f"the loss of {call}", rtol=LOSS_RTOL, mistakes=loss_mistakes
    )
    expect_close(dw, expected_dw, what=f"dw of {call}", rtol=LOSS_RTOL, mistakes=dw_mistakes)


def _expect_preprocessed(tf, result, x_train, x_other, what: str) -> None:
    """Fail unless the learner's preprocess(x_train, x_other) is TensorFlow's: flattened,
    float64, divided by 255, minus the mean training row; naming centring mistakes."""
    if not isinstance(result, tuple | list) or len(result) != 2:
        raise CheckFailure(
            f"preprocess should return a pair (train, other), got {type(result).__name__}"
        )
    train, other = _tf_rows(tf, x_train), _tf_rows(tf, x_other)
    mean = tf.reduce_mean(train, axis=0)
    both = tf.reduce_mean(tf.concat([train, other], axis=0), axis=0)
    unscaled = [255.0 * (train - mean), 255.0 * (other - mean)]
    wrong = {
        "train": [
            Mistake(train - both, "centred_with_both_means"),
            Mistake(unscaled[0], "not_scaled_by_255"),
        ],
        "other": [
            Mistake(other - tf.reduce_mean(other, axis=0), "centred_with_test_mean"),
            Mistake(other - both, "centred_with_both_means"),
            Mistake(unscaled[1], "not_scaled_by_255"),
        ],
    }
    parts = {
        "train": "the first array (x_train's rows)",
        "other": "the second array (x_other's rows)",
    }
    for index, (part, expected) in enumerate((("train", train - mean), ("other", other - mean))):
        got = result[index]
        mistakes = [
            *wrong[part],
            Mistake(expected + mean - tf.reduce_mean(train), "centred_with_one_number"),
        ]
        expect_close(got, expected, what=f"{parts[part]} of {what}", mistakes=mistakes)
        _expect_float64(got, f"{parts[part]} of {what}")


def _tf_rows(tf, images):
    """Images (N, ...) as float64 rows (N, D) scaled to [0, 1], by TensorFlow."""
    return tf.reshape(tf.cast(images, tf.float64) / 255.0, (len(images), -1))


def _keras_sgd(tf, keras, loss, x, y, lr, reg, epochs, batch_size, rng):
    """(w, b, loss_history) of Keras' Dense(C) trained by keras.optimizers.SGD(lr) on the
    batches the docstring names, from the same initial weights.

    rng draws as train_linear does: W = 0.001 * standard_normal((D + 1, C)) (kernel, then
    the bias row), then each epoch rng.permutation(N) cut into consecutive batches. Each
    batch's loss is the mean SVM (hinge by tf.nn.relu) or softmax loss of the Dense
    layer's scores, plus reg times the sum of squares of the kernel and the bias (the
    bias is a row of W): recorded, then one SGD step on its gradient (GradientTape).
    """
    classes = int(np.max(y)) + 1
    start = 0.001 * rng.standard_normal((x.shape[1] + 1, classes))
    dense = keras.layers.Dense(classes, dtype="float64")
    dense.build((None, x.shape[1]))
    dense.set_weights([start[:-1], start[-1]])
    optimizer = keras.optimizers.SGD(lr)
    history = []
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for first in range(0, len(x), batch_size):
            batch = order[first : first + batch_size]
            with tf.GradientTape() as tape:
                scores = dense(x[batch])
                value = _tf_batch_loss(tf, loss, scores, y[batch], classes) + reg * tf.add_n(
                    [tf.reduce_sum(tf.square(v)) for v in dense.trainable_variables]
                )
            gradients = tape.gradient(value, dense.trainable_variables)
            optimizer.apply_gradients(zip(gradients, dense.trainable_variables, strict=True))
            history.append(float(value))
    kernel, bias = dense.get_weights()
    return kernel, bias, history


def _tf_batch_loss(tf, loss, scores, y, classes):
    """The mean SVM or softmax loss of scores (N, C) for labels y, without the penalty."""
    one_hot = tf.one_hot(y, classes, dtype=tf.float64)
    if loss == "softmax":
        return tf.reduce_mean(
            tf.nn.softmax_cross_entropy_with_logits(labels=one_hot, logits=scores)
        )
    correct = tf.reduce_sum(scores * one_hot, axis=1, keepdims=True)
    return tf.reduce_mean(
        tf.reduce_sum(tf.nn.relu(scores - correct + 1.0) * (1.0 - one_hot), axis=1)
    )


def _expect_fast_loss(learner, reference, name: str, seed: int) -> None:
    """Fail unless the learner's vectorised loss `name` is right and within the speed bound
    of the reference on SPEED_ROWS rows of SPEED_FEATURES features."""
    rng = np.random.default_rng(seed)
    w = 0.001 * rng.standard_normal((SPEED_FEATURES, SPEED_CLASSES))
    x = rng.uniform(-0.5, 0.5, (SPEED_ROWS, SPEED_FEATURES))
    y = rng.integers(0, SPEED_CLASSES, SPEED_ROWS)
    expected = getattr(reference, name)(w, x, y, 0.01)
    what = f"{name}(w, x, y, reg) on {SPEED_ROWS:,} rows of {SPEED_FEATURES} features"

    def check(result):
        loss, dw = _loss_and_gradient(result, name)
        expect_close(loss, expected[0], what=f"the loss of {what}")
        expect_close(dw, expected[1], what=f"dw of {what}")

    probe = SPEED_ROWS // 32
    expect_vectorised(
        learner,
        name,
        (w, x, y, 0.01),
        (w, x[:probe], y[:probe], 0.01),
        reference=partial(_in_blocks, getattr(reference, name), w, x, y, 0.01),
        what=what,
        advice="all scores at once as x @ w (N, C), then whole-array operations on them; "
        "no Python loop over the samples",
        check_result=check,
    )


def _in_blocks(loss, w, x, y, reg) -> None:
    """Run `loss` on x and y in blocks of REFERENCE_BLOCK rows (see the speed constants)."""
    for start in range(0, len(x), REFERENCE_BLOCK):
        loss(w, x[start : start + REFERENCE_BLOCK], y[start : start + REFERENCE_BLOCK], reg)


def _perceptron_rule(w, b, x, y, strict: bool):
    """(new_w, new_b, mistake) of one perceptron step; strict: a score of 0 is no mistake."""
    score = y * (w @ x + b)
    if score < 0 or (score == 0 and not strict):
        return w + y * x, b + y, True
    return w, b, False


def _strict_perceptron(x, y, epochs: int) -> list[int]:
    """The mistakes per epoch of a perceptron for which a score of 0 is no mistake."""
    w, b, mistakes = np.zeros(x.shape[1]), 0.0, []
    for _ in range(epochs):
        count = 0
        for sample, label in zip(x, y, strict=True):
            w, b, mistake = _perceptron_rule(w, b, sample, label, strict=True)
            count += mistake
        mistakes.append(count)
        if count == 0:
            break
    return mistakes


def _drawn_in_order(reference, x, y, loss, seed, order, part, settings):
    """Part `part` (0: w, 1: b, 2: history) of train_linear's result with the rng's draws in
    a wrong order: the first permutation before the initial W ("permutation_first"), or
    one permutation drawn after it and kept for every epoch ("one_permutation")."""
    return _sgd_drawn_in_order(reference, x, y, loss, seed, order, **settings)[part]


def _sgd_drawn_in_order(reference, x, y, loss, seed, order, lr, reg, epochs, batch_size):
    """train_linear's (w, b, history) with the rng's draws in the wrong `order`."""
    rng = np.random.default_rng(seed)
    step = {"svm": reference.svm_loss, "softmax": reference.softmax_loss}[loss]
    rows = np.hstack([x, np.ones((len(x), 1))])
    first = rng.permutation(len(x)) if order == "permutation_first" else None
    weights = 0.001 * rng.standard_normal((rows.shape[1], int(y.max()) + 1))
    kept = rng.permutation(len(x)) if order == "one_permutation" else None
    history = []
    for epoch in range(epochs):
        if order == "permutation_first":
            batches = first if epoch == 0 else rng.permutation(len(x))
        else:
            batches = kept
        for start in range(0, len(x), batch_size):
            batch = batches[start : start + batch_size]
            batch_loss, grad = step(weights, rows[batch], y[batch], reg)
            history.append(batch_loss)
            weights = weights - lr * grad
    return weights[:-1], weights[-1], history
