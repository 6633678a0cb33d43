"""Exercise 5: the forward pass of a 2-D convolution, exactly as TensorFlow does it.

A convolutional layer (Keras' ``Conv2D``) slides a small filter over the
image. At every position it multiplies the filter element-wise with the
window of pixels under it (all input channels at once) and adds everything
up, plus a bias: one number per position and per filter. Filters that look
for edges, corners or textures light up where the image has them, and
because the same small filter is reused everywhere, a conv layer needs far
fewer parameters than a dense layer on the same image.

The layouts are TensorFlow's:

- images are NHWC: ``(batch, height, width, channels)``;
- filters are HWIO: ``(kh, kw, in_channels, out_channels)``, the shape of a
  Keras ``Conv2D`` kernel; biases are ``(out_channels,)``;
- "convolution" is really *cross-correlation*: the kernel is **not** flipped;
- ``stride`` is how far the window jumps (an int, or an ``(sh, sw)`` pair);
- ``padding="valid"`` uses only windows that fit inside the image;
  ``padding="same"`` adds zeros around the image so that the output has
  ``ceil(n / stride)`` rows and columns. When the zeros cannot be split evenly,
  TensorFlow puts the extra one at the bottom/right.

You first work out output sizes and SAME padding, then write the convolution
itself. A loop over every output pixel is correct but far too slow to train a
network with, so the goal is *im2col*: copy every window into one row of a big
matrix, and the whole convolution becomes a single matrix product.
"""

import numpy as np


def conv_output_size(n, k, stride, padding):
    """Output length of a convolution (or pooling) along one spatial axis.

    Slide a window of length k over n cells, jumping ``stride`` cells at a
    time:

    - "valid": only windows that lie completely inside: ``(n - k) // stride + 1``,
      or 0 when the kernel is longer than the input (no window fits).
      Example: n=28, k=3, stride=1 -> 26; n=7, k=3, stride=2 -> 3.
    - "same": TensorFlow pads so that the output has ``ceil(n / stride)``
      cells, whatever k is. Example: n=28, k=3, stride=1 -> 28; n=7, stride=2 -> 4.

    Call this once for the height and once for the width.

    Inputs:
    - n: int, input length (height or width).
    - k: int, window (kernel) length along that axis.
    - stride: int, step along that axis.
    - padding: "valid" or "same", in any letter case.

    Returns:
    - int, the number of output cells along that axis.

    Raises ValueError for any other padding.
    """
    raise NotImplementedError("conv_output_size: write your code here")


def same_padding(n, k, stride):
    """TensorFlow's SAME padding along one axis: zeros (before, after).

    SAME wants ``out = ceil(n / stride)`` windows. The last window starts at
    ``(out - 1) * stride`` and ends k cells later, so the padded input must
    have ``(out - 1) * stride + k`` cells:

        total  = max((out - 1) * stride + k - n, 0)
        before = total // 2          (top / left)
        after  = total - before      (bottom / right: gets the odd one)

    Examples: n=5, k=3, stride=1 -> (1, 1); n=6, k=3, stride=2 -> (0, 1);
    n=5, k=4, stride=1 -> (1, 2). (PyTorch and some textbooks put the odd
    zero first; TensorFlow does not.)

    Inputs:
    - n: int, input length (height or width).
    - k: int, kernel length along that axis.
    - stride: int, step along that axis.

    Returns:
    - tuple (before, after) of ints.
    """
    raise NotImplementedError("same_padding: write your code here")


def conv2d_forward(x, w, b, stride=1, padding="valid"):
    """Forward pass of a 2-D convolution: ``tf.nn.conv2d(x, w, stride, padding) + b``.

    For output pixel (i, j) of image n and filter o, take the window of the
    (padded) input that starts at row ``i * sh`` and column ``j * sw``:

        out[n, i, j, o] = b[o] + sum over a < kh, c < kw, ch < C of
                          x_pad[n, i*sh + a, j*sw + c, ch] * w[a, c, ch, o]

    No kernel flip: this is cross-correlation, as in TensorFlow.

    Worked example: an 8x8 one-channel image whose left half (columns 0-3)
    is 10 and right half is 0, with the vertical-edge kernel

        [[1, 0, -1],
         [1, 0, -1],
         [1, 0, -1]]

    ("valid", stride 1) gives a 6x6 output whose every row is
    [0, 0, 30, 30, 0, 0]: flat regions give 0 and the two windows that
    straddle the edge give 3 * (10 - 0) = 30. The Sobel kernel
    [[1, 0, -1], [2, 0, -2], [1, 0, -1]] weighs the centre row double and gives
    rows [0, 0, 40, 40, 0, 0].

    Make it fast with im2col: gather the windows into a matrix ``cols`` of
    shape (N * out_h * out_w, kh * kw * C), one window per row (NumPy's
    ``np.lib.stride_tricks.sliding_window_view`` or ``as_strided`` builds a
    view of all windows without a Python loop), then
    ``cols @ w.reshape(kh * kw * C, O)`` is the whole convolution. Make sure
    the window's (kh, kw, C) order matches the kernel's reshape order.

    Inputs:
    - x: array of shape (N, H, W, C), a batch of images (NHWC).
    - w: array of shape (kh, kw, C, O), O filters (HWIO).
    - b: array of shape (O,), one bias per filter.
    - stride: int or (sh, sw) pair.
    - padding: "valid" or "same" (any letter case), TensorFlow's rules (see
      conv_output_size and same_padding).

    Returns:
    - out: array of shape (N, out_h, out_w, O), with out_h and out_w given by
      conv_output_size. A float array; float32 inputs may give float32.
    """
    raise NotImplementedError("conv2d_forward: write your code here")


def conv2d_param_count(kh, kw, in_channels, filters):
    """Number of trainable parameters of a Conv2D layer.

    Each filter has one weight per cell of its kh x kw x in_channels window
    plus one bias. Example: one 3x3 filter on an RGB image has
    3*3*3 + 1 = 28 parameters; two such filters have 56. Unlike a dense
    layer, the count does not depend on the image size.

    Inputs:
    - kh, kw: ints, kernel height and width.
    - in_channels: int, channels of the input.
    - filters: int, number of filters (output channels).

    Returns:
    - int, the number of weights plus biases.
    """
    raise NotImplementedError("conv2d_param_count: write your code here")
