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
    raise NotImplementedError("max_pool_forward: write your code here")


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
    raise NotImplementedError("avg_pool_forward: write your code here")


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
    raise NotImplementedError("max_pool_backward: write your code here")


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
    raise NotImplementedError("avg_pool_backward: write your code here")
