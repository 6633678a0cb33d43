"""Known-wrong variants of exercises 4-8 (dense, convolution, pooling, conv backprop, dropout)."""

from mutants.mutant import Mutant

_CONV_FORWARD_IM2COL = """\
    cols = _im2col(xp, kh, kw, sh, sw, out_h, out_w)
    out = cols @ w.reshape(kh * kw * c_in, c_out) + b
    return out.reshape(x.shape[0], out_h, out_w, c_out)
"""

_CONV_FORWARD_LOOPS = """\
    out = np.zeros((x.shape[0], out_h, out_w, c_out))
    for n in range(x.shape[0]):
        for i in range(out_h):
            for j in range(out_w):
                for o in range(c_out):
                    total = b[o]
                    for a in range(kh):
                        for c in range(kw):
                            total = total + xp[n, i * sh + a, j * sw + c, :] @ w[a, c, :, o]
                    out[n, i, j, o] = total
    return out
"""

_CONV_BACKWARD_VECTORISED = """\
    db = d2.sum(axis=0)
    cols = _im2col(xp, kh, kw, sh, sw, out_h, out_w)
    dw = (cols.T @ d2).reshape(w.shape)
"""

_CONV_BACKWARD_LOOPS = """\
    db = d2.sum(axis=0)
    dw = np.zeros(w.shape)
    loop_dxp = np.zeros(xp.shape)
    for i_n in range(n):
        for i in range(out_h):
            for j in range(out_w):
                rows, columns = slice(i * sh, i * sh + kh), slice(j * sw, j * sw + kw)
                for o in range(c_out):
                    g = dout[i_n, i, j, o]
                    dw[:, :, :, o] += xp[i_n, rows, columns, :] * g
                    loop_dxp[i_n, rows, columns, :] += w[:, :, :, o] * g
    return loop_dxp[:, pad_h[0] : pad_h[0] + h, pad_w[0] : pad_w[0] + wd, :], dw, db
"""

