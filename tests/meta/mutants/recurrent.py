"""Known-wrong variants of exercise 18 (SimpleRNN and LSTM cells, gradient clipping)."""

from mutants.mutant import Mutant

_LSTM_STEP_GATES = """\
    i = sigmoid(z[:, :units])
    f = sigmoid(z[:, units : 2 * units])
    g = np.tanh(z[:, 2 * units : 3 * units])
    o = sigmoid(z[:, 3 * units :])
    c_t = f * c_prev + i * g
"""

_CLIPPED = "return [None if g is None else np.asarray(g) * scale for g in grads], norm"

MUTANTS: list[Mutant] = [
    # ---------------------------------------------------------------- SimpleRNN
    Mutant(
        18,
        "rnn step multiplies h_prev by the kernel and x_t by the recurrent kernel",
        "return np.tanh(x_t @ kernel + h_prev @ recurrent_kernel + bias)",
        "return np.tanh(h_prev @ kernel + x_t @ recurrent_kernel + bias)",
    ),
    Mutant(
        18,
        "rnn forward stores the state from before each step",
        "        h = rnn_step_forward(x[:, t], h, kernel, recurrent_kernel, bias)\n"
        "        h_all[:, t] = h\n",
        "        h_all[:, t] = h\n"
        "        h = rnn_step_forward(x[:, t], h, kernel, recurrent_kernel, bias)\n",
    ),
    Mutant(
        18,
        "rnn backward carries no gradient back through h",
        "da = (dh_all[:, t] + dh_next) * (1.0 - h_all[:, t] ** 2)",
        "da = dh_all[:, t] * (1.0 - h_all[:, t] ** 2)",
    ),
    Mutant(
        18,
        "rnn backward takes the tanh derivative at h_prev",
        "da = (dh_all[:, t] + dh_next) * (1.0 - h_all[:, t] ** 2)",
        "da = (dh_all[:, t] + dh_next) * (1.0 - h_prev**2)",
    ),
    Mutant(
        18,
        "rnn backward takes the tanh derivative at the pre-activation",
        "da = (dh_all[:, t] + dh_next) * (1.0 - h_all[:, t] ** 2)",
        "da = (dh_all[:, t] + dh_next) * (1.0 - np.arctanh(h_all[:, t]) ** 2)",
    ),
    Mutant(
        18,
        "rnn backward carries through the recurrent kernel untransposed",
        "dh_next = da @ recurrent_kernel.T\n    return dx, dh_next",
        "dh_next = da @ recurrent_kernel\n    return dx, dh_next",
    ),
    # ---------------------------------------------------------------- sigmoid
    Mutant(
        18,
        "sigmoid overflows for large negative z",
        "return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))",
        "return 1.0 / (1.0 + np.exp(-z))",
    ),
    # ---------------------------------------------------------------- LSTM
    Mutant(
        18,
        "lstm gates read in the order i, f, o, c",
        _LSTM_STEP_GATES,
        _LSTM_STEP_GATES.replace("2 * units : 3 * units])\n", "3 * units :])\n", 1).replace(
            "o = sigmoid(z[:, 3 * units :])", "o = sigmoid(z[:, 2 * units : 3 * units])"
        ),
    ),
    Mutant(
        18,
        "lstm gates read in the order f, i, c, o",
        _LSTM_STEP_GATES,
        _LSTM_STEP_GATES.replace(
            "i = sigmoid(z[:, :units])", "i = sigmoid(z[:, units : 2 * units])"
        ).replace("f = sigmoid(z[:, units : 2 * units])", "f = sigmoid(z[:, :units])", 1),
    ),
    Mutant(
        18,
        "lstm step multiplies h_prev by the kernel and x_t by the recurrent kernel",
        "    z = x_t @ kernel + h_prev @ recurrent_kernel + bias\n",
        "    z = h_prev @ kernel + x_t @ recurrent_kernel + bias\n",
    ),
    Mutant(18, "lstm forward returns h and c swapped", "return h_all, h, c", "return h_all, c, h"),
    Mutant(
        18,
        "lstm backward carries no dh back",
        "dh = dh_all[:, t] + dh_next",
        "dh = dh_all[:, t]",
    ),
    Mutant(
        18,
        "lstm backward carries no dc back",
        "dc = dc_next + dh * o * (1.0 - tanh_c**2)",
        "dc = dh * o * (1.0 - tanh_c**2)",
    ),
    Mutant(
        18,
        "lstm backward takes tanh's derivative at c_t",
        "dc = dc_next + dh * o * (1.0 - tanh_c**2)",
        "dc = dc_next + dh * o * (1.0 - (f * c_prev + i * g) ** 2)",
    ),
    Mutant(
        18,
        "lstm backward takes the candidate's tanh derivative at its pre-activation",
        "dc * i * (1.0 - g**2)",
        "dc * i * (1.0 - np.arctanh(g) ** 2)",
    ),
    Mutant(
        18,
        "lstm bias init leaves the forget gate at zero",
        "bias[units : 2 * units] = 1.0",
        "bias[units : 2 * units] = 0.0",
    ),
    Mutant(
        18,
        "lstm bias init puts the ones in the input gate",
        "bias[units : 2 * units] = 1.0",
        "bias[:units] = 1.0",
    ),
    # ---------------------------------------------------------------- clip_gradients
    Mutant(
        18,
        "clip gradients clips each array by its own norm",
        _CLIPPED,
        "return [None if g is None else np.asarray(g) * max_norm "
        "/ max(float(np.linalg.norm(g)), max_norm) for g in grads], norm",
    ),
    Mutant(
        18,
        "clip gradients returns the norm after clipping",
        _CLIPPED,
        "return [None if g is None else np.asarray(g) * scale for g in grads], min(norm, max_norm)",
    ),
    Mutant(
        18,
        "clip gradients scales when the norm is within max_norm",
        "scale = max_norm / max(norm, max_norm)",
        "scale = max_norm / norm",
    ),
    Mutant(
        18,
        "clip gradients drops the None entries",
        _CLIPPED,
        "return [np.asarray(g) * scale for g in present], norm",
    ),
    Mutant(
        18,
        "clip gradients fails on None entries",
        "present = [g for g in grads if g is not None]",
        "present = list(grads)",
    ),
    Mutant(
        18,
        "clip gradients gives zeros instead of NaN for an infinite norm",
        "if not np.isfinite(norm):",
        "if np.isnan(norm):",
    ),
    Mutant(
        18,
        "clip gradients scales the arrays in place",
        _CLIPPED,
        "return [None if g is None else np.multiply(g, scale, out=g) for g in grads], norm",
    ),
]
