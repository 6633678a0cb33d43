"""Known-wrong variants of exercises 9-11 (optimizers, linear regression, two-layer net)."""

from mutants.mutant import Mutant

MUTANTS: list[Mutant] = [
    # ------------------------------------------------------------- 9: optimizers
    Mutant(
        9,
        "adam without bias correction",
        "alpha = lr * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)",
        "alpha = lr",
    ),
    Mutant(
        9,
        "adam epsilon inside the root",
        "new_w = w - alpha * m / (np.sqrt(v) + epsilon)",
        "new_w = w - alpha * m / np.sqrt(v + epsilon)",
    ),
    Mutant(
        9,
        "adam textbook form (bias-corrected m and v)",
        "alpha = lr * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)\n"
        "    new_w = w - alpha * m / (np.sqrt(v) + epsilon)",
        "m_hat, v_hat = m / (1 - beta_1**t), v / (1 - beta_2**t)\n"
        "    new_w = w - lr * m_hat / (np.sqrt(v_hat) + epsilon)",
    ),
    Mutant(
        9,
        "adam step count shared by every parameter",
        't = state.get("t", 0) + 1',
        'global _T\n    _T = globals().get("_T", 0) + 1\n    t = _T',
    ),
    Mutant(
        9,
        "rmsprop epsilon outside the root",
        "new_w = w - lr * grad / np.sqrt(s + epsilon)",
        "new_w = w - lr * grad / (np.sqrt(s) + epsilon)",
    ),
    Mutant(
        9,
        "rmsprop updates its state in place",
        "s = rho * s + (1 - rho) * np.square(grad)",
        "s *= rho\n    s += (1 - rho) * np.square(grad)",
    ),
    Mutant(
        9,
        "momentum as v = mu * v + g (textbook form, wrong when lr changes)",
        "    v = momentum * v - lr * grad\n"
        "    if nesterov:\n"
        '        return w + momentum * v - lr * grad, {"v": v}\n'
        '    return w + v, {"v": v}',
        "    v = momentum * v + grad\n"
        "    if nesterov:\n"
        '        return w - lr * (momentum * v + grad), {"v": v}\n'
        '    return w - lr * v, {"v": v}',
    ),
    Mutant(9, "nesterov ignored", "    if nesterov:\n", "    if False:\n"),
    Mutant(9, "decay ignores staircase", "    if staircase:\n", "    if False:\n"),
    Mutant(
        9,
        "decay counts steps from 1",
        "p = step / decay_steps",
        "p = (step + 1) / decay_steps",
    ),
    # ------------------------------------------------------------- 10: linear regression
    Mutant(
        10,
        "ols returns intercept and slope swapped",
        "return float(m), float(b)\n",
        "return float(b), float(m)\n",
    ),
    Mutant(
        10,
        "gd forgets to map the slope back to raw x",
        "m = a / std\n",
        "m = a\n",
    ),
    Mutant(
        10,
        "gd records the loss of the last batch only",
        "losses.append(float(np.mean((a * z + c - y) ** 2)))",
        "losses.append(float(np.mean(err**2)))",
    ),
    # ------------------------------------------------------------- 11: two-layer net
    Mutant(
        11,
        "two-layer net without the relu gradient",
        "dpre = dh * (pre > 0)",
        "dpre = dh",
    ),
    Mutant(
        11,
        "two-layer net gradient not divided by N",
        "        dscores /= n\n",
        "",
    ),
    Mutant(
        11,
        "two-layer net softmax without the max shift",
        "exp = np.exp(scores - scores.max(axis=1, keepdims=True))",
        "exp = np.exp(scores)",
    ),
    Mutant(
        11,
        "train_step returns the loss after the update",
        '        self.b2 = self.b2 - lr * grads["b2"]\n        return loss\n',
        '        self.b2 = self.b2 - lr * grads["b2"]\n'
        "        return self.loss_and_grads(X, y)[0]\n",
    ),
    Mutant(
        11,
        "train_step forgets the biases",
        '        self.b1 = self.b1 - lr * grads["b1"]\n',
        "",
    ),
    Mutant(
        11,
        "predict names the quadrant from the signs of x, not from the weights",
        "        return np.argmax(self.forward(X), axis=1)\n",
        "        right, up = X[:, 0] > 0, X[:, -1] > 0\n"
        "        return np.select([right & up, ~right & up, ~right & ~up], [0, 1, 2], 3)\n",
    ),
    Mutant(
        11,
        "train writes hand-made quadrant weights instead of the descended ones",
        "        return losses\n",
        "        self.W1, self.b1 = np.zeros_like(self.W1), np.zeros_like(self.b1)\n"
        "        self.W1[0, :2], self.W1[1, 2:4] = [10.0, -10.0], [10.0, -10.0]\n"
        "        self.W2, self.b2 = np.zeros_like(self.W2), np.zeros_like(self.b2)\n"
        "        for label, units in enumerate([(0, 2), (1, 2), (1, 3), (0, 3)]):\n"
        "            self.W2[list(units), label] = 1.0\n"
        "        return losses\n",
    ),
]
