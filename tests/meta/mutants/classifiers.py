"""Known-wrong variants of exercises 16-17 (k-nearest neighbours, linear classifiers)."""

from mutants.mutant import Mutant

MUTANTS: list[Mutant] = [
    # ------------------------------------------------ 16: k-nearest neighbours
    Mutant(
        16,
        "l1 distances in uint8 arithmetic",
        "    x_test = np.asarray(x_test, dtype=np.float64)\n"
        "    x_train = np.asarray(x_train, dtype=np.float64)\n"
        "    dists = np.empty((len(x_test), len(x_train)))\n"
        "    for i, row in enumerate(x_test):\n"
        "        dists[i] = np.abs(",
        "    dists = np.empty((len(x_test), len(x_train)))\n"
        "    for i, row in enumerate(x_test):\n"
        "        dists[i] = np.abs(",
    ),
    Mutant(
        16,
        "two-loop l2 forgets the square root",
        "dists[i, j] = np.sqrt(np.sum((x_test[i] - x_train[j]) ** 2))",
        "dists[i, j] = np.sum((x_test[i] - x_train[j]) ** 2)",
    ),
    Mutant(
        16,
        "one-loop l2 returns float32",
        "np.sqrt(np.sum((x_train - row) ** 2, axis=1))\n    return dists",
        "np.sqrt(np.sum((x_train - row) ** 2, axis=1))\n    return dists.astype(np.float32)",
    ),
    Mutant(
        16,
        "no-loop l2 without the clamp",
        "np.sqrt(np.maximum(squares, 0.0))",
        "np.sqrt(squares)",
    ),
    Mutant(
        16,
        "no-loop l2 with a loop over the test rows",
        "    test_squares = np.sum(x_test**2, axis=1)[:, None]\n"
        "    train_squares = np.sum(x_train**2, axis=1)[None, :]\n"
        "    squares = test_squares - 2.0 * (x_test @ x_train.T) + train_squares\n"
        "    return np.sqrt(np.maximum(squares, 0.0))",
        "    return np.array([np.sqrt(np.sum((x_train - row) ** 2, axis=1)) for row in x_test])",
    ),
    Mutant(
        16,
        "vote with the default unstable sort",
        'np.argsort(dists, axis=1, kind="stable")[:, :k]',
        "np.argsort(dists, axis=1)[:, :k]",
    ),
    Mutant(
        16,
        "vote tie goes to the largest label",
        "np.argmax(np.bincount(row))",
        "len(np.bincount(row)) - 1 - np.argmax(np.bincount(row)[::-1])",
    ),
    Mutant(
        16,
        "vote among k + 1 neighbours",
        'kind="stable")[:, :k]',
        'kind="stable")[:, : k + 1]',
    ),
    Mutant(
        16,
        "knn accepts k above n_train",
        "if not 1 <= k <= len(y_train):",
        "if k < 1:",
    ),
    Mutant(
        16,
        "folds shuffled",
        "blocks = np.array_split(np.arange(n, dtype=np.int64), folds)",
        "blocks = np.array_split(np.random.default_rng(0).permutation(n), folds)",
    ),
    Mutant(
        16,
        "k_fold_split accepts more folds than samples",
        "if not 2 <= folds <= n:",
        "if folds < 2:",
    ),
    Mutant(
        16,
        "cross-validation trains on all the data",
        "dists = measures[distance](x[val], x[train])\n"
        "        for k in accuracies:\n"
        "            predicted = knn_predict(dists, y[train], k)",
        "dists = measures[distance](x[val], x)\n"
        "        for k in accuracies:\n"
        "            predicted = knn_predict(dists, y, k)",
    ),
    Mutant(
        16,
        "cross-validation uses l2 for distance l1",
        'measures = {"l2": l2_distances_no_loops, "l1": l1_distances}',
        'measures = {"l2": l2_distances_no_loops, "l1": l2_distances_no_loops}',
    ),
    Mutant(
        16,
        "best_k takes the largest k on a tie",
        "return min(k for k, mean in means.items() if mean == best)",
        "return max(k for k, mean in means.items() if mean == best)",
    ),
    # ------------------------------------------------ 17: linear classifiers
    Mutant(
        17,
        "linear scores without the bias",
        "return np.asarray(x, dtype=np.float64) @ w + b",
        "return np.asarray(x, dtype=np.float64) @ w",
    ),
    Mutant(17, "svm naive counts a margin of 0", "if margin > 0:", "if margin >= 0:"),
    Mutant(17, "svm counts the true class", "    margins[rows, y] = 0.0\n", ""),
    Mutant(
        17,
        "svm dw without the regularisation gradient",
        "dw = x.T @ counts / n + 2.0 * reg * w",
        "dw = x.T @ counts / n",
    ),
    Mutant(
        17,
        "svm loss loops over the samples",
        "    margins = scores - scores[rows, y][:, None] + 1.0\n",
        "    return svm_loss_naive(w, x, y, reg)\n",
    ),
    Mutant(
        17,
        "softmax with 0.5 * reg",
        "loss = np.mean(log_totals - scores[rows, y]) + reg * np.sum(w * w)",
        "loss = np.mean(log_totals - scores[rows, y]) + 0.5 * reg * np.sum(w * w)",
    ),
    Mutant(
        17,
        "softmax without the max shift",
        "    scores = scores - np.max(scores, axis=1, keepdims=True)\n",
        "",
    ),
    Mutant(
        17,
        "softmax shifted by one maximum for the batch",
        "scores = scores - np.max(scores, axis=1, keepdims=True)",
        "scores = scores - np.max(scores)",
    ),
    Mutant(
        17, "softmax naive without the max shift", "        scores = scores - np.max(scores)\n", ""
    ),
    Mutant(
        17,
        "softmax loss as the log of a probability",
        "loss = np.mean(log_totals - scores[rows, y]) + reg",
        "loss = -np.mean(np.log(np.exp(scores[rows, y] - log_totals))) + reg",
    ),
    Mutant(
        17,
        "softmax loss loops over the samples",
        "    log_totals = np.log(np.sum(np.exp(scores), axis=1))\n",
        "    return softmax_loss_naive(w, x, y, reg)\n",
    ),
    Mutant(
        17,
        "perceptron: a score of 0 is no mistake",
        "if y * (w @ x + b) <= 0:",
        "if y * (w @ x + b) < 0:",
    ),
    Mutant(
        17,
        "perceptron step changes w in place",
        "        return w + y * x, float(b + y), True",
        "        w += y * x\n        return w, float(b + y), True",
    ),
    Mutant(17, "perceptron runs every epoch", "        if count == 0:\n            break\n", ""),
    Mutant(
        17,
        "perceptron accepts 0/1 labels",
        "if not np.all(np.isin(y, (-1, 1))):",
        "if not np.all(np.isin(y, (-1, 0, 1))):",
    ),
    Mutant(
        17,
        "preprocess centres the test images with their own mean",
        "return train - mean, other - mean",
        "return train - mean, other - other.mean(axis=0)",
    ),
    Mutant(
        17,
        "preprocess centres with the mean of both sets",
        "mean = train.mean(axis=0)",
        "mean = np.vstack([train, other]).mean(axis=0)",
    ),
    Mutant(
        17,
        "preprocess does not divide by 255",
        ".reshape(len(x_train), -1) / 255.0\n"
        "    other = np.asarray(x_other, dtype=np.float64).reshape(len(x_other), -1) / 255.0",
        ".reshape(len(x_train), -1)\n"
        "    other = np.asarray(x_other, dtype=np.float64).reshape(len(x_other), -1)",
    ),
    Mutant(
        17,
        "train_linear draws the first permutation before the weights",
        "    weights = 0.001 * rng.standard_normal((x.shape[1], int(y.max()) + 1))\n"
        "    history = []\n"
        "    for _ in range(epochs):\n"
        "        order = rng.permutation(len(x))\n",
        "    first = rng.permutation(len(x))\n"
        "    weights = 0.001 * rng.standard_normal((x.shape[1], int(y.max()) + 1))\n"
        "    history = []\n"
        "    for epoch in range(epochs):\n"
        "        order = first if epoch == 0 else rng.permutation(len(x))\n",
    ),
    Mutant(
        17,
        "train_linear with rng None unseeded",
        "rng = np.random.default_rng(0) if rng is None else rng",
        "rng = np.random.default_rng() if rng is None else rng",
    ),
    Mutant(
        17,
        "train_linear does not check the loss's name",
        "    if loss not in losses:\n"
        "        raise ValueError(f\"loss must be 'svm' or 'softmax', got {loss!r}\")\n",
        "",
    ),
    Mutant(
        17,
        "train_linear counts the classes present",
        "int(y.max()) + 1))",
        "len(np.unique(y))))",
    ),
]
