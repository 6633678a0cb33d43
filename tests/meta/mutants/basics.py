"""Known-wrong variants of exercises 1-3 (tensors, activations, softmax and losses)."""

from mutants.mutant import Mutant

MUTANTS = [
    Mutant(1, "one_hot ignores num_classes", "if num_classes is None:", "if True:"),
    Mutant(
        1,
        "scale_pixels returns float64",
        "np.asarray(images, dtype=np.float32) / np.float32(255.0)",
        "np.asarray(images) / 255.0",
    ),
    Mutant(1, "minibatches does not shuffle", "order = rng.permutation(n)", "order = np.arange(n)"),
    Mutant(
        1,
        "nhwc_to_nchw swaps height and width",
        "np.transpose(x, (0, 3, 1, 2))",
        "np.transpose(x, (0, 3, 2, 1))",
    ),
    Mutant(
        2,
        "relu gradient 1 at zero",
        "np.asarray(dout) * (np.asarray(x) > 0)",
        "np.asarray(dout) * (np.asarray(x) >= 0)",
    ),
    Mutant(
        2,
        "sigmoid overflows for large negative inputs",
        "e = np.exp(-np.abs(x))\n    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))",
        "return 1.0 / (1.0 + np.exp(-x))",
    ),
    Mutant(2, "tanh gradient forgets the square", "(1.0 - np.tanh(x) ** 2)", "(1.0 - np.tanh(x))"),
    Mutant(
        3,
        "softmax without the max shift",
        "shifted = z - np.max(z, axis=axis, keepdims=True)\n    e = np.exp(shifted)",
        "e = np.exp(z)",
    ),
    Mutant(
        3,
        "categorical crossentropy clips before normalising",
        "    y_pred = y_pred / np.sum(y_pred, axis=-1, keepdims=True)\n"
        "    y_pred = np.clip(y_pred, EPSILON, 1.0 - EPSILON)\n"
        "    return float(np.mean(-np.sum(",
        "    y_pred = np.clip(y_pred, EPSILON, 1.0 - EPSILON)\n"
        "    y_pred = y_pred / np.sum(y_pred, axis=-1, keepdims=True)\n"
        "    return float(np.mean(-np.sum(",
    ),
    Mutant(
        3,
        "sparse crossentropy with log base 10",
        "np.mean(-np.log(y_pred[",
        "np.mean(-np.log10(y_pred[",
    ),
    Mutant(
        3,
        "softmax gradient not divided by N",
        "return float(loss), dlogits / n",
        "return float(loss), dlogits",
    ),
    Mutant(
        3,
        "mse gradient without the factor 2",
        "return 2.0 * diff / diff.size",
        "return diff / diff.size",
    ),
    # Exercise 3's docstring sentences (issue 14, item 20) and axis mix-ups (item 9).
    Mutant(
        3,
        "softmax sums over axis 0",
        "    return e / np.sum(e, axis=axis, keepdims=True)",
        "    return e / np.sum(e, axis=0, keepdims=True)",
    ),
    Mutant(
        3,
        "softmax subtracts one maximum for the whole array",
        "shifted = z - np.max(z, axis=axis, keepdims=True)\n    e = np.exp(shifted)",
        "shifted = z - np.max(z)\n    e = np.exp(shifted)",
    ),
    Mutant(
        3,
        "log_softmax ignores its axis",
        "    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))",
        "    shifted = z - np.max(z, axis=-1, keepdims=True)\n"
        "    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))",
    ),
    Mutant(
        3,
        "categorical crossentropy without the clip",
        "    y_pred = np.clip(y_pred, EPSILON, 1.0 - EPSILON)\n    return float(np.mean(-np.sum(",
        "    return float(np.mean(-np.sum(",
    ),
    Mutant(
        3,
        "categorical crossentropy clips only below",
        "    y_pred = np.clip(y_pred, EPSILON, 1.0 - EPSILON)\n    return float(np.mean(-np.sum(",
        "    y_pred = np.maximum(y_pred, EPSILON)\n    return float(np.mean(-np.sum(",
    ),
    Mutant(
        3,
        "categorical crossentropy sums over the batch",
        "return float(np.mean(-np.sum(y_true * np.log(y_pred), axis=-1)))",
        "return float(np.sum(-np.sum(y_true * np.log(y_pred), axis=-1)))",
    ),
    Mutant(
        3,
        "sparse crossentropy clips only above",
        "    y_pred = np.clip(y_pred, EPSILON, 1.0 - EPSILON)\n    y_pred = y_pred / np.sum(",
        "    y_pred = np.minimum(y_pred, 1.0 - EPSILON)\n    y_pred = y_pred / np.sum(",
    ),
    Mutant(
        3,
        "softmax cross entropy takes the log of softmax",
        "    log_probs = log_softmax(logits)\n",
        "    log_probs = np.log(softmax(logits))\n",
    ),
    Mutant(
        3,
        "mse sums instead of averaging",
        "return float(np.mean((np.asarray(",
        "return float(np.sum((np.asarray(",
    ),
]
