"""The pictures exercises leave in the report folder (trusted side, matplotlib).

Each function takes plain numbers the trusted side already holds (a learner's
cross-validation table, a learner's weights) and writes one PNG, returning its
path. Nothing here judges: the checks do. `pyplot` and `save` also serve the
capstones' curves and confusion matrix (grader/engine/capstone.py).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def pyplot():
    """matplotlib.pyplot with the file-only Agg backend (no display is needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(figure, path: Path) -> Path:
    """Write `figure` to the PNG `path` (its folder is made), close it; returns path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    pyplot().close(figure)
    return path


def cross_validation_plot(
    accuracies: dict[int, list[float]], chosen_k: int, path: Path, title: str
) -> Path:
    """The CS231n cross-validation picture: every fold's accuracy as a dot above its k,
    the mean over the folds as a line with error bars of one standard deviation.

    Inputs: accuracies {k: [accuracy per fold]} (fractions 0..1); chosen_k, the k
    marked as chosen; path, the PNG to write (its folder is made); title.
    Returns path.
    """
    plt = pyplot()
    ks = sorted(accuracies)
    figure, axis = plt.subplots(figsize=(7, 4.5))
    for k in ks:
        axis.scatter([k] * len(accuracies[k]), accuracies[k], color="tab:blue", alpha=0.5, s=14)
    means = [float(np.mean(accuracies[k])) for k in ks]
    spreads = [float(np.std(accuracies[k])) for k in ks]
    axis.errorbar(ks, means, yerr=spreads, color="tab:orange", marker="o", capsize=3)
    if chosen_k in accuracies:
        axis.axvline(chosen_k, color="tab:green", linestyle="--", label=f"chosen k = {chosen_k}")
        axis.legend()
    axis.set(xlabel="k", ylabel="validation accuracy", title=title)
    axis.grid(alpha=0.3)
    figure.tight_layout()
    return save(figure, path)


def class_templates_plot(
    weights: np.ndarray,
    image_shape: tuple[int, ...],
    class_names: list[str],
    path: Path,
    title: str,
) -> Path:
    """A linear classifier's weights as one picture per class (its "template").

    Inputs: weights (D, C) with D = prod(image_shape); image_shape, e.g. (32, 32, 3);
    class_names, C names; path, the PNG to write (its folder is made); title.
    Each column is rescaled to 0..1 on its own (min to 0, max to 1) to be seen.
    Returns path.
    """
    plt = pyplot()
    classes = weights.shape[1]
    figure, axes = plt.subplots(1, classes, figsize=(1.6 * classes, 2.2))
    for column, axis in enumerate(np.atleast_1d(axes)):
        template = weights[:, column].reshape(image_shape)
        low, high = float(template.min()), float(template.max())
        scaled = (template - low) / (high - low) if high > low else np.zeros_like(template)
        axis.imshow(scaled, interpolation="nearest")
        axis.set_title(class_names[column] if column < len(class_names) else str(column))
        axis.axis("off")
    figure.suptitle(title)
    figure.tight_layout()
    return save(figure, path)
