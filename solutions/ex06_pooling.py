"""Exercise 6: max pooling and average pooling, forward and backward.

A pooling layer shrinks an image by summarising each small window with one
number, separately in every channel: the largest value (Keras'
``MaxPooling2D``) or the mean (``AveragePooling2D``). It has no parameters.
After a conv layer it halves the height and width (with the usual 2x2
window), which makes the next layers cheaper and the network less sensitive
to exactly where a feature appears.

The rules are TensorFlow's:

- images are NHWC ``(batch, height, width, channels)``;
- ``pool_size`` and ``stride`` are an int or an ``(h, w)`` pair, and
  ``stride`` defaults to ``pool_size`` (as in Keras), so the windows tile the
  image without overlapping;
- ``padding="valid"`` uses only windows that fit; ``"same"`` gives
  ``ceil(n / stride)`` outputs per axis, padding exactly as convolution does
  (exercise 5: ``total // 2`` before, the rest after). Padded cells never
  take part: they are never the maximum and do not count in the average.

The backward functions answer: if the loss changes by ``dout`` per unit of
each pooled output, how does it change per unit of each input pixel? Max
pooling passes each window's gradient to the single pixel that was the max;
average pooling shares it equally among the window's real cells. When windows
overlap (stride < pool_size), a pixel collects gradient from every window it
belongs to, so the contributions add up.

Vectorise with NumPy stride tricks; a loop over the few offsets inside the
window (ph * pw of them) is fine, a loop over pixels is not.
"""

import numpy as np


# BEGIN SOLUTION
def _pair(v):
    """An int or an (h, w) pair -> a tuple (h, w) of ints."""
    if np.ndim(v) == 0:
        return int(v), int(v)
    h, w = v
    return int(h), int(w)


