"""Checks for exercise 1: tensors and labels."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from grader.checks.checking import (
    CheckFailure,
    expect_close,
    expect_equal,
    expect_float_dtype,
    expect_shape,
    hidden,
    points,
)

labels_arrays = hnp.arrays(np.int64, st.integers(1, 20), elements=st.integers(0, 9))
nhwc_shapes = hnp.array_shapes(min_dims=4, max_dims=4, min_side=1, max_side=5)


@hidden
@points(2)
@given(labels=labels_arrays, extra_classes=st.none() | st.integers(0, 3))
def test_one_hot_matches_keras_to_categorical(learner, tf, labels, extra_classes):
    num_classes = None if extra_classes is None else int(labels.max()) + 1 + extra_classes
    expected = tf.keras.utils.to_categorical(labels, num_classes)
    got = learner.one_hot(labels, num_classes)
    expect_close(got, expected, what=f"one_hot(labels, num_classes={num_classes})")


@points(1)
def test_one_hot_of_label_3_of_5_classes(learner):
    got = learner.one_hot(np.array([3]), 5)
    expect_close(got, [[0, 0, 0, 1, 0]], what="one_hot([3], 5)")
    expect_float_dtype(got, "one_hot([3], 5) (a float array, as to_categorical gives)")


@points(2)
@given(images=hnp.arrays(np.uint8, hnp.array_shapes(max_dims=3, max_side=6)))
def test_scale_pixels_gives_float32_in_unit_range(learner, tf, images):
    got = expect_shape(learner.scale_pixels(images), images.shape, "scale_pixels(images)")
    if got.dtype != np.float32:
        raise CheckFailure(f"scale_pixels should return float32, got {got.dtype}")
    expected = tf.cast(images, tf.float64) / 255.0
    expect_close(got, expected, what="scale_pixels(images)", rtol=1e-6)


@points(2)
@given(x=hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=4, max_side=5)))
def test_flatten_matches_keras_flatten(learner, tf, x):
    expected = tf.reshape(x, (x.shape[0], -1))
    expect_equal(learner.flatten(x), expected.numpy(), what="flatten(x)")


@points(1)
@given(shape=nhwc_shapes)
def test_nhwc_to_nchw_matches_tf_transpose(learner, tf, shape):
    _expect_transpose(learner, tf, "nhwc_to_nchw", shape, perm=[0, 3, 1, 2])


@points(1)
@given(shape=nhwc_shapes)
def test_nchw_to_nhwc_matches_tf_transpose(learner, tf, shape):
    _expect_transpose(learner, tf, "nchw_to_nhwc", shape, perm=[0, 2, 3, 1])


@hidden
@points(2)
@given(n=st.integers(1, 200), batch_size=st.integers(1, 64), seed=st.integers(0, 2**16))
def test_minibatches_cover_every_index_once(learner, n, batch_size, seed):
    batches = learner.minibatches(n, batch_size, np.random.default_rng(seed))
    if not isinstance(batches, list):
        raise CheckFailure(f"minibatches should return a list, got {type(batches).__name__}")
    for batch in batches:
        if np.asarray(batch).dtype.kind not in "iu":
            raise CheckFailure(
                f"minibatches gave a batch of dtype {np.asarray(batch).dtype}: each batch "
                "should be an integer index array, usable as x[batch]"
            )
    sizes = [int(np.asarray(b).size) for b in batches]
    expected_sizes = [batch_size] * (n // batch_size) + ([n % batch_size] if n % batch_size else [])
    expect_equal(sizes, expected_sizes, what=f"the batch sizes for n={n}, batch_size={batch_size}")
    every = np.sort(np.concatenate([np.asarray(b).ravel() for b in batches]))
    expect_equal(every, np.arange(n), what="the sorted indices of all batches")


@points(1)
def test_minibatches_are_shuffled_by_rng(learner):
    first = learner.minibatches(50, 50, np.random.default_rng(1))
    again = learner.minibatches(50, 50, np.random.default_rng(1))
    other = learner.minibatches(50, 50, np.random.default_rng(2))
    expect_equal(np.asarray(again[0]), np.asarray(first[0]), what="the order for the same seed")
    if np.array_equal(np.asarray(first[0]), np.arange(50)):
        raise CheckFailure("the indices are in order 0, 1, 2, ...: shuffle them with rng")
    if np.array_equal(np.asarray(first[0]), np.asarray(other[0])):
        raise CheckFailure("two different seeds gave the same order: shuffle with the rng given")


# ---------------------------------------------------------------- helpers


def _expect_transpose(learner, tf, name, shape, perm):
    """Fail unless the learner's `name`(x) of x = 0, 1, 2, ... in `shape` is
    tf.transpose(x, perm)."""
    x = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
    expected = tf.transpose(x, perm=perm).numpy()
    expect_equal(getattr(learner, name)(x), expected, what=f"{name}(x)")
