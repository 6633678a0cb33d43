"""Attack (exercise 5): a correct but pixel-by-pixel convolution that stops the
worker's clocks, so that a grader timing the call inside the worker would see it
take no time at all and pass the vectorisation check.

Every function but conv2d_forward is the reference's, and conv2d_forward gives
the right answer: only the vectorisation check is at stake.
"""

import time

import numpy as np

_FROZEN = 1000.0


def _frozen_clock():
    return _FROZEN


def _frozen_clock_ns():
    return int(_FROZEN * 1e9)


for _name in ("perf_counter", "monotonic", "process_time", "thread_time", "time"):
    setattr(time, _name, _frozen_clock)
    setattr(time, _name + "_ns", _frozen_clock_ns)


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
    kh, kw, c_in, c_out = w.shape
    if x.ndim != 4 or x.shape[3] != c_in:
        raise ValueError(f"x must be (N, H, W, {c_in}) for this kernel, got {x.shape}")
    sh, sw = _pair(stride)
    xp, out_h, out_w = _pad_input(x, kh, kw, sh, sw, padding)
    out = np.empty((x.shape[0], out_h, out_w, c_out), dtype=np.result_type(x, w, b))
    for n in range(x.shape[0]):
        for i in range(out_h):
            for j in range(out_w):
                window = xp[n, i * sh : i * sh + kh, j * sw : j * sw + kw, :]
                for o in range(c_out):
                    out[n, i, j, o] = np.sum(window * w[..., o]) + b[o]
    return out


def conv2d_param_count(kh, kw, in_channels, filters):
    return (kh * kw * in_channels + 1) * filters
