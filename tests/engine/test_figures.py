"""The pictures of exercises 16 and 17 are real PNGs of the numbers they are given."""

import numpy as np
import pytest

from grader.engine.figures import class_templates_plot, cross_validation_plot

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(path) -> tuple[int, int]:
    """(width, height) read from a PNG's header."""
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_the_cross_validation_plot_is_written_where_asked_with_its_folder(tmp_path):
    table = {1: [0.25, 0.24, 0.26], 15: [0.27, 0.26, 0.28], 100: [0.22, 0.23, 0.21]}
    path = tmp_path / "ex16" / "cross_validation.png"
    assert cross_validation_plot(table, 15, path, "k-NN") == path
    width, height = png_size(path)
    assert width > 300 and height > 200


def test_a_chosen_k_outside_the_table_still_draws_the_table(tmp_path):
    path = cross_validation_plot({3: [0.5, 0.6]}, 7, tmp_path / "cv.png", "k-NN")
    assert png_size(path)


@pytest.mark.parametrize("classes", [1, 10])
def test_class_templates_draw_one_picture_per_column(tmp_path, classes):
    rng = np.random.default_rng(0)
    weights = rng.standard_normal((32 * 32 * 3, classes))
    weights[:, 0] = 0.0  # a flat template must not divide by zero
    names = [f"class {c}" for c in range(classes)]
    path = class_templates_plot(weights, (32, 32, 3), names, tmp_path / "t.png", "softmax")
    width, _ = png_size(path)
    assert width >= 100 * classes
