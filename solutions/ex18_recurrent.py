"""Exercise 18: recurrent cells, SimpleRNN and LSTM, forward and backward through time.

A recurrent layer reads a sequence x of shape (N, T, D) -- N sequences of T
time steps with D features each -- one step at a time, and carries a hidden
state h of H numbers from each step to the next. The same weights serve every
step. This is `keras.layers.SimpleRNN(H)` and `keras.layers.LSTM(H)`, and the
weights have Keras' names and shapes:

    kernel            (D, H)   SimpleRNN     (D, 4H)   LSTM   input -> units
    recurrent_kernel  (H, H)                 (H, 4H)          state -> units
    bias              (H,)                   (4H,)

SimpleRNN, one step (Keras computes exactly this):

    h_t = tanh(x_t @ kernel + h_prev @ recurrent_kernel + bias)

LSTM, one step: z = x_t @ kernel + h_prev @ recurrent_kernel + bias has 4H
columns, four blocks of H in Keras' order i, f, c, o:

    i = sigmoid(z[:, :H])        input gate: how much new content to write
    f = sigmoid(z[:, H:2H])      forget gate: how much old cell state to keep
    g = tanh(z[:, 2H:3H])        the candidate content
    o = sigmoid(z[:, 3H:])       output gate: how much of the cell to show
    c_t = f * c_prev + i * g     the cell state: a running sum, which is why
    h_t = o * tanh(c_t)          gradients survive many steps

Backward through time: the loss depends on h_t directly (dh_all[:, t]) and
through every later state, so walk t = T-1 down to 0 carrying the gradient
that flows back into h_{t-1} (and, for the LSTM, into c_{t-1}), and add each
step's weight gradients: the weights are shared by all steps. The backward
functions take every input explicitly (no state kept between calls, as in
exercise 7). Inputs are float64; do not change them in place.
"""

import numpy as np


def rnn_step_forward(x_t, h_prev, kernel, recurrent_kernel, bias):
    """One SimpleRNN step: tanh(x_t @ kernel + h_prev @ recurrent_kernel + bias).

    Inputs: x_t (N, D), h_prev (N, H), kernel (D, H), recurrent_kernel (H, H),
    bias (H,).

    Returns h_t, an array (N, H).
    """
    # BEGIN SOLUTION
    return np.tanh(x_t @ kernel + h_prev @ recurrent_kernel + bias)
    # END SOLUTION


def rnn_forward(x, h0, kernel, recurrent_kernel, bias):
    """A SimpleRNN over a whole sequence, from the initial state h0.

    Inputs: x (N, T, D), h0 (N, H) (zeros for Keras' default), the weights
    as in rnn_step_forward.

    Returns (h_all, h_last): h_all (N, T, H) holds the state after every step
    (Keras' return_sequences=True), h_last (N, H) the state after the last.
    """
    # BEGIN SOLUTION
    n, steps, _ = x.shape
    h_all = np.empty((n, steps, len(bias)))
    h = h0
    for t in range(steps):
        h = rnn_step_forward(x[:, t], h, kernel, recurrent_kernel, bias)
        h_all[:, t] = h
    return h_all, h
    # END SOLUTION


