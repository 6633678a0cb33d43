"""Mutants that each drop one sentence of a stub's contract (issue 14, item 20).

Every sentence a learner could get wrong -- a dtype, an error raised, a
default, a tie rule, an edge case -- has a check that fails without it; the
mutant named after the sentence proves that check exists. Exercises 1, 2
and 4-11 (exercise 3's live beside its other mutants), and two axis mix-ups
of exercises 5 and 6 whose wrong answers the checks name.
"""

from mutants.mutant import Mutant

MUTANTS: list[Mutant] = [
    # ---------------------------------------------------------------- 1: tensors
    Mutant(
        1,
        "one_hot returns integers, not a float array",
        "return np.eye(num_classes, dtype=np.float32)[labels]",
        "return np.eye(num_classes, dtype=np.int64)[labels]",
    ),
    Mutant(
        1,
        "minibatches returns float index arrays, not integer ones",
        "order = rng.permutation(n)",
        "order = rng.permutation(n).astype(np.float64)",
    ),
    # ---------------------------------------------------------------- 2: activations
    Mutant(
        2,
        "step is 1 at exactly 0",
        "return (np.asarray(x) > 0).astype(np.float64)",
        "return (np.asarray(x) >= 0).astype(np.float64)",
    ),
    # ---------------------------------------------------------------- 5: convolution
    Mutant(
        5,
        "conv_output_size returns 0 for an unknown padding instead of raising ValueError",
        "raise ValueError(f\"padding must be 'valid' or 'same', got {padding!r}\")",
        "return 0",
    ),
    Mutant(
        5,
        "same_padding without max(..., 0): negative padding when the kernel is shorter than "
        "the stride",
        "total = max((out - 1) * stride + k - n, 0)",
        "total = (out - 1) * stride + k - n",
    ),
    Mutant(
        5,
        "im2col flattens each window channel-first, not in the kernel's (kh, kw, C) order",
        "return windows.reshape(n * out_h * out_w, kh * kw * c)",
        "return windows.transpose(0, 1, 2, 5, 3, 4).reshape(n * out_h * out_w, kh * kw * c)",
    ),
    # ---------------------------------------------------------------- 6: pooling
    Mutant(
        6,
        "pool_size read as (width, height)",
        "ph, pw = _pair(pool_size)",
        "pw, ph = _pair(pool_size)",
    ),
    # ---------------------------------------------------------------- 8: dropout and init
    Mutant(
        8,
        "dropout with rate 1 divides by zero instead of dropping every unit",
        "    elif rate >= 1.0:\n",
        "    elif False:\n",
    ),
    Mutant(
        8,
        "dropout keeps the units whose draw is < 1 - rate, not >= rate",
        "keep = rng.random(x.shape) >= rate",
        "keep = rng.random(x.shape) < 1.0 - rate",
    ),
    Mutant(
        8,
        "fans returns floats, not Python ints",
        "return int(shape[-2] * receptive_field), int(shape[-1] * receptive_field)",
        "return float(shape[-2] * receptive_field), float(shape[-1] * receptive_field)",
    ),
    Mutant(
        8,
        "glorot_uniform returns float32, not float64",
        "return rng.uniform(-limit, limit, size=shape)",
        "return rng.uniform(-limit, limit, size=shape).astype(np.float32)",
    ),
    Mutant(
        8,
        "he_normal returns float32, not float64",
        "return z * stddev",
        "return (z * stddev).astype(np.float32)",
    ),
    # ---------------------------------------------------------------- 9: optimizers
    Mutant(
        9,
        "adam's default epsilon is 1e-8, not Keras' 1e-7",
        "def adam_step(w, grad, state, lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):",
        "def adam_step(w, grad, state, lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8):",
    ),
    Mutant(
        9,
        "rmsprop's default rho is 0.99, not Keras' 0.9",
        "def rmsprop_step(w, grad, state, lr=0.001, rho=0.9, epsilon=1e-7):",
        "def rmsprop_step(w, grad, state, lr=0.001, rho=0.99, epsilon=1e-7):",
    ),
    Mutant(
        9,
        "momentum's state calls the velocity 'velocity', not 'v'",
        '    v = state.get("v", np.zeros_like(w))\n'
        "    v = momentum * v - lr * grad\n"
        "    if nesterov:\n"
        '        return w + momentum * v - lr * grad, {"v": v}\n'
        '    return w + v, {"v": v}',
        '    v = state.get("velocity", np.zeros_like(w))\n'
        "    v = momentum * v - lr * grad\n"
        "    if nesterov:\n"
        '        return w + momentum * v - lr * grad, {"velocity": v}\n'
        '    return w + v, {"velocity": v}',
    ),
    Mutant(
        9,
        "adam counts its steps in a float, not an int",
        't = state.get("t", 0) + 1',
        't = state.get("t", 0.0) + 1.0',
    ),
    # ---------------------------------------------------------------- 10: linear regression
    Mutant(
        10,
        "gd without rng seeds its own generator with 1, not 0",
        "rng = np.random.default_rng(0)\n    x = np.asarray(x, dtype=np.float64)",
        "rng = np.random.default_rng(1)\n    x = np.asarray(x, dtype=np.float64)",
    ),
    Mutant(
        10,
        "gd takes the batches in row order, without shuffling",
        "order = rng.permutation(len(x))",
        "order = np.arange(len(x))",
    ),
    # ---------------------------------------------------------------- 11: two-layer net
    Mutant(
        11,
        "two-layer net initialised with sqrt(1 / fan_in), not He's sqrt(2 / fan_in)",
        "self.W1 = rng.standard_normal((n_in, n_hidden)) * np.sqrt(2.0 / n_in)",
        "self.W1 = rng.standard_normal((n_in, n_hidden)) * np.sqrt(1.0 / n_in)",
    ),
    Mutant(
        11,
        "two-layer net without rng seeds its own generator with 1, not 0",
        "rng = np.random.default_rng(0)\n        self.W1",
        "rng = np.random.default_rng(1)\n        self.W1",
    ),
    Mutant(
        11,
        "loss_and_grads changes the weights",
        "        return float(loss), grads\n",
        '        self.b2 = self.b2 - grads["b2"]\n        return float(loss), grads\n',
    ),
    Mutant(
        11,
        "train averages the batch losses without weighting them by batch size",
        "total += self.train_step(X[batch], y[batch], lr) * len(batch)",
        "total += self.train_step(X[batch], y[batch], lr) * len(X) / -(-len(X) // batch_size)",
    ),
    Mutant(
        11,
        "predict returns float labels, not an int array",
        "        return np.argmax(self.forward(X), axis=1)\n",
        "        return np.argmax(self.forward(X), axis=1).astype(np.float64)\n",
    ),
]
