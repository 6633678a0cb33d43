"""Exercise 1: tensors and labels.

Before a network can learn, data has to be in the right shape. Keras hands
you MNIST as uint8 images `(60000, 28, 28)` and integer labels `(60000,)`;
a dense network wants float vectors in [0, 1], a softmax output wants one-hot
labels, and training walks through the data in shuffled mini-batches.

Images in this course are NHWC: `(batch, height, width, channels)`, the
TensorFlow default. Some libraries use NCHW (channels first); you will
convert between the two.

Only NumPy is allowed. Randomness comes from the `rng` argument
(a `numpy.random.Generator`), never from `np.random` directly.
"""

import numpy as np


def one_hot(labels, num_classes=None):
    """Encode integer class labels as one-hot rows.

    Label 3 of 5 classes becomes [0, 0, 0, 1, 0]. This is what
    `keras.utils.to_categorical` does, and what a softmax output is
    compared against.

    Inputs:
    - labels: integer array of shape (N,), values in 0..C-1.
    - num_classes: C; when None, use max(labels) + 1.

    Returns:
    - float array of shape (N, C): row i is all zeros except a 1 at column labels[i].
    """
    raise NotImplementedError("one_hot: write your code here")


def scale_pixels(images):
    """Scale uint8 pixel values 0..255 to float32 values in [0, 1].

    Networks train best on small inputs: the tutorials write
    `x_train / 255.0` before `model.fit`.

    Inputs:
    - images: uint8 array of any shape.

    Returns:
    - float32 array of the same shape, images / 255.
    """
    raise NotImplementedError("scale_pixels: write your code here")


def flatten(x):
    """Flatten every sample into one vector, as Keras' `Flatten` layer does.

    An MNIST batch (N, 28, 28) becomes (N, 784): a dense layer needs vectors.

    Inputs:
    - x: array of shape (N, d1, d2, ...).

    Returns:
    - array of shape (N, d1 * d2 * ...), the same values in row-major order.
    """
    raise NotImplementedError("flatten: write your code here")


def nhwc_to_nchw(x):
    """Move the channel axis from last to second: (N, H, W, C) -> (N, C, H, W).

    Equals `tf.transpose(x, perm=[0, 3, 1, 2])`.

    Inputs:
    - x: array of shape (N, H, W, C).

    Returns:
    - array of shape (N, C, H, W) with out[n, c, h, w] == x[n, h, w, c].
    """
    raise NotImplementedError("nhwc_to_nchw: write your code here")


def nchw_to_nhwc(x):
    """Move the channel axis from second to last: (N, C, H, W) -> (N, H, W, C).

    The inverse of `nhwc_to_nchw`; equals `tf.transpose(x, perm=[0, 2, 3, 1])`.

    Inputs:
    - x: array of shape (N, C, H, W).

    Returns:
    - array of shape (N, H, W, C) with out[n, h, w, c] == x[n, c, h, w].
    """
    raise NotImplementedError("nchw_to_nhwc: write your code here")


def minibatches(n, batch_size, rng):
    """Split the indices 0..n-1 into shuffled mini-batches for one epoch.

    Keras' `fit(..., batch_size=64, shuffle=True)` does this every epoch:
    shuffle the sample order once, then take consecutive slices. With n = 10
    and batch_size = 4 you get three batches of sizes 4, 4 and 2.

    Inputs:
    - n: number of samples.
    - batch_size: size of every batch except possibly the last.
    - rng: numpy.random.Generator, the only source of randomness.

    Returns:
    - a list of integer index arrays that together hold every index in
      range(n) exactly once, in an order shuffled by rng; each has
      batch_size indices except possibly the last, which has the rest.
    """
    raise NotImplementedError("minibatches: write your code here")
