"""Exercise 7: backpropagation through a convolution, and gradient checking.

In exercise 5 you computed ``out = conv2d(x, w) + b``. To train a CNN we need
the other direction: given ``dout = dLoss/dout`` (one number per output pixel
and filter), find dLoss/dx, dLoss/dw and dLoss/db. This is exactly what
``tf.GradientTape`` does for you behind ``model.fit``.

The key fact: every output value is a sum of products
``x_pad[n, i*sh + a, j*sw + c, ch] * w[a, c, ch, o]``. So

- each weight w[a, c, ch, o] received, in every window, the input value under
  it: its gradient is the sum of (input value * dout) over all windows and
  images. With im2col that is one matrix product;
- each input pixel was used by every window that covers it, once per kernel
  offset: its gradient collects ``dout * weight`` from all of them (the same
  "contributions add up" as overlapping pooling windows);
- each bias was added to every output pixel of its filter: sum dout.

You will also write a *numerical gradient*, the classic way to test any
backward pass: nudge one input up and down by a tiny h and watch how the loss
moves. It is far too slow for training, but it is an independent check that
catches almost every backprop bug.
"""

import numpy as np


# BEGIN SOLUTION
def _pair(v):
    """An int or an (h, w) pair -> a tuple (h, w) of ints."""
    if np.ndim(v) == 0:
        return int(v), int(v)
    h, w = v
    return int(h), int(w)


