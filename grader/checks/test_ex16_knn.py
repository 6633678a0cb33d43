"""Checks for exercise 16: k-nearest neighbours and cross-validation, on CIFAR-10.

The distances are compared with TensorFlow (float64 differences of every pair,
broadcast), and with each other; the vote and the folds with worked examples and,
in hidden checks, a brute force written here; cross-validation with planted twins
and, hidden, the reference. Then the whole method is graded on the shared
CIFAR-10 subset (grader.engine.data): the learner's cross_validate picks k on
5,000 training images, the learner's distances and vote label 500 test images,
and the accuracy is counted here: the test labels never reach the worker.
"""

import itertools
from collections import Counter

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from grader.checks.checking import (
    ATOL,
    CheckFailure,
    expect_close,
    expect_equal,
    expect_shape,
    expect_value_error,
    expect_vectorised,
    hidden,
    points,
)
from grader.checks.mistakes import Mistake, Symptom
from grader.checks.strategies import FLOATS
from grader.engine.capstone import CapstoneProblem
from grader.engine.figures import cross_validation_plot
from grader.messages import text
from grader.sandbox import LearnerProblem, LearnerTimeout

L2_VERSIONS = ("l2_distances_two_loops", "l2_distances_one_loop", "l2_distances_no_loops")
DISTANCES = ("l1_distances", *L2_VERSIONS)
# The expansion |a|^2 - 2 a.b + |b|^2 keeps only about half the digits of a small distance:
# its error is about sqrt(eps * (|a|^2 + |b|^2)), near 1e-6 for rows of up to 8 values in
# [-10, 10] (CURRICULUM.md: self-distances of about sqrt(eps) * |x|). The loop versions,
# exact differences, are held to the kit's default (1e-6 relative).
NO_LOOPS_ATOL = 1e-5
AGREEMENT = 1e-3  # the Frobenius norm by which two L2 versions may differ (CS231n's test)
PIXELS = 3072  # a CIFAR-10 image flattened: 32 x 32 x 3
BIG_TEST, BIG_TRAIN = 500, 5000  # the vectorisation problem, CIFAR-sized rows

# Graded on the shared CIFAR-10 subset (10,000 training images decoded from a JPEG copy):
# the first 5,000 training images, 5-fold cross-validation over KS, then the first 500
# test images with the chosen k.
KS = (1, 3, 5, 8, 10, 12, 15, 20, 50, 100)
FOLDS = 5
N_TRAIN, N_TEST = 5000, 500
# The bar: the reference's cross-validation picks k = 15 there (mean validation accuracy
# 26.4%), which scores 24.0% on the 500 test images; 24.0 - 2 points = 22.0%, which is
# also the floor CURRICULUM.md sets for the subset.
ACCURACY_BAR = 0.22
CIFAR_CALL = (
    f"cross_validate(x_train, y_train, ks={list(KS)}, folds={FOLDS}, distance='l2') "
    f"on {N_TRAIN:,} CIFAR-10 images"
)


@st.composite
def image_pairs(draw, max_test=5, max_train=6, max_pixels=8, bound=10.0):
    """(x_test, x_train): float64 rows of the same length D, values in [-bound, bound]."""
    n_test, n_train = draw(st.integers(1, max_test)), draw(st.integers(1, max_train))
    d = draw(st.integers(1, max_pixels))
    values = st.floats(-bound, bound, **FLOATS)
    x_test = draw(hnp.arrays(np.float64, (n_test, d), elements=values))
    x_train = draw(hnp.arrays(np.float64, (n_train, d), elements=values))
    return x_test, x_train


@st.composite
def tied_votes(draw):
    """(dists, y_train, k) full of ties: distances 0..3 and labels 0..4, up to 40
    training images (NumPy's default sort is stable on 16 or fewer elements where it has
    no SIMD sort, unstable on more)."""
    n_test, n_train = draw(st.integers(1, 4)), draw(st.integers(1, 40))
    dists = draw(hnp.arrays(np.int64, (n_test, n_train), elements=st.integers(0, 3)))
    y_train = draw(hnp.arrays(np.int64, n_train, elements=st.integers(0, 4)))
    k = draw(st.integers(1, n_train))
    return dists.astype(np.float64), y_train, k


