"""Exercise 8: dropout and weight initialisation.

Two small tools that decide whether a deep network trains well.

Dropout. While training, `keras.layers.Dropout(rate)` switches each unit off
with probability `rate`. Keras uses *inverted* dropout: the units that survive
are multiplied by `1 / (1 - rate)`, so the expected value of every unit stays
the same and nothing has to change at test time. With `rate = 0.5` a unit
holding 0.38 becomes either 0.0 or 0.76 (on average 0.38); at inference the
layer passes 0.38 through untouched. We record the choice in a `mask` of 0s
and `1 / (1 - rate)`s, so that `out = x * mask` and the backward pass is just
`dout * mask`.

Initialisation. Weights must start random (so units differ) and at the right
scale (so signals neither vanish nor explode through many layers). The scale
depends on how many inputs feed a unit (fan_in) and how many units it feeds
(fan_out):

- Glorot / Xavier uniform (Keras' default for Dense and Conv2D): uniform in
  `[-limit, limit]` with `limit = sqrt(6 / (fan_in + fan_out))`. For a Dense
  kernel of shape (784, 128): limit = sqrt(6 / 912) = 0.0811.
- He normal (good before ReLU): standard deviation `sqrt(2 / fan_in)`.
  Keras draws from a normal *truncated* at two standard deviations (values
  further out are redrawn), which shrinks the spread by the factor
  0.87962566103423978, so it first widens the normal by dividing by that
  factor: the samples then really have standard deviation `sqrt(2 / fan_in)`.

Weight decay. An L2 penalty `lam * sum(w**2)` added to the loss pulls every
weight towards 0 with gradient `2 * lam * w` (Keras' `regularizers.L2(lam)`).

All randomness comes from the `rng` argument, a `numpy.random.Generator`
(for example `np.random.default_rng(0)`), so results repeat exactly.
"""

import numpy as np


def dropout_forward(x, rate, training, rng):
    """Inverted dropout, as `keras.layers.Dropout(rate)(x, training=...)`.

    While training, every element of x is kept with probability 1 - rate and
    then scaled by 1 / (1 - rate); otherwise it is set to 0. Draw one uniform
    number per element with `rng` and keep the element where that number is
    >= rate. Record the result in `mask` (0 for dropped elements,
    1 / (1 - rate) for kept ones) so that out = x * mask. With rate = 1 every
    element is dropped (mask all 0).

    When not training, dropout does nothing: out = x and mask is all ones.

    Inputs:
    - x: float array of any shape, the layer's input.
    - rate: float in [0, 1], the probability of dropping each element.
    - training: bool, True while training, False at inference.
    - rng: numpy.random.Generator, the only source of randomness.

    Returns a tuple (out, mask):
    - out: array of the same shape as x, x * mask.
    - mask: array of the same shape as x; while training its entries are 0 or
      1 / (1 - rate), otherwise all 1.
    """
    raise NotImplementedError("dropout_forward: write your code here")


def dropout_backward(dout, mask):
    """Backward pass of inverted dropout.

    out = x * mask, so the gradient flows only through the kept elements and
    is scaled by the same 1 / (1 - rate).

    Inputs:
    - dout: array, upstream gradient, same shape as the mask.
    - mask: array, the mask that dropout_forward returned.

    Returns:
    - dx: array of the same shape as dout, dout * mask.
    """
    raise NotImplementedError("dropout_backward: write your code here")


def fans(shape):
    """fan_in and fan_out of a weight shape, exactly as Keras computes them.

    - A Dense kernel (n_in, n_out): fan_in = n_in, fan_out = n_out.
    - A convolution kernel HWIO (kh, kw, in_channels, out_channels) (or any
      shape with more than two axes): each output sees a receptive field of
      kh * kw positions, so fan_in = kh * kw * in_channels and
      fan_out = kh * kw * out_channels. In general the receptive field is the
      product of all axes but the last two.
    - A vector (n,): fan_in = fan_out = n. A scalar shape (): both 1.

    Example: fans((3, 3, 1, 32)) == (9, 288).

    Inputs:
    - shape: tuple of ints.

    Returns a tuple (fan_in, fan_out) of Python ints.
    """
    raise NotImplementedError("fans: write your code here")


def glorot_uniform(shape, rng):
    """Glorot (Xavier) uniform initialisation: `keras.initializers.GlorotUniform`.

    Draw every weight uniformly from [-limit, limit] with
    limit = sqrt(6 / (fan_in + fan_out)), fans as in `fans(shape)`. This
    keeps the variance of the signal about the same going forward and
    backward. (Keras guards against empty shapes by never dividing by less
    than 1: limit = sqrt(3 / max(1, (fan_in + fan_out) / 2)), the same number.)

    Inputs:
    - shape: tuple of ints, the weight shape, e.g. (n_in, n_out) or HWIO.
    - rng: numpy.random.Generator.

    Returns:
    - w: float64 array of the given shape.
    """
    raise NotImplementedError("glorot_uniform: write your code here")


def he_normal(shape, rng):
    """He normal initialisation: `keras.initializers.HeNormal`.

    The target standard deviation is sqrt(2 / fan_in) (ReLU zeroes half of
    its inputs, so the weights need twice the variance of 1 / fan_in). Like
    Keras, draw from a *truncated* normal:

    1. draw standard normal samples; redraw every sample whose absolute value
       is greater than 2, until none is;
    2. multiply by stddev = sqrt(2 / fan_in) / 0.87962566103423978.

    A standard normal cut at +-2 has standard deviation 0.8796..., so the
    division in step 2 makes the final standard deviation sqrt(2 / fan_in).
    Every sample lies within +-2 * stddev.

    Inputs:
    - shape: tuple of ints, the weight shape, e.g. (n_in, n_out) or HWIO.
    - rng: numpy.random.Generator.

    Returns:
    - w: float64 array of the given shape.
    """
    raise NotImplementedError("he_normal: write your code here")


def l2_penalty(weights, lam):
    """L2 weight decay over several weight arrays: `keras.regularizers.L2(lam)`.

    penalty = lam * (sum of w**2 over every element of every array). Its
    gradient with respect to each array w is 2 * lam * w. Add the penalty to
    the loss and each gradient to that weight's gradient.

    Example: l2_penalty([np.array([1.0, -2.0])], 0.01) gives 0.05 and
    [array([0.02, -0.04])].

    Inputs:
    - weights: list of float arrays (any shapes).
    - lam: float, the regularisation strength.

    Returns a tuple (penalty, grads):
    - penalty: float, lam * sum(w**2) over all arrays.
    - grads: list of arrays, grads[i] = 2 * lam * weights[i], same shapes.
    """
    raise NotImplementedError("l2_penalty: write your code here")