def rnn_backward(dh_all, x, h0, h_all, kernel, recurrent_kernel):
    """Backpropagation through time for rnn_forward.

    dh_all[:, t] is dLoss/dh_t from the layer's output alone; when only the
    last state is used (return_sequences=False), every step but the last is
    zero. Walking back from t = T-1, the gradient reaching h_t is
    dh_all[:, t] plus what flowed back from step t+1. Through the tanh:
    da = dh * (1 - h_t**2), using the step's *output* h_t. Then

        dx[:, t] = da @ kernel.T            dkernel += x_t.T @ da
        dh_prev  = da @ recurrent_kernel.T  drecurrent_kernel += h_prev.T @ da
        dbias   += da.sum(axis=0)

    where h_prev is h_all[:, t-1], or h0 at t = 0.

    Inputs: dh_all (N, T, H); x (N, T, D); h0 (N, H); h_all (N, T, H) from
    rnn_forward; kernel (D, H); recurrent_kernel (H, H).

    Returns (dx, dh0, dkernel, drecurrent_kernel, dbias), shaped like
    x, h0, kernel, recurrent_kernel and the bias (H,).
    """
    # BEGIN SOLUTION
    steps = x.shape[1]
    dx = np.empty_like(x, dtype=np.float64)
    dkernel = np.zeros_like(kernel, dtype=np.float64)
    drecurrent = np.zeros_like(recurrent_kernel, dtype=np.float64)
    dbias = np.zeros(kernel.shape[1])
    dh_next = np.zeros_like(h0, dtype=np.float64)
    for t in reversed(range(steps)):
        h_prev = h_all[:, t - 1] if t > 0 else h0
        da = (dh_all[:, t] + dh_next) * (1.0 - h_all[:, t] ** 2)
        dx[:, t] = da @ kernel.T
        dkernel += x[:, t].T @ da
        drecurrent += h_prev.T @ da
        dbias += da.sum(axis=0)
        dh_next = da @ recurrent_kernel.T
    return dx, dh_next, dkernel, drecurrent, dbias
    # END SOLUTION


def sigmoid(z):
    """The logistic function 1 / (1 + exp(-z)), without overflow warnings."""
    # BEGIN SOLUTION
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    # END SOLUTION


