"""Exercise 4: the dense (fully connected) layer.

A dense layer is the workhorse of every network in the bootcamp: Keras'
``Dense(units)``. Every output unit is a weighted sum of *all* the inputs plus
a bias, so for a whole batch at once it is one matrix product:

    out = x @ w + b        x: (N, n_in)   w: (n_in, n_out)   b: (n_out,)

(``b`` is broadcast over the N rows.) The layouts are Keras': ``layer.kernel``
is ``(n_in, n_out)`` and ``layer.bias`` is ``(n_out,)``.

To train the layer we also need its backward pass: given ``dout``, the
gradient of the loss with respect to ``out``, find the gradients with respect
to ``x``, ``w`` and ``b``. A good habit for every backward pass: each gradient
has exactly the shape of the thing it is the gradient of, and there is usually
only one way to combine the arrays you have into that shape.

Finally you will count parameters, the number Keras prints in
``model.summary()``, which is a quick sanity check for any architecture.
"""

import numpy as np


def dense_forward(x, w, b):
    """Forward pass of a dense layer: ``x @ w + b``.

    Row i of the output is the layer's response to sample i: unit j computes
    ``sum_k x[i, k] * w[k, j] + b[j]``. Writing it as one matrix product does
    the whole batch in a single fast (BLAS) call; no Python loops needed.

    Example: x = [[1, 2]], w = [[1, 0, 1], [0, 1, 1]], b = [0, 0, 10]
    gives [[1, 2, 13]].

    Inputs:
    - x: array of shape (N, n_in), a batch of N input vectors.
    - w: array of shape (n_in, n_out), the weights (Keras' kernel).
    - b: array of shape (n_out,), the biases.

    Returns:
    - out: array of shape (N, n_out), equal to ``x @ w + b``.
    """
    raise NotImplementedError("dense_forward: write your code here")


def dense_backward(dout, x, w):
    """Backward pass of a dense layer: gradients of the loss w.r.t. x, w, b.

    ``dout[i, j]`` is dLoss/dout[i, j]. Using ``out = x @ w + b`` and the
    chain rule:

    - dx = dout @ w.T     (N, n_out) @ (n_out, n_in) -> (N, n_in)
    - dw = x.T @ dout     (n_in, N) @ (N, n_out)     -> (n_in, n_out)
    - db = dout summed over the batch (axis 0)       -> (n_out,)

    dw sums over the batch automatically: every sample contributes to the
    same weights, so their contributions add up. The bias is added to every
    row, so its gradient is the sum of the rows of dout. Check the shapes:
    they tell you where each transpose goes.

    Inputs:
    - dout: array of shape (N, n_out), upstream gradient.
    - x: array of shape (N, n_in), the input given to dense_forward.
    - w: array of shape (n_in, n_out), the weights given to dense_forward.

    Returns a tuple (dx, dw, db):
    - dx: array of shape (N, n_in), gradient w.r.t. x.
    - dw: array of shape (n_in, n_out), gradient w.r.t. w.
    - db: array of shape (n_out,), gradient w.r.t. b.
    """
    raise NotImplementedError("dense_backward: write your code here")


def dense_param_count(n_in, n_out):
    """Number of trainable parameters of one dense layer.

    Every one of the n_out units has one weight per input plus one bias.
    Example: ``Dense(128)`` on 784 inputs has 784 * 128 + 128 = 100480.

    Inputs:
    - n_in: int, number of inputs.
    - n_out: int, number of units.

    Returns:
    - int, the number of weights plus biases.
    """
    raise NotImplementedError("dense_param_count: write your code here")


def mlp_param_count(sizes):
    """Number of trainable parameters of a stack of dense layers (an MLP).

    ``sizes`` lists the layer widths from input to output, so consecutive
    pairs are the (n_in, n_out) of each dense layer. The bootcamp's MNIST
    network, 784 pixels -> 128 -> 128 -> 10 classes, has

        (784*128 + 128) + (128*128 + 128) + (128*10 + 10) = 118282

    which is the "Total params" line of Keras' ``model.summary()``.

    Inputs:
    - sizes: sequence of ints [n_0, n_1, ..., n_L], at least two entries.

    Returns:
    - int, the total over the L dense layers.
    """
    raise NotImplementedError("mlp_param_count: write your code here")