def _geometry(x_shape, pool_size, stride, padding):
    """Window, stride, output size and padding of a pooling layer.

    Returns ((ph, pw), (sh, sw), (out_h, out_w), ((top, bottom), (left, right))).
    """
    ph, pw = _pair(pool_size)
    sh, sw = _pair(pool_size if stride is None else stride)
    mode = padding.lower()
    if mode not in ("valid", "same"):
        raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}")
    sizes, pads = [], []
    for n, k, s in ((x_shape[1], ph, sh), (x_shape[2], pw, sw)):
        if mode == "valid":
            out, total = max((n - k) // s + 1, 0), 0
        else:
            out = -(-n // s)  # ceil(n / s)
            total = max((out - 1) * s + k - n, 0)
        sizes.append(out)
        pads.append((total // 2, total - total // 2))
    return (ph, pw), (sh, sw), tuple(sizes), tuple(pads)


def _padded(x, pad_h, pad_w, value=0.0):
    """x with pad_h rows and pad_w columns of `value` around each image (x itself when
    there is nothing to pad: "valid" never copies)."""
    if not any(pad_h) and not any(pad_w):
        return x
    return np.pad(x, ((0, 0), pad_h, pad_w, (0, 0)), constant_values=value)


def _cells(xp, a, b, sh, sw, out_h, out_w):
    """The cell at offset (a, b) of every window of xp: a strided view (N, out_h, out_w, C).

    Looping over the ph * pw offsets and working on whole views like this one is
    much faster than reducing a 6-D view of all windows at once: each step is one
    pass over a contiguous-channel array."""
    return xp[:, a : a + sh * out_h : sh, b : b + sw * out_w : sw]


def _window_max(xp, ph, pw, sh, sw, out_h, out_w):
    """The maximum of every (ph, pw) window of xp, one offset at a time."""
    out = _cells(xp, 0, 0, sh, sw, out_h, out_w).copy()
    for a in range(ph):
        for b in range(pw):
            np.maximum(out, _cells(xp, a, b, sh, sw, out_h, out_w), out=out)
    return out


def _window_sum(xp, ph, pw, sh, sw, out_h, out_w):
    """The sum of every (ph, pw) window of xp, one offset at a time."""
    out = np.zeros((xp.shape[0], out_h, out_w, xp.shape[3]), xp.dtype)
    for a in range(ph):
        for b in range(pw):
            out += _cells(xp, a, b, sh, sw, out_h, out_w)
    return out


def _as_float(a):
    """a as a float array (float32 stays float32, integers become float64)."""
    a = np.asarray(a)
    return a if np.issubdtype(a.dtype, np.floating) else a.astype(np.float64)


# END SOLUTION


def max_pool_forward(x, pool_size=2, stride=None, padding="valid"):
    """Max pooling: the largest value of every window, per channel (``tf.nn.max_pool2d``).

    Example, one 4x4 channel with pool_size=2 (stride defaults to 2):

        [[1, 3, 2, 1],
         [4, 2, 0, 1],        ->   [[4, 2],
         [5, 6, 1, 2],              [6, 4]]
         [0, 1, 3, 4]]

    Output pixel (i, j) looks at rows ``i*sh .. i*sh + ph - 1`` and columns
    ``j*sw .. j*sw + pw - 1`` of the (padded) input. With "same" padding,
    pad with -inf so that padded cells never win.

    Inputs:
    - x: array of shape (N, H, W, C).
    - pool_size: int or (ph, pw) pair, the window size.
    - stride: int or (sh, sw) pair; None means pool_size.
    - padding: "valid" or "same" (any letter case), TensorFlow's rules.

    Returns:
    - out: array of shape (N, out_h, out_w, C), out_h and out_w as in
      exercise 5's conv_output_size.
    """
    # BEGIN SOLUTION
    x = _as_float(x)
    (ph, pw), (sh, sw), (out_h, out_w), (pad_h, pad_w) = _geometry(
        x.shape, pool_size, stride, padding
    )
    xp = _padded(x, pad_h, pad_w, -np.inf)
    return _window_max(xp, ph, pw, sh, sw, out_h, out_w)
    # END SOLUTION


def avg_pool_forward(x, pool_size=2, stride=None, padding="valid"):
    """Average pooling: the mean of every window, per channel (``tf.nn.avg_pool2d``).

    The same 4x4 example as max_pool_forward gives [[2.5, 1.0], [3.0, 2.5]]
    (e.g. (1 + 3 + 4 + 2) / 4 = 2.5).

    With "same" padding, a window that hangs over the edge averages only its
    real cells: for a 3x3 input, pool_size=2, stride=2, the bottom-right
    output is the single real cell x[2, 2] itself, not x[2, 2] / 4. A simple
    way: sum the zero-padded windows, and divide by the same window sums taken
    over an array of ones (the count of real cells).

    Inputs:
    - x: array of shape (N, H, W, C).
    - pool_size: int or (ph, pw) pair, the window size.
    - stride: int or (sh, sw) pair; None means pool_size.
    - padding: "valid" or "same" (any letter case), TensorFlow's rules.

    Returns:
    - out: array of shape (N, out_h, out_w, C).
    """
    # BEGIN SOLUTION
    x = _as_float(x)
    (ph, pw), (sh, sw), (out_h, out_w), (pad_h, pad_w) = _geometry(
        x.shape, pool_size, stride, padding
    )
    sums = _window_sum(_padded(x, pad_h, pad_w), ph, pw, sh, sw, out_h, out_w)
    ones = _padded(np.ones((1, x.shape[1], x.shape[2], 1), x.dtype), pad_h, pad_w)
    counts = _window_sum(ones, ph, pw, sh, sw, out_h, out_w)
    return sums / counts
    # END SOLUTION


def max_pool_backward(dout, x, pool_size=2, stride=None, padding="valid"):
    """Gradient of max pooling w.r.t. its input x.

    Only the winner of a window influenced its output, so the window's
    upstream gradient ``dout[n, i, j, c]`` goes entirely to the input cell
    that held the maximum; every other cell of the window gets 0 from it.

    Ties: when a window holds several equal maxima, TensorFlow gives the
    whole gradient to the *first* one in row-major order (top row first,
    then left to right). So the window [[1, 1], [1, 1]] with upstream
    gradient 1 gets the input gradient [[1, 0], [0, 0]], not 0.25 everywhere.

    When windows overlap (stride < pool_size), a cell can win several
    windows: add up the gradients it receives. Padded cells ("same") get no
    gradient; return only the gradient of the real input.

    Vectorised approach: recompute the window maxima, then loop over the
    ph * pw offsets (a, b) of the window in row-major order; at each offset
    the cells ``x_pad[:, a::sh, b::sw]`` (one per window) that equal the max
    and whose window has not been served yet receive that window's dout.

    Inputs:
    - dout: array of shape (N, out_h, out_w, C), upstream gradient.
    - x: array of shape (N, H, W, C), the input given to max_pool_forward.
    - pool_size, stride, padding: as given to max_pool_forward.

    Returns:
    - dx: array of shape (N, H, W, C), gradient w.r.t. x.
    """
    # BEGIN SOLUTION
    x, dout = _as_float(x), np.asarray(dout)
    (ph, pw), (sh, sw), (out_h, out_w), (pad_h, pad_w) = _geometry(
        x.shape, pool_size, stride, padding
    )
    xp = _padded(x, pad_h, pad_w, -np.inf)
    maxima = _window_max(xp, ph, pw, sh, sw, out_h, out_w)
    unserved = np.ones(maxima.shape, dtype=bool)  # windows whose max is not found yet
    first_max = np.empty(maxima.shape, dtype=bool)
    dxp = np.zeros(xp.shape, dtype=np.result_type(x, dout))
    for a in range(ph):  # row-major order over the offsets = TensorFlow's tie rule
        for b in range(pw):
            np.equal(_cells(xp, a, b, sh, sw, out_h, out_w), maxima, out=first_max)
            first_max &= unserved  # in place: no new arrays in the loop
            unserved ^= first_max
            dxp[:, a : a + sh * out_h : sh, b : b + sw * out_w : sw] += dout * first_max
    return dxp[:, pad_h[0] : pad_h[0] + x.shape[1], pad_w[0] : pad_w[0] + x.shape[2]]
    # END SOLUTION


def avg_pool_backward(dout, x, pool_size=2, stride=None, padding="valid"):
    """Gradient of average pooling w.r.t. its input x.

    An output is (sum of the window's real cells) / count, so each of those
    cells receives ``dout / count`` from it. For a 2x2 VALID window with
    upstream gradient 1, every cell of the window gets 0.25. With "same"
    padding, count is the number of real cells of that window (as in the
    forward pass). Overlapping windows add up.

    Vectorised approach: divide dout by the counts, then loop over the
    ph * pw offsets (a, b) of the window and add the result into the cells
    ``dx_pad[:, a::sh, b::sw]`` (one per window); finally cut the padding off.

    Inputs:
    - dout: array of shape (N, out_h, out_w, C), upstream gradient.
    - x: array of shape (N, H, W, C), the input given to avg_pool_forward
      (only its shape matters).
    - pool_size, stride, padding: as given to avg_pool_forward.

    Returns:
    - dx: array of shape (N, H, W, C), gradient w.r.t. x.
    """
    # BEGIN SOLUTION
    x, dout = _as_float(x), _as_float(dout)
    (ph, pw), (sh, sw), (out_h, out_w), (pad_h, pad_w) = _geometry(
        x.shape, pool_size, stride, padding
    )
    padded_shape = (x.shape[0], x.shape[1] + sum(pad_h), x.shape[2] + sum(pad_w), x.shape[3])
    ones = _padded(np.ones((1, x.shape[1], x.shape[2], 1)), pad_h, pad_w)
    counts = _window_sum(ones, ph, pw, sh, sw, out_h, out_w)
    share = dout / counts.astype(dout.dtype)
    dxp = np.zeros(padded_shape, dtype=share.dtype)
    for a in range(ph):
        for b in range(pw):
            dxp[:, a : a + sh * out_h : sh, b : b + sw * out_w : sw] += share
    return dxp[:, pad_h[0] : pad_h[0] + x.shape[1], pad_w[0] : pad_w[0] + x.shape[2]]
    # END SOLUTION