def _out_and_pads(n, k, s, padding):
    """TensorFlow's output length and (before, after) zero padding along one axis."""
    mode = padding.lower()
    if mode == "valid":
        return max((n - k) // s + 1, 0), (0, 0)
    if mode == "same":
        out = -(-n // s)  # ceil(n / s)
        total = max((out - 1) * s + k - n, 0)
        return out, (total // 2, total - total // 2)
    raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}")


def _im2col(xp, kh, kw, sh, sw, out_h, out_w):
    """Every (kh, kw, C) window of the padded batch xp as one row of a matrix.

    Returns (N * out_h * out_w, kh * kw * C), in the (kh, kw, C) order of an
    HWIO kernel reshaped to (kh * kw * C, O).
    """
    n, _, _, c = xp.shape
    s_n, s_h, s_w, s_c = xp.strides
    windows = np.lib.stride_tricks.as_strided(
        xp,
        shape=(n, out_h, out_w, kh, kw, c),
        strides=(s_n, s_h * sh, s_w * sw, s_h, s_w, s_c),
        writeable=False,
    )
    return windows.reshape(n * out_h * out_w, kh * kw * c)


# END SOLUTION


def conv2d_backward(dout, x, w, stride=1, padding="valid"):
    """Backward pass of ``out = tf.nn.conv2d(x, w, stride, padding) + b``.

    Write x_pad for x with the padding of the forward pass (exercise 5:
    TensorFlow's SAME puts ``total // 2`` zeros before and the rest after).
    With cols the im2col matrix of x_pad, shape (N*out_h*out_w, kh*kw*C),
    one window per row, the forward pass was ``out = cols @ W + b`` with
    ``W = w.reshape(kh*kw*C, O)``. That is a dense layer (exercise 4)!
    So:

    - db = dout summed over batch, height and width: shape (O,).
    - dW = cols.T @ dout.reshape(-1, O), then reshape to (kh, kw, C, O).
    - dcols = dout.reshape(-1, O) @ W.T holds, for every window, the gradient
      of each of its cells. Every input cell sits in several windows, so
      "col2im" scatters these back and adds them up: for each kernel offset
      (a, c), the cells ``x_pad[:, a + i*sh, c + j*sw, :]`` (one per window
      (i, j)) receive ``dcols`` of offset (a, c). That is kh * kw
      vectorised slice-additions
      ``dx_pad[:, a : a + sh*out_h : sh, c : c + sw*out_w : sw, :] += ...``;
      never loop over pixels. Finally cut the padding off dx_pad.

    Small check: x of shape (1, 3, 3, 1), w = ones((2, 2, 1, 1)), "valid",
    dout = ones((1, 2, 2, 1)) gives dx = [[1, 2, 1], [2, 4, 2], [1, 2, 1]]
    (how many windows cover each pixel) and db = [4].

    Inputs:
    - dout: array of shape (N, out_h, out_w, O), upstream gradient.
    - x: array of shape (N, H, W, C), the input given to the forward pass.
    - w: array of shape (kh, kw, C, O), the filters (HWIO).
    - stride: int or (sh, sw) pair, as in the forward pass.
    - padding: "valid" or "same" (any letter case), as in the forward pass.

    Returns a tuple (dx, dw, db):
    - dx: array of shape (N, H, W, C), gradient w.r.t. x.
    - dw: array of shape (kh, kw, C, O), gradient w.r.t. w.
    - db: array of shape (O,), gradient w.r.t. the bias.
    """
    # BEGIN SOLUTION
    dout, x, w = np.asarray(dout), np.asarray(x), np.asarray(w)
    kh, kw, c_in, c_out = w.shape
    n, h, wd, _ = x.shape
    sh, sw = _pair(stride)
    out_h, pad_h = _out_and_pads(h, kh, sh, padding)
    out_w, pad_w = _out_and_pads(wd, kw, sw, padding)
    if dout.shape != (n, out_h, out_w, c_out):
        raise ValueError(f"dout must have shape {(n, out_h, out_w, c_out)}, got {dout.shape}")
    xp = np.pad(x, ((0, 0), pad_h, pad_w, (0, 0)))
    d2 = dout.reshape(-1, c_out)  # one row per window

    db = d2.sum(axis=0)
    cols = _im2col(xp, kh, kw, sh, sw, out_h, out_w)
    dw = (cols.T @ d2).reshape(w.shape)

    # col2im, one kernel offset at a time: the column block of dcols for
    # offset (a, c) is d2 @ w[a, c].T, added into the cells that offset touched.
    dxp = np.zeros(xp.shape, dtype=np.result_type(dout, w))
    for a in range(kh):
        for c in range(kw):
            dcols_ac = (d2 @ w[a, c].T).reshape(n, out_h, out_w, c_in)
            dxp[:, a : a + sh * out_h : sh, c : c + sw * out_w : sw, :] += dcols_ac
    dx = dxp[:, pad_h[0] : pad_h[0] + h, pad_w[0] : pad_w[0] + wd, :]
    return dx, dw, db
    # END SOLUTION


def numerical_gradient(f, x, h=1e-5):
    """Numerical gradient of a scalar function f at x, by central differences.

    For every element x[i] (any number of dimensions):

        grad[i] = (f(x with x[i] + h) - f(x with x[i] - h)) / (2 * h)

    The error of this estimate shrinks like h**2, much better than the
    one-sided (f(x + h) - f(x)) / h. Change x *in place*, one element at a
    time (f usually reads x itself, e.g. ``f = lambda _: loss(x, w)``), and
    put the element back afterwards by storing its old value and assigning
    it: ``x[i] += h`` followed by ``x[i] -= h`` need not give back exactly the
    original float. ``for i in np.ndindex(x.shape):`` visits every index.

    Use it to test a backward pass on tiny inputs: the relative error
    |analytic - numeric| / max(|analytic|, |numeric|) should be around 1e-7
    or less in float64.

    Inputs:
    - f: function taking the array x and returning a scalar.
    - x: float array (preferably float64) of any shape; modified during the
      call, restored exactly before returning.
    - h: step size.

    Returns:
    - grad: float array of the same shape as x.
    """
    # BEGIN SOLUTION
    grad = np.zeros(x.shape, dtype=np.float64)
    for index in np.ndindex(x.shape):
        old = x[index]
        try:
            x[index] = old + h
            f_plus = f(x)
            x[index] = old - h
            f_minus = f(x)
        finally:
            x[index] = old  # restore the exact old value, even if f raised
        grad[index] = (f_plus - f_minus) / (2 * h)
    return grad
    # END SOLUTION
