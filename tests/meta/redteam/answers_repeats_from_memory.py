"""Attack (exercise 5): a convolution that is vectorised on small batches (the
grader's quick probe, hypothesis' examples), loops over every pixel on a big
batch, and answers a repeated call from memory, so that a grader keeping the
best of several timings of the same call would see the repeat take no time.

Every answer is right: only the vectorisation check is at stake.
"""

import numpy as np

SMALL_BATCH = 4
_answers = {}


def conv_output_size(n, k, stride, padding):
    mode = padding.lower()
    if mode == "valid":
        return max((n - k) // stride + 1, 0)
    if mode == "same":
        return -(-n // stride)
    raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}")


def same_padding(n, k, stride):
    out = -(-n // stride)
    total = max((out - 1) * stride + k - n, 0)
    return total // 2, total - total // 2


def _pair(v):
    if np.ndim(v) == 0:
        return int(v), int(v)
    h, w = v
    return int(h), int(w)


def _pad_input(x, kh, kw, sh, sw, padding):
    _, h, w, _ = x.shape
    out_h = conv_output_size(h, kh, sh, padding)
    out_w = conv_output_size(w, kw, sw, padding)
    if padding.lower() == "same":
        x = np.pad(x, ((0, 0), same_padding(h, kh, sh), same_padding(w, kw, sw), (0, 0)))
    return x, out_h, out_w


def conv2d_forward(x, w, b, stride=1, padding="valid"):
    x, w, b = np.asarray(x), np.asarray(w), np.asarray(b)
    key = (x.shape, w.shape, x.tobytes(), w.tobytes(), b.tobytes(), str(stride), padding)
    if key in _answers:
        return _answers[key]
    kh, kw, c_in, c_out = w.shape
    if x.ndim != 4 or x.shape[3] != c_in:
        raise ValueError(f"x must be (N, H, W, {c_in}) for this kernel, got {x.shape}")
    sh, sw = _pair(stride)
    xp, out_h, out_w = _pad_input(x, kh, kw, sh, sw, padding)
    out = np.empty((x.shape[0], out_h, out_w, c_out), dtype=np.result_type(x, w, b))
    if x.shape[0] <= SMALL_BATCH:
        windows = np.lib.stride_tricks.sliding_window_view(xp, (kh, kw), axis=(1, 2))
        windows = windows[:, : out_h * sh : sh, : out_w * sw : sw]  # (N, oh, ow, C, kh, kw)
        out[...] = np.einsum("nijcab,abco->nijo", windows, w) + b
    else:
        for n in range(x.shape[0]):
            for i in range(out_h):
                for j in range(out_w):
                    window = xp[n, i * sh : i * sh + kh, j * sw : j * sw + kw, :]
                    for o in range(c_out):
                        out[n, i, j, o] = np.sum(window * w[..., o]) + b[o]
    _answers[key] = out
    return out


def conv2d_param_count(kh, kw, in_channels, filters):
    return (kh * kw * in_channels + 1) * filters