@st.composite
def small_datasets(draw):
    """(x, y, ks, folds, distance): integer-valued images with many equal distances
    (exact in either distance), labels 0..3, and the ks every fold can vote with."""
    n, d = draw(st.integers(6, 30)), draw(st.integers(1, 5))
    folds = draw(st.integers(2, min(5, n // 2)))
    x = draw(hnp.arrays(np.int64, (n, d), elements=st.integers(0, 5))).astype(np.float64)
    y = draw(hnp.arrays(np.int64, n, elements=st.integers(0, 3)))
    smallest_train = n - -(-n // folds)  # n minus the largest block, ceil(n / folds)
    ks = draw(st.lists(st.integers(1, smallest_train), min_size=1, max_size=4, unique=True))
    distance = draw(st.sampled_from(("l2", "l1")))
    return x, y, ks, folds, distance


accuracy_tables = st.dictionaries(
    st.integers(1, 30),
    st.lists(st.integers(0, 8).map(lambda eighths: eighths / 8), min_size=3, max_size=3),
    min_size=1,
    max_size=6,
)
"""{k: 3 fold accuracies}, multiples of 1/8 so that equal means are exactly equal."""


# ---------------------------------------------------------------- distances


@points(2)
@given(pair=image_pairs())
def test_l1_distances_matches_tensorflow(learner, tf, pair):
    x_test, x_train = pair
    got = learner.l1_distances(x_test, x_train)
    _expect_distances(got, _tf_l1(tf, x_test, x_train), "l1_distances(x_test, x_train)")


@points(1)
@given(pair=image_pairs())
def test_l2_distances_two_loops_matches_tensorflow(learner, tf, pair):
    x_test, x_train = pair
    got = learner.l2_distances_two_loops(x_test, x_train)
    _expect_distances(got, _tf_l2(tf, x_test, x_train), "l2_distances_two_loops(x_test, x_train)")


@points(1)
@given(pair=image_pairs())
def test_l2_distances_one_loop_matches_tensorflow(learner, tf, pair):
    x_test, x_train = pair
    got = learner.l2_distances_one_loop(x_test, x_train)
    _expect_distances(got, _tf_l2(tf, x_test, x_train), "l2_distances_one_loop(x_test, x_train)")


@points(2)
@given(pair=image_pairs())
def test_l2_distances_no_loops_matches_tensorflow(learner, tf, pair):
    x_test, x_train = pair
    got = learner.l2_distances_no_loops(x_test, x_train)
    what = "l2_distances_no_loops(x_test, x_train)"
    mistakes = [Symptom(_nan_where_tensorflow_is_finite)]
    expected = _tf_l2(tf, x_test, x_train)
    _expect_distances(got, expected, what, atol=NO_LOOPS_ATOL, mistakes=mistakes)


@points(2)
def test_distances_of_uint8_images_do_not_wrap_around(learner, tf, check_seed):
    rng = np.random.default_rng(check_seed(16))
    x_test = rng.integers(0, 256, (3, 12), dtype=np.uint8)
    x_train = rng.integers(0, 256, (5, 12), dtype=np.uint8)
    for name in DISTANCES:
        function = getattr(learner, name)
        oracle = _tf_l1 if name == "l1_distances" else _tf_l2
        expected = oracle(tf, x_test, x_train)
        on_floats = function(x_test.astype(np.float64), x_train.astype(np.float64))
        _expect_distances(on_floats, expected, f"{name}(x_test, x_train) of float64 images")
        # The same images were right as float64: what differs now comes from their dtype.
        wrapped = Symptom(lambda got, expected: "uint8_wraps_around")
        got = function(x_test, x_train)
        what = f"{name}(x_test, x_train) of the same images as uint8"
        _expect_distances(got, expected, what, mistakes=[wrapped])


@points(1)
def test_three_l2_versions_agree_on_cifar_sized_images(learner, check_seed):
    rng = np.random.default_rng(check_seed(3))
    x_test = rng.integers(0, 256, (10, PIXELS)).astype(np.float64)
    x_train = rng.integers(0, 256, (40, PIXELS)).astype(np.float64)
    results = {}
    for name in L2_VERSIONS:
        got = getattr(learner, name)(x_test, x_train)
        results[name] = expect_shape(got, (10, 40), f"{name}(x_test, x_train)")
    for first, second in itertools.combinations(L2_VERSIONS, 2):
        difference = np.linalg.norm(results[first].astype(np.float64) - results[second])
        if not difference < AGREEMENT:
            raise CheckFailure(
                f"on 10 test and 40 training images of {PIXELS} pixels (values 0..255 as "
                f"float64), {first} and {second} differ by a Frobenius norm of "
                f"{difference:.4g}, where at most {AGREEMENT:g} is allowed: the three versions "
                "must give the same distances (the checks against TensorFlow show which is off)"
            )


@points(2)
def test_l2_distances_no_loops_gives_no_nan_for_equal_images(learner, tf, check_seed):
    # Float images (not whole numbers): |a|^2 - 2 a.b + |b|^2 of equal rows rounds to a
    # tiny negative number for about a third of them, whose square root is NaN.
    rng = np.random.default_rng(check_seed(7))
    x_train = 3.0 * rng.standard_normal((60, 40)) + 1.0
    x_test = x_train[15:45].copy()  # each test image is also a training image
    got = learner.l2_distances_no_loops(x_test, x_train)
    what = "l2_distances_no_loops(x_test, x_train) where rows of x_test are rows of x_train"
    mistakes = [Symptom(_nan_where_tensorflow_is_finite)]
    expected = _tf_l2(tf, x_test, x_train)
    _expect_distances(got, expected, what, atol=NO_LOOPS_ATOL, mistakes=mistakes)


@hidden
@points(2)
def test_l2_distances_no_loops_is_vectorised(learner, reference, check_seed):
    rng = np.random.default_rng(check_seed(2016))
    x_test = rng.integers(0, 256, (BIG_TEST, PIXELS), dtype=np.uint8)
    x_train = rng.integers(0, 256, (BIG_TRAIN, PIXELS), dtype=np.uint8)
    what = f"l2_distances_no_loops of {BIG_TEST} test and {BIG_TRAIN:,} training uint8 images"
    expected = reference.l2_distances_no_loops(x_test, x_train)
    expect_vectorised(
        learner,
        "l2_distances_no_loops",
        (x_test, x_train),
        (x_test[:16], x_train),
        reference=lambda: reference.l2_distances_no_loops(x_test, x_train),
        what=what,
        advice="expand |a - b|^2 = |a|^2 - 2 a.b + |b|^2: the middle terms of every pair are "
        "one matrix product x_test @ x_train.T, and no Python loop is needed",
        check_result=lambda got: _expect_distances(got, expected, what),
    )


# ---------------------------------------------------------------- the vote


@points(2)
def test_knn_predict_worked_example(learner):
    # Row 0: training images 1 and 3 tie nearest (1, label 0, comes first), then 2;
    # row 1: every distance is equal, so the order is the training order.
    dists = np.array([[3.0, 1.0, 2.0, 1.0, 5.0], [2.0, 2.0, 2.0, 2.0, 2.0]])
    y_train = np.array([2, 0, 1, 1, 0])
    for k, expected, why in [
        (1, [0, 2], "the lower training index wins a tie in distance"),
        (2, [0, 0], "labels 0 and 1 tie 1:1 in row 0, 2 and 0 in row 1: the smallest wins"),
        (3, [1, 0], "row 0 votes 0, 1, 1; row 1 votes 2, 0, 1"),
        (5, [0, 0], "k = n_train: all five vote, 0 and 1 tie 2:2"),
    ]:
        got = learner.knn_predict(dists, y_train, k)
        what = f"knn_predict(dists, y_train, k={k}) ({why})"
        _expect_labels(got, np.array(expected), what)


@points(1)
def test_knn_predict_rejects_k_below_1_or_above_n_train(learner):
    dists, y_train = np.array([[1.0, 2.0, 3.0]]), np.array([0, 1, 1])
    knn_predict = learner.knn_predict  # a missing function fails here, plainly
    for k in (0, 4):
        expect_value_error(
            f"knn_predict(dists, y_train, k={k}) with 3 training images",
            knn_predict,
            dists,
            y_train,
            k,
        )


@hidden
@points(3)
@given(case=tied_votes())
def test_knn_predict_matches_a_brute_force_vote(learner, case):
    dists, y_train, k = case
    got = learner.knn_predict(dists, y_train, k)
    _expect_labels(
        got,
        _vote(dists, y_train, k),
        f"knn_predict(dists, y_train, k={k})",
        mistakes=_vote_mistakes(dists, y_train, k),
    )


@hidden
@points(2)
def test_knn_predict_keeps_the_lower_training_index_on_equal_distances(learner, check_seed):
    # 40 training images, each its own label, numbered backwards: a tie in the vote goes to
    # the smallest label, i.e. the highest index voting, which moves whenever the sort
    # puts another equal distance first. Over 16 values NumPy's default sort is unstable.
    rng = np.random.default_rng(check_seed(40))
    dists = np.vstack([np.full(40, 2.0), rng.integers(0, 3, (7, 40))]).astype(np.float64)
    y_train = np.arange(39, -1, -1)
    for k in (1, 3, 5):
        got = learner.knn_predict(dists, y_train, k)
        what = f"knn_predict(dists, y_train, k={k}) with many equal distances"
        _expect_labels(got, _vote(dists, y_train, k), what, _vote_mistakes(dists, y_train, k))


# ---------------------------------------------------------------- folds


@points(1)
def test_k_fold_split_worked_example(learner):
    got = learner.k_fold_split(7, 3)
    blocks = [np.array([0, 1, 2]), np.array([3, 4]), np.array([5, 6])]
    trains = [np.array([3, 4, 5, 6]), np.array([0, 1, 2, 5, 6]), np.array([0, 1, 2, 3, 4])]
    _expect_folds(got, blocks, trains, "k_fold_split(7, 3)")


@points(1)
def test_k_fold_split_rejects_fewer_than_2_folds_or_more_than_n(learner):
    k_fold_split = learner.k_fold_split  # a missing function fails here, plainly
    for folds in (1, 0, 6):
        expect_value_error(f"k_fold_split(5, {folds})", k_fold_split, 5, folds)


@hidden
@points(2)
@given(n=st.integers(2, 60), folds=st.integers(2, 12))
def test_k_fold_split_gives_contiguous_blocks_each_validated_once(learner, n, folds):
    folds = min(folds, n)
    got = learner.k_fold_split(n, folds)
    blocks = np.array_split(np.arange(n), folds)
    trains = [np.concatenate(blocks[:f] + blocks[f + 1 :]) for f in range(folds)]
    _expect_folds(got, blocks, trains, f"k_fold_split({n}, {folds})")


# ---------------------------------------------------------------- cross-validation


@points(1)
def test_cross_validate_returns_a_list_of_fold_accuracies_for_each_k(learner, check_seed):
    rng = np.random.default_rng(check_seed(12))
    x, y = rng.integers(0, 256, (12, 6)).astype(np.float64), rng.integers(0, 3, 12)
    ks = [5, 1, 3]
    got = learner.cross_validate(x, y, ks, 3, "l2")
    _table(got, ks, 3, "cross_validate(x, y, ks=[5, 1, 3], folds=3, distance='l2')")


@points(1)
def test_cross_validate_rejects_an_unknown_distance(learner):
    x, y = np.arange(12.0).reshape(6, 2), np.array([0, 1, 0, 1, 0, 1])
    cross_validate = learner.cross_validate  # a missing function fails here, plainly
    call = "cross_validate(x, y, ks=[1], folds=2, distance='cosine')"
    expect_value_error(call, cross_validate, x, y, [1], 2, "cosine")


@points(1)
def test_cross_validate_uses_the_distance_it_is_given(learner):
    # x[0] = (0, 0) is nearer to x[2] = (3, 0) in L1 (3 against 4) and to x[3] = (2, 2)
    # in L2 (2.83 against 3): fold 0 gets x[0] right in L1 only; x[1] is far from both.
    x = np.array([[0.0, 0.0], [20.0, 20.0], [3.0, 0.0], [2.0, 2.0]])
    y = np.array([0, 1, 0, 1])
    for distance, expected, other in [
        ("l1", [1.0, 0.5], [0.5, 0.5]),
        ("l2", [0.5, 0.5], [1.0, 0.5]),
    ]:
        call = f"cross_validate(x, y, ks=[1], folds=2, distance={distance!r})"
        table = _table(learner.cross_validate(x, y, [1], 2, distance), [1], 2, call)
        wrong = Mistake(np.array([other]), "cross_validate_other_distance")
        what = f"the accuracies of {call} (a column per fold)"
        expect_close(_rows(table, [1]), np.array([expected]), what=what, mistakes=[wrong])


@points(2)
def test_cross_validate_never_trains_a_fold_on_its_own_validation_images(learner, check_seed):
    # Four folds of four images: each block holds two images, each twice (exact twins),
    # all labelled with the block's number. A fold that trains on the other blocks only
    # never sees its label and scores 0; one whose training set holds images of its own
    # block finds their twins at distance 0 and scores up to 100% at k=1.
    rng = np.random.default_rng(check_seed(4))
    images = rng.standard_normal((8, 6))
    x = np.repeat(images, 2, axis=0)
    y = np.repeat(np.arange(4), 4)
    got = learner.cross_validate(x, y, [1, 3], 4, "l2")
    table = _table(got, [1, 3], 4, "cross_validate(x, y, ks=[1, 3], folds=4, distance='l2')")
    for k, accuracies in table.items():
        for fold, accuracy in enumerate(accuracies):
            if accuracy != 0.0:
                raise CheckFailure(
                    f"cross_validate(x, y, ks=[1, 3], folds=4) gave fold {fold} an accuracy "
                    f"of {accuracy:.0%} at k={k}, expected 0%: every image of x has an exact "
                    "twin in its own block of 4 (the same label), and no other block has "
                    f"that label.\n{text('fold_trains_on_its_own_images')}"
                )


@hidden
@points(3)
@given(case=small_datasets())
def test_cross_validate_matches_the_reference_on_small_data(learner, reference, case):
    x, y, ks, folds, distance = case
    call = f"cross_validate(x, y, ks={ks}, folds={folds}, distance={distance!r})"
    table = _table(learner.cross_validate(x, y, ks, folds, distance), ks, folds, call)
    other = "l1" if distance == "l2" else "l2"
    mistakes = [
        Mistake(
            lambda: _rows(reference.cross_validate(x, y, ks, folds, other), ks),
            "cross_validate_other_distance",
        ),
        Mistake(
            lambda: _leaky_rows(reference, x, y, ks, folds, distance),
            "fold_trains_on_its_own_images",
        ),
    ]
    expected = _rows(reference.cross_validate(x, y, ks, folds, distance), ks)
    what = f"the accuracies of {call} (a row per k in ks, a column per fold)"
    expect_close(_rows(table, ks), expected, what=what, mistakes=mistakes)


@points(1)
def test_best_k_worked_examples(learner):
    for table, expected, why in [
        ({1: [0.25, 0.5], 3: [0.5, 0.5], 5: [0.75, 0.125]}, 3, "means 0.375, 0.5, 0.4375"),
        ({8: [0.5, 0.25], 3: [0.25, 0.5], 5: [0.125, 0.25]}, 3, "k=8 and k=3 tie at 0.375"),
    ]:
        got = learner.best_k(table)
        _expect_k(got, expected, f"best_k({table}) ({why})")


@hidden
@points(1)
@given(table=accuracy_tables)
def test_best_k_takes_the_highest_mean_and_the_smallest_k_on_a_tie(learner, table):
    means = {k: float(np.mean(v)) for k, v in table.items()}
    expected = min(k for k, mean in means.items() if mean == max(means.values()))
    _expect_k(learner.best_k(table), expected, f"best_k({table})")


# ---------------------------------------------------------------- graded on CIFAR-10


@points(1)
def test_cross_validate_on_cifar_10_gives_5_accuracies_for_every_k(cifar_cross_validation):
    _table(cifar_cross_validation, KS, FOLDS, CIFAR_CALL)


@points(5)
def test_knn_with_the_cross_validated_k_reaches_22_percent_on_cifar_10(
    learner, tf, cifar, cifar_cross_validation, collector, note
):
    table = _table(cifar_cross_validation, KS, FOLDS, CIFAR_CALL)
    k = learner.best_k(table)
    _expect_k(k, None, "best_k of the cross-validation table")
    if k not in table:
        raise CheckFailure(
            f"best_k of the cross-validation table is {k}, which is not one of "
            f"the ks tried: {list(KS)}"
        )
    k = int(k)
    path = collector.report_dir / "cross_validation.png"
    title = f"Exercise 16: {FOLDS}-fold cross-validation on {N_TRAIN:,} CIFAR-10 images"
    collector.artifacts.append(cross_validation_plot(table, k, path, title))
    dists = learner.l2_distances_no_loops(cifar.x_test, cifar.x_train)
    what = "l2_distances_no_loops(x_test, x_train) on CIFAR-10"
    # The accuracy must come from the learner's own distances and vote, not a table of
    # the test labels: both are compared with TensorFlow's on these very images.
    _expect_distances(dists, _tf_l2_expanded(tf, cifar.x_test, cifar.x_train), what, NO_LOOPS_ATOL)
    predicted = learner.knn_predict(dists, cifar.y_train, k)
    call = f"knn_predict(dists, y_train, k={k}) on CIFAR-10"
    _expect_labels(predicted, _tf_vote(tf, dists, cifar.y_train, k), f"the labels of {call}")
    accuracy = float(np.mean(predicted == cifar.y_test))
    summary = (
        f"{_means(table)}\nchosen k = {k}: test accuracy {accuracy:.1%} on the first {N_TEST} "
        f"test images, the bar is {ACCURACY_BAR:.0%}; plot: {path}"
    )
    if accuracy < ACCURACY_BAR:
        raise CheckFailure(
            f"{summary}\nbelow the bar: the checks of the distances, of knn_predict and of "
            "best_k show what to fix"
        )
    note(summary)


# ---------------------------------------------------------------- helpers


class Cifar:
    """The graded data: flattened uint8 images, int64 labels of shape (n,)."""

    def __init__(self, loaded):
        (x_train, y_train), (x_test, y_test) = loaded
        self.x_train = x_train[:N_TRAIN].reshape(N_TRAIN, -1)
        self.y_train = y_train[:N_TRAIN].reshape(-1).astype(np.int64)
        self.x_test = x_test[:N_TEST].reshape(N_TEST, -1)
        self.y_test = y_test[:N_TEST].reshape(-1).astype(np.int64)


@pytest.fixture(scope="module")
def cifar(dataset_or_failure):
    """The first 5,000 training and 500 test images of CIFAR-10; a missing dataset is a
    plain failure."""
    return Cifar(dataset_or_failure("cifar10"))


@pytest.fixture(scope="module")
def cifar_cross_validation(learner, cifar, exercise):
    """What the learner's cross_validate returns for the 5,000 training images."""
    try:
        return learner.cross_validate(cifar.x_train, cifar.y_train, list(KS), FOLDS, "l2")
    except LearnerTimeout:
        raise CheckFailure(
            f"{CIFAR_CALL} did not finish within the {exercise.call_timeout_s:g} s allowed "
            "for one call: for distance='l2' use l2_distances_no_loops (one matrix product "
            "per fold), and compute each fold's distances once, not once per k"
        ) from None
    except LearnerProblem as problem:  # kept (as an Exception) for both checks that need it
        raise CapstoneProblem(str(problem), problem.status) from None


def _tf_l2_expanded(tf, x_test, x_train):
    """The L2 distances by TensorFlow from |a|^2 - 2 a.b + |b|^2 (clamped at 0): for inputs
    too large for every pairwise difference at once."""
    a = tf.cast(tf.constant(x_test), tf.float64)
    b = tf.cast(tf.constant(x_train), tf.float64)
    squares = (
        tf.reduce_sum(a * a, axis=1)[:, None]
        - 2.0 * tf.matmul(a, b, transpose_b=True)
        + tf.reduce_sum(b * b, axis=1)[None, :]
    )
    return tf.sqrt(tf.maximum(squares, 0.0))


def _tf_vote(tf, dists, y_train, k):
    """The docstring's vote by TensorFlow: the labels of the k nearest (stable order), the
    most common of them, the smallest label on a tie (argmax takes the first maximum)."""
    nearest = tf.argsort(tf.constant(dists), axis=1, stable=True)[:, :k]
    labels = tf.gather(tf.constant(y_train.astype(np.int32)), nearest)
    counts = tf.math.bincount(labels, minlength=int(y_train.max()) + 1, axis=-1)
    return tf.argmax(counts, axis=1, output_type=tf.int64).numpy()


def _tf_differences(tf, x_test, x_train):
    """x_test[i] - x_train[j] of every pair, (n_test, n_train, D), in float64."""
    a = tf.cast(tf.constant(x_test), tf.float64)
    b = tf.cast(tf.constant(x_train), tf.float64)
    return a[:, None, :] - b[None, :, :]


def _tf_l1(tf, x_test, x_train):
    """The L1 distances by TensorFlow: the sum of absolute differences of every pair."""
    return tf.reduce_sum(tf.abs(_tf_differences(tf, x_test, x_train)), axis=-1)


def _tf_l2(tf, x_test, x_train):
    """The L2 distances by TensorFlow: the norm of the difference of every pair."""
    return tf.norm(_tf_differences(tf, x_test, x_train), axis=-1)


def _expect_distances(got, expected, what, atol=ATOL, mistakes=()):
    """Fail unless `got` is `expected` (shape, values) and a float64 array."""
    expect_close(got, expected, what=what, atol=atol, mistakes=mistakes)
    dtype = np.asarray(got).dtype
    if dtype != np.float64:
        raise CheckFailure(
            f"{what} has dtype {dtype}, expected float64: convert the images with "
            "np.asarray(x, dtype=np.float64) and compute the distances in float64"
        )


def _nan_where_tensorflow_is_finite(got, expected):
    """The mistake of a square root of expanded squares that round-off made negative."""
    if np.isnan(got).any():
        return "negative_squares_not_clamped"
    return None


def _expect_labels(got, expected, what, mistakes=()):
    """Fail unless `got` holds exactly the labels `expected`, as an int64 array."""
    expect_close(got, expected, what=what, rtol=0.0, atol=0.0, mistakes=mistakes)
    dtype = np.asarray(got).dtype
    if dtype != np.int64:
        raise CheckFailure(
            f"{what} has dtype {dtype}, expected int64: return the labels as integers"
        )


def _expect_folds(got, blocks, trains, call):
    """Fail unless `got` is the list of pairs (trains[f], blocks[f]) of int arrays."""
    if not isinstance(got, list | tuple) or len(got) != len(blocks):
        raise CheckFailure(
            f"{call} should return a list of {len(blocks)} pairs (train_indices, "
            f"val_indices), got {got!r}"
        )
    for fold, (pair, block, train) in enumerate(zip(got, blocks, trains, strict=True)):
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise CheckFailure(
                f"fold {fold} of {call} should be a pair (train_indices, val_indices), got {pair!r}"
            )
        got_train, got_val = (np.asarray(indices) for indices in pair)
        for name, indices in (("train", got_train), ("validation", got_val)):
            if indices.ndim != 1 or indices.dtype != np.int64:
                raise CheckFailure(
                    f"the {name} indices of fold {fold} of {call} should be a "
                    f"1-D int64 array, got {indices!r}"
                )
        if not np.array_equal(got_val, block):
            raise CheckFailure(
                f"fold {fold} of {call} validates on {got_val.tolist()}, expected "
                f"{block.tolist()}\n{text('folds_not_contiguous')}"
            )
        if np.isin(got_train, got_val).any():
            raise CheckFailure(
                f"fold {fold} of {call} trains on {got_train.tolist()}, which includes some of "
                f"its own validation indices {got_val.tolist()}\n"
                f"{text('fold_trains_on_its_own_images')}"
            )
        what = f"the training indices of fold {fold} of {call} (all the other blocks, in order)"
        expect_equal(got_train, train, what=what)


def _table(got, ks, folds, call):
    """The learner's cross-validation table as {int k: [folds floats in 0..1]}, or a
    CheckFailure saying what is wrong with its form."""
    expected_form = f"a dict {{k: [accuracy of each of the {folds} folds]}}"
    if not isinstance(got, dict):
        raise CheckFailure(f"{call} should return {expected_form}, got {type(got).__name__}")
    if set(got) != set(ks):
        raise CheckFailure(
            f"{call} has the keys {sorted(got, key=str)}, expected exactly the ks given: "
            f"{sorted(ks)}"
        )
    table = {}
    for k in ks:
        accuracies = got[k]
        try:
            values = [float(a) for a in accuracies]
        except (TypeError, ValueError):
            raise CheckFailure(
                f"{call}[{k}] should be a list of {folds} accuracies, got {accuracies!r}"
            ) from None
        if len(values) != folds or not all(0.0 <= a <= 1.0 for a in values):
            raise CheckFailure(
                f"{call}[{k}] should be a list of {folds} accuracies between "
                f"0 and 1 (one per fold), got {accuracies!r}"
            )
        table[k] = values
    return table


def _means(table):
    """One line: the mean validation accuracy of each k."""
    means = ", ".join(f"k={k}: {np.mean(v):.1%}" for k, v in sorted(table.items()))
    return f"mean validation accuracy over the {FOLDS} folds: {means}"


def _expect_k(got, expected, what):
    """Fail unless `got` is an int (and `expected`, unless that is None)."""
    if isinstance(got, bool) or not isinstance(got, int | np.integer):
        raise CheckFailure(f"{what} should be an int, got {got!r}")
    if expected is not None:
        expect_equal(int(got), expected, what=what)


def _rows(table, ks):
    """A cross-validation table as an array: a row per k in ks, a column per fold."""
    return np.array([table[k] for k in ks], dtype=np.float64)


def _leaky_rows(reference, x, y, ks, folds, distance):
    """The accuracies (a row per k, a column per fold) of a cross-validation whose folds
    train on all of x, their own validation images too."""
    measure = reference.l2_distances_no_loops if distance == "l2" else reference.l1_distances
    columns = []
    for _, val in reference.k_fold_split(len(x), folds):
        dists = measure(x[val], x)
        columns.append([np.mean(reference.knn_predict(dists, y, k) == y[val]) for k in ks])
    return np.array(columns, dtype=np.float64).T


def _vote(dists, y_train, k, smallest=True):
    """The brute-force k-NN vote: each row's training images sorted by (distance, index),
    the first k vote, a tie in votes goes to the smallest label (the largest if not
    `smallest`)."""
    predictions = []
    for row in dists:
        nearest = sorted(range(len(row)), key=lambda j: (row[j], j))[:k]
        votes = Counter(int(y_train[j]) for j in nearest)
        most = max(votes.values())
        tied = [label for label, count in votes.items() if count == most]
        predictions.append(min(tied) if smallest else max(tied))
    return np.array(predictions, dtype=np.int64)


def _vote_mistakes(dists, y_train, k):
    """The wrong votes a learner's knn_predict may give (worked out only on failure)."""
    largest = Mistake(lambda: _vote(dists, y_train, k, smallest=False), "vote_tie_to_largest_label")
    mistakes = [largest, Symptom(lambda got, expected: _unstable(dists, k, largest, got, expected))]
    if k < dists.shape[1]:
        mistakes.append(Mistake(lambda: _vote(dists, y_train, k + 1), "voted_with_k_plus_1"))
    if k > 1:
        mistakes.append(Mistake(lambda: _vote(dists, y_train, k - 1), "voted_with_k_minus_1"))
    return mistakes


def _unstable(dists, k, largest, got, expected):
    """The mistake of an unstable sort when every wrongly labelled row has equal distances
    across its k-th nearest neighbour (the only rows where the order of ties matters), and
    the answer is not that of the other tie rule, `largest` (a Mistake)."""
    if got.shape != expected.shape or largest.diagnose(got, expected):
        return None
    ordered = np.sort(dists, axis=1)
    wrong = np.flatnonzero(got != expected)
    if k >= dists.shape[1] or not wrong.size:
        return None
    tied = ordered[wrong, k - 1] == ordered[wrong, k]
    return "distance_ties_not_stable" if tied.all() else None
