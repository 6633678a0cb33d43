"""Exercise 16: k-nearest neighbours, image classification without learning.

The simplest image classifier remembers every training image. To label a new
image it finds the k training images closest to it and lets them vote. "Close"
needs a distance between two images flattened into vectors a and b of D pixels:

    L1 (Manhattan):  d(a, b) = sum(|a - b|)
    L2 (Euclidean):  d(a, b) = sqrt(sum((a - b)**2))

On CIFAR-10 (32 x 32 x 3 = 3072 pixels per image) this reaches about 25% test
accuracy: far better than guessing (10%), far worse than a network. The
number of neighbours k is a hyperparameter. Choose it by cross-validation:
split the training set into folds, hold each fold out in turn, and keep the
k whose mean accuracy over the held-out folds is best. The test set is used
once, at the very end.

Shapes: x_test (n_test, D) and x_train (n_train, D) hold one flattened image
per row, of any numeric dtype. CIFAR's pixels are uint8: convert to float64
*before* subtracting, because uint8 arithmetic wraps around (3 - 5 is 254).
Every distance function returns a float64 array of shape (n_test, n_train)
whose [i, j] is the distance from test image i to training image j.
"""

import numpy as np


def l1_distances(x_test, x_train):
    """L1 distances: the sum of absolute pixel differences.

    dists[i, j] = sum(|x_test[i] - x_train[j]|) over the D pixels, computed
    in float64 (convert first: uint8 wraps around). One loop over the test
    rows is fine: subtract a whole row from all of x_train at once.

    Inputs:
    - x_test: array (n_test, D).
    - x_train: array (n_train, D).

    Returns a float64 array of shape (n_test, n_train).
    """
    # BEGIN SOLUTION
    x_test = np.asarray(x_test, dtype=np.float64)
    x_train = np.asarray(x_train, dtype=np.float64)
    dists = np.empty((len(x_test), len(x_train)))
    for i, row in enumerate(x_test):
        dists[i] = np.abs(x_train - row).sum(axis=1)
    return dists
    # END SOLUTION


def l2_distances_two_loops(x_test, x_train):
    """L2 distances with a loop over test rows and, inside it, over training rows.

    dists[i, j] = sqrt(sum((x_test[i] - x_train[j])**2)), in float64. The
    slowest version, and the easiest to get right: the other two are checked
    against it.

    Inputs:
    - x_test: array (n_test, D).
    - x_train: array (n_train, D).

    Returns a float64 array of shape (n_test, n_train).
    """
    # BEGIN SOLUTION
    x_test = np.asarray(x_test, dtype=np.float64)
    x_train = np.asarray(x_train, dtype=np.float64)
    dists = np.empty((len(x_test), len(x_train)))
    for i in range(len(x_test)):
        for j in range(len(x_train)):
            dists[i, j] = np.sqrt(np.sum((x_test[i] - x_train[j]) ** 2))
    return dists
    # END SOLUTION


def l2_distances_one_loop(x_test, x_train):
    """L2 distances with one loop, over the test rows.

    For test row i, `x_train - x_test[i]` broadcasts the row against every
    training image at once; square, sum along the pixel axis, take the root.

    Inputs:
    - x_test: array (n_test, D).
    - x_train: array (n_train, D).

    Returns a float64 array of shape (n_test, n_train).
    """
    # BEGIN SOLUTION
    x_test = np.asarray(x_test, dtype=np.float64)
    x_train = np.asarray(x_train, dtype=np.float64)
    dists = np.empty((len(x_test), len(x_train)))
    for i, row in enumerate(x_test):
        dists[i] = np.sqrt(np.sum((x_train - row) ** 2, axis=1))
    return dists
    # END SOLUTION


def l2_distances_no_loops(x_test, x_train):
    """L2 distances with no Python loop at all: one matrix product.

    Expand the square: |a - b|^2 = |a|^2 - 2 a.b + |b|^2. The middle terms of
    every pair are one matrix product, x_test @ x_train.T, of shape
    (n_test, n_train); |a|^2 is a column (n_test, 1) and |b|^2 a row
    (1, n_train), and broadcasting adds them to every entry.

    Round-off can make an expanded square slightly negative when two images
    are (nearly) equal, and the square root of a negative number is NaN:
    clamp the squares at 0 (`np.maximum(squares, 0)`) before the root.

    This version must be fast: within the kit's speed bound of the reference
    on 500 test and 5,000 training images.

    Inputs:
    - x_test: array (n_test, D).
    - x_train: array (n_train, D).

    Returns a float64 array of shape (n_test, n_train).
    """
    # BEGIN SOLUTION
    x_test = np.asarray(x_test, dtype=np.float64)
    x_train = np.asarray(x_train, dtype=np.float64)
    test_squares = np.sum(x_test**2, axis=1)[:, None]
    train_squares = np.sum(x_train**2, axis=1)[None, :]
    squares = test_squares - 2.0 * (x_test @ x_train.T) + train_squares
    return np.sqrt(np.maximum(squares, 0.0))
    # END SOLUTION