MUTANTS: list[Mutant] = [
    # ---------------------------------------------------------------- 4: dense
    Mutant(
        4,
        "dense forward forgets the bias",
        "return np.asarray(x) @ np.asarray(w) + np.asarray(b)",
        "return np.asarray(x) @ np.asarray(w)",
    ),
    Mutant(4, "dense bias gradient not summed over the batch", "db = d2.sum(axis=0)", "db = d2"),
    Mutant(
        4, "dense bias gradient averaged over the batch", "db = d2.sum(axis=0)", "db = d2.mean(0)"
    ),
    Mutant(
        4,
        "dense weight gradient divided by the batch size",
        "dw = x2.T @ d2",
        "dw = x2.T @ d2 / len(x2)",
    ),
    Mutant(
        4,
        "param count forgets the biases",
        "return n_in * n_out + n_out",
        "return n_in * n_out",
    ),
    Mutant(
        4,
        "mlp param count skips the last layer",
        "zip(sizes[:-1], sizes[1:], strict=True)",
        "zip(sizes[:-2], sizes[1:-1], strict=True)",
    ),
    # ---------------------------------------------------------------- 5: convolution
    Mutant(
        5,
        "flipped kernel",
        "out = cols @ w.reshape(kh * kw * c_in, c_out) + b",
        "out = cols @ w[::-1, ::-1].reshape(kh * kw * c_in, c_out) + b",
    ),
    Mutant(
        5,
        "symmetric SAME padding",
        "return total // 2, total - total // 2",
        "return (total + 1) // 2, (total + 1) // 2",
    ),
    Mutant(
        5,
        "SAME padding puts the odd zero first",
        "return total // 2, total - total // 2",
        "return total - total // 2, total // 2",
    ),
    Mutant(5, "conv forward ignores the stride", "sh, sw = _pair(stride)", "sh, sw = 1, 1"),
    Mutant(
        5,
        "VALID output size one short",
        "return max((n - k) // stride + 1, 0)",
        "return max((n - k) // stride, 0)",
    ),
    Mutant(
        5,
        "SAME output size rounds down",
        "return -(-n // stride)  # ceil",
        "return n // stride  # floor",
    ),
    Mutant(5, "padding must be lower case", "mode = padding.lower()", "mode = padding"),
    Mutant(
        5,
        "per-pixel Python-loop conv forward",
        _CONV_FORWARD_IM2COL,
        _CONV_FORWARD_LOOPS,
    ),
    # ---------------------------------------------------------------- 6: pooling
    Mutant(
        6,
        "gradient sent to every tied max",
        "            first_max &= unserved  # in place: no new arrays in the loop\n",
        "",
    ),
    Mutant(
        6,
        "tied max gradient goes to the last row",
        "for a in range(ph):  # row-major",
        "for a in reversed(range(ph)):  # row-major",
    ),
    Mutant(
        6,
        "overlapping max pool gradients overwrite instead of adding up",
        "dxp[:, a : a + sh * out_h : sh, b : b + sw * out_w : sw] += dout * first_max",
        "dxp[:, a : a + sh * out_h : sh, b : b + sw * out_w : sw] = np.where(first_max, dout, "
        "dxp[:, a : a + sh * out_h : sh, b : b + sw * out_w : sw])",
    ),
    Mutant(
        6, "SAME average counting padded cells", "return sums / counts", "return sums / (ph * pw)"
    ),
    Mutant(
        6,
        "SAME average gradient counting padded cells",
        "share = dout / counts.astype(dout.dtype)",
        "share = dout / (ph * pw)",
    ),
    Mutant(
        6,
        "pool stride defaulting to 1",
        "sh, sw = _pair(pool_size if stride is None else stride)",
        "sh, sw = _pair(1 if stride is None else stride)",
    ),
    Mutant(
        6,
        "max pool pads with zeros",
        "xp = _padded(x, pad_h, pad_w, -np.inf)\n    return _window_max(",
        "xp = _padded(x, pad_h, pad_w, 0.0)\n    return _window_max(",
    ),
    Mutant(
        6,
        "pooling SAME padding puts the odd cell first",
        "pads.append((total // 2, total - total // 2))",
        "pads.append((total - total // 2, total // 2))",
    ),
    # ---------------------------------------------------------------- 7: conv backprop
    Mutant(
        7,
        "stride ignored in the backward pass",
        "dxp[:, a : a + sh * out_h : sh, c : c + sw * out_w : sw, :] += dcols_ac",
        "dxp[:, a : a + out_h, c : c + out_w, :] += dcols_ac",
    ),
    Mutant(
        7,
        "conv bias gradient not summed over the batch",
        "db = d2.sum(axis=0)",
        "db = dout.sum(axis=(1, 2))",
    ),
    Mutant(
        7,
        "conv dx cropped from the wrong corner",
        "dx = dxp[:, pad_h[0] : pad_h[0] + h, pad_w[0] : pad_w[0] + wd, :]",
        "dx = dxp[:, :h, :wd, :]",
    ),
    Mutant(
        7,
        "conv dw of the flipped kernel",
        "dw = (cols.T @ d2).reshape(w.shape)",
        "dw = (cols.T @ d2).reshape(w.shape)[::-1, ::-1]",
    ),
    Mutant(
        7,
        "one-sided numerical gradient",
        "x[index] = old - h\n            f_minus = f(x)",
        "x[index] = old\n            f_minus = 2 * f(x) - f_plus",
    ),
    Mutant(
        7,
        "numerical gradient ignores the h it is given",
        "    grad = np.zeros(x.shape, dtype=np.float64)\n",
        "    h = 1e-5\n    grad = np.zeros(x.shape, dtype=np.float64)\n",
    ),
    Mutant(
        7,
        "numerical gradient restores x by adding h back",
        "x[index] = old  # restore",
        "x[index] += h  # restore",
    ),
    Mutant(
        7,
        "per-pixel Python-loop conv backward",
        _CONV_BACKWARD_VECTORISED,
        _CONV_BACKWARD_LOOPS,
    ),
    # ---------------------------------------------------------------- 8: dropout and init
    Mutant(
        8,
        "dropout not rescaled",
        "mask = (keep / (1.0 - rate)).astype(dtype)",
        "mask = keep.astype(dtype)",
    ),
    Mutant(
        8,
        "dropout active at inference",
        "if not training:\n        mask = np.ones",
        "if False:\n        mask = np.ones",
    ),
    Mutant(
        8,
        "dropout keeps units with probability rate",
        "keep = rng.random(x.shape) >= rate",
        "keep = rng.random(x.shape) < rate",
    ),
    Mutant(
        8,
        "dropout ignores its rng",
        "keep = rng.random(x.shape) >= rate",
        "keep = np.random.random(x.shape) >= rate",
    ),
    Mutant(
        8,
        "dropout backward ignores the mask's scale",
        "return dout * mask",
        "return dout * (mask != 0)",
    ),
    Mutant(
        8,
        "fans of a conv kernel ignore the receptive field",
        "return int(shape[-2] * receptive_field), int(shape[-1] * receptive_field)",
        "return int(shape[-2]), int(shape[-1])",
    ),
    Mutant(
        8,
        "Glorot with fan_in only",
        "limit = np.sqrt(3.0 / max(1.0, (fan_in + fan_out) / 2.0))",
        "limit = np.sqrt(6.0 / fan_in)",
    ),
    Mutant(8, "He not truncated", "while np.any(outside):", "while False:"),
    Mutant(
        8,
        "He without the truncation correction",
        "stddev = np.sqrt(2.0 / max(1.0, fan_in)) / 0.87962566103423978",
        "stddev = np.sqrt(2.0 / max(1.0, fan_in))",
    ),
    Mutant(
        8,
        "L2 gradient forgets the factor 2",
        "grads = [2.0 * lam * np.asarray(w) for w in weights]",
        "grads = [lam * np.asarray(w) for w in weights]",
    ),
]