def lstm_step_forward(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    """One LSTM step with Keras' gate order i, f, c, o (see the module docstring).

    Inputs: x_t (N, D), h_prev (N, H), c_prev (N, H), kernel (D, 4H),
    recurrent_kernel (H, 4H), bias (4H,).

    Returns (h_t, c_t), two arrays (N, H).
    """
    # BEGIN SOLUTION
    units = h_prev.shape[1]
    z = x_t @ kernel + h_prev @ recurrent_kernel + bias
    i = sigmoid(z[:, :units])
    f = sigmoid(z[:, units : 2 * units])
    g = np.tanh(z[:, 2 * units : 3 * units])
    o = sigmoid(z[:, 3 * units :])
    c_t = f * c_prev + i * g
    return o * np.tanh(c_t), c_t
    # END SOLUTION


def lstm_forward(x, h0, c0, kernel, recurrent_kernel, bias):
    """An LSTM over a whole sequence, from the initial states h0 and c0.

    Inputs: x (N, T, D); h0, c0 (N, H) (zeros for Keras' default); the
    weights as in lstm_step_forward.

    Returns (h_all, h_last, c_last): h_all (N, T, H) the hidden state after
    every step, h_last and c_last (N, H) the hidden and cell states after the
    last (what Keras' return_state=True gives).
    """
    # BEGIN SOLUTION
    n, steps, _ = x.shape
    h_all = np.empty((n, steps, h0.shape[1]))
    h, c = h0, c0
    for t in range(steps):
        h, c = lstm_step_forward(x[:, t], h, c, kernel, recurrent_kernel, bias)
        h_all[:, t] = h
    return h_all, h, c
    # END SOLUTION


def lstm_backward(dh_all, x, h0, c0, kernel, recurrent_kernel, bias):
    """Backpropagation through time for lstm_forward.

    Run the forward pass again, keeping each step's gates and cell states,
    then walk back from t = T-1 carrying dh (into h_{t-1}) and dc (into
    c_{t-1}). At step t, with dh = dh_all[:, t] + the carried dh:

        do = dh * tanh(c_t)
        dc = the carried dc + dh * o * (1 - tanh(c_t)**2)
        di = dc * g     df = dc * c_prev     dg = dc * i
        carried dc for step t-1 = dc * f

    and through the activations, dz = [di * i(1-i), df * f(1-f),
    dg * (1-g**2), do * o(1-o)] (i, f, c, o order), then exactly as the
    SimpleRNN: dx[:, t] = dz @ kernel.T, carried dh = dz @ recurrent_kernel.T,
    and the weight gradients add up over the steps.

    Inputs: dh_all (N, T, H); x (N, T, D); h0, c0 (N, H); kernel (D, 4H);
    recurrent_kernel (H, 4H); bias (4H,).

    Returns (dx, dh0, dc0, dkernel, drecurrent_kernel, dbias), shaped like
    x, h0, c0, kernel, recurrent_kernel, bias.
    """
    # BEGIN SOLUTION
    n, steps, _ = x.shape
    units = h0.shape[1]
    h, c = h0, c0
    saved = []
    for t in range(steps):
        z = x[:, t] @ kernel + h @ recurrent_kernel + bias
        i = sigmoid(z[:, :units])
        f = sigmoid(z[:, units : 2 * units])
        g = np.tanh(z[:, 2 * units : 3 * units])
        o = sigmoid(z[:, 3 * units :])
        c_new = f * c + i * g
        saved.append((h, c, i, f, g, o, np.tanh(c_new)))
        h, c = o * np.tanh(c_new), c_new
    dx = np.empty_like(x, dtype=np.float64)
    dkernel = np.zeros_like(kernel, dtype=np.float64)
    drecurrent = np.zeros_like(recurrent_kernel, dtype=np.float64)
    dbias = np.zeros_like(bias, dtype=np.float64)
    dh_next = np.zeros((n, units))
    dc_next = np.zeros((n, units))
    for t in reversed(range(steps)):
        h_prev, c_prev, i, f, g, o, tanh_c = saved[t]
        dh = dh_all[:, t] + dh_next
        dc = dc_next + dh * o * (1.0 - tanh_c**2)
        dz = np.concatenate(
            [
                dc * g * i * (1.0 - i),
                dc * c_prev * f * (1.0 - f),
                dc * i * (1.0 - g**2),
                dh * tanh_c * o * (1.0 - o),
            ],
            axis=1,
        )
        dx[:, t] = dz @ kernel.T
        dkernel += x[:, t].T @ dz
        drecurrent += h_prev.T @ dz
        dbias += dz.sum(axis=0)
        dh_next = dz @ recurrent_kernel.T
        dc_next = dc * f
    return dx, dh_next, dc_next, dkernel, drecurrent, dbias
    # END SOLUTION


def lstm_bias_init(units):
    """The LSTM bias Keras starts from (`unit_forget_bias=True`).

    Zeros, except the forget gate's block (the second H values), which is
    ones: with f = sigmoid(1), about 0.73, a new LSTM keeps most of its cell
    state at first, so gradients can reach early steps from the start.

    Inputs: units, H.

    Returns a float64 array (4H,).
    """
    # BEGIN SOLUTION
    bias = np.zeros(4 * units)
    bias[units : 2 * units] = 1.0
    return bias
    # END SOLUTION


def clip_gradients(grads, max_norm):
    """Clip a list of gradients by their global norm, as `tf.clip_by_global_norm`.

    global_norm = sqrt(sum of every element squared, over all the arrays).
    When global_norm > max_norm every array is scaled by
    max_norm / global_norm (so the directions are kept and the new global
    norm is max_norm); otherwise the arrays are returned unchanged. None
    entries stay None. An infinite or NaN global norm makes every returned
    array all NaN (TensorFlow's rule: training must not go on silently).

    Inputs: grads, a list of float arrays (or None); max_norm > 0.

    Returns (clipped, global_norm): a new list of arrays in the same order,
    and the global norm *before* clipping, a float.
    """
    # BEGIN SOLUTION
    present = [g for g in grads if g is not None]
    norm = float(np.sqrt(sum(np.sum(np.square(g, dtype=np.float64)) for g in present)))
    if not np.isfinite(norm):
        return [None if g is None else np.full(np.shape(g), np.nan) for g in grads], norm
    scale = max_norm / max(norm, max_norm)
    return [None if g is None else np.asarray(g) * scale for g in grads], norm
    # END SOLUTION