def knn_predict(dists, y_train, k=1):
    """Label each test image by a vote of its k nearest training images.

    For test row i: order the training images by dists[i], nearest first;
    equal distances keep the lower training index first (a stable sort:
    `np.argsort(dists[i], kind="stable")`). Take the labels of the first k and
    return the most common one. When two or more labels get the same number
    of votes, return the smallest of them (`np.argmax` of `np.bincount`
    does exactly that).

    Inputs:
    - dists: array (n_test, n_train), e.g. from l2_distances_no_loops.
    - y_train: integer labels, shape (n_train,).
    - k: the number of neighbours, 1 <= k <= n_train; raise ValueError
      otherwise.

    Returns an int64 array of shape (n_test,): the predicted labels.
    """
    # BEGIN SOLUTION
    dists = np.asarray(dists, dtype=np.float64)
    y_train = np.asarray(y_train).astype(np.int64).ravel()
    if not 1 <= k <= len(y_train):
        raise ValueError(f"k must be between 1 and {len(y_train)}, got {k}")
    nearest = np.argsort(dists, axis=1, kind="stable")[:, :k]
    votes = y_train[nearest]
    return np.array([np.argmax(np.bincount(row)) for row in votes], dtype=np.int64)
    # END SOLUTION


def k_fold_split(n, folds=5):
    """Split indices 0..n-1 into `folds` contiguous blocks for cross-validation.

    The blocks are `np.array_split(np.arange(n), folds)`: in order, without
    shuffling, the first n % folds blocks one longer than the rest. Fold f
    validates on block f and trains on all the other blocks, in order.

    Inputs:
    - n: the number of training samples.
    - folds: the number of folds, 2 <= folds <= n; raise ValueError otherwise.

    Returns a list of `folds` pairs (train_indices, val_indices): int64
    arrays that together hold each of 0..n-1 exactly once.
    """
    # BEGIN SOLUTION
    if not 2 <= folds <= n:
        raise ValueError(f"folds must be between 2 and n={n}, got {folds}")
    blocks = np.array_split(np.arange(n, dtype=np.int64), folds)
    return [(np.concatenate(blocks[:f] + blocks[f + 1 :]), blocks[f]) for f in range(folds)]
    # END SOLUTION


def cross_validate(x, y, ks, folds=5, distance="l2"):
    """Accuracy of k-NN for every k in `ks` on every fold of k_fold_split.

    For each fold: compute the distances from its validation images to its
    training images once (l2_distances_no_loops for distance="l2",
    l1_distances for "l1"; any other value raises ValueError), then, for each
    k, predict the validation labels with knn_predict and record the share
    that are right. A fold's validation images must never be among its own
    training images.

    Inputs:
    - x: training images, array (n, D).
    - y: their integer labels, shape (n,).
    - ks: a list of ints, the values of k to try.
    - folds: the number of folds for k_fold_split.
    - distance: "l2" or "l1".

    Returns a dict {k: [accuracy of fold 0, ..., accuracy of fold folds-1]}
    with int keys and float accuracies between 0 and 1.
    """
    # BEGIN SOLUTION
    measures = {"l2": l2_distances_no_loops, "l1": l1_distances}
    if distance not in measures:
        raise ValueError(f"distance must be 'l2' or 'l1', got {distance!r}")
    x = np.asarray(x)
    y = np.asarray(y).astype(np.int64).ravel()
    accuracies = {int(k): [] for k in ks}
    for train, val in k_fold_split(len(x), folds):
        dists = measures[distance](x[val], x[train])
        for k in accuracies:
            predicted = knn_predict(dists, y[train], k)
            accuracies[k].append(float(np.mean(predicted == y[val])))
    return accuracies
    # END SOLUTION


def best_k(accuracies):
    """The k with the highest mean accuracy over the folds; the smallest such k on a tie.

    Inputs:
    - accuracies: a dict {k: [accuracy per fold]}, as cross_validate returns.

    Returns an int.
    """
    # BEGIN SOLUTION
    means = {int(k): float(np.mean(v)) for k, v in accuracies.items()}
    best = max(means.values())
    return min(k for k, mean in means.items() if mean == best)
    # END SOLUTION
