"""grader.engine.judge: the trusted MNIST judge of generated digits, its cache and its scores."""

from __future__ import annotations

import json
import shutil
import subprocess
import time

import numpy as np
import pytest

from grader.engine import data, judge

TINY_BAR = 0.2  # a judge trained for one epoch on 1,000 images: only the cache logic is tested


@pytest.fixture(scope="module")
def mnist():
    """MNIST as keras.datasets returns it (from NNLAB_DATA_DIR)."""
    return data.load("mnist")


@pytest.fixture(scope="module")
def tiny_mnist(mnist):
    """1,000 training and 300 test images: a judge trains on them in seconds."""
    (x_train, y_train), (x_test, y_test) = mnist
    return (x_train[:1000], y_train[:1000]), (x_test[:300], y_test[:300])


@pytest.fixture(scope="module")
def built(tmp_path_factory, tiny_mnist):
    """A tiny judge built once into a fresh cache: (folder, the progress lines, the Judge)."""
    folder = tmp_path_factory.mktemp("judge")
    lines = []
    built_judge = judge.load_judge(
        folder, on_progress=lines.append, mnist=tiny_mnist, accuracy_bar=TINY_BAR, epochs=1
    )
    return folder, lines, built_judge


def load_tiny(folder, tiny_mnist, lines=None):
    """load_judge on the tiny data set with the lowered bar, collecting progress into `lines`."""
    progress = None if lines is None else lines.append
    return judge.load_judge(
        folder, on_progress=progress, mnist=tiny_mnist, accuracy_bar=TINY_BAR, epochs=1
    )


def weights_of(loaded) -> list[np.ndarray]:
    return loaded.model.get_weights()


# ------------------------------------------------------------------ the cache


def test_a_missing_judge_is_trained_once_and_cached_with_its_checksum(built, tiny_mnist):
    folder, lines, built_judge = built
    assert "Training the judge" in lines[0] and "once" in lines[0]
    assert f"about {judge.TRAINING_MINUTES} minutes" in lines[0] and str(folder) in lines[0]
    assert any("epoch 1/1" in line for line in lines)
    weights = (folder / judge.WEIGHTS_FILE).read_bytes()
    digest = judge.sha256_of(folder / judge.WEIGHTS_FILE)
    assert (folder / judge.CHECKSUM_FILE).read_text().split()[0] == digest
    record = json.loads((folder / judge.RECORD_FILE).read_text())
    assert record["version"] == judge.JUDGE_VERSION and record["sha256"] == digest
    measured = judge.accuracy(built_judge.extractor, tiny_mnist[1])
    assert record["test_accuracy"] == built_judge.test_accuracy == measured >= TINY_BAR
    assert not list(folder.glob("*partial*")) and len(weights) > 800_000


def test_a_cached_judge_is_loaded_without_training(built, tiny_mnist):
    folder, _, built_judge = built
    lines = []
    loaded = load_tiny(folder, tiny_mnist, lines)
    assert lines == []
    assert loaded.test_accuracy == built_judge.test_accuracy
    for ours, theirs in zip(weights_of(loaded), weights_of(built_judge), strict=True):
        np.testing.assert_array_equal(ours, theirs)
    images = tiny_mnist[1][0][:50]
    for ours, theirs in zip(
        judge.judge_images(loaded, images), judge.judge_images(built_judge, images), strict=True
    ):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        ("flip a byte of the weights", "do not match their checksum"),
        ("delete the checksum", "not there yet"),
        ("older version", "version"),
        ("unreadable record", "cannot be read"),
    ],
)
def test_a_damaged_or_stale_cache_is_rebuilt(built, tiny_mnist, tmp_path, damage, reason):
    folder = tmp_path / "judge"
    shutil.copytree(built[0], folder)
    weights = folder / judge.WEIGHTS_FILE
    original = weights.read_bytes()
    if damage == "flip a byte of the weights":
        weights.write_bytes(original[:-100] + bytes([original[-100] ^ 1]) + original[-99:])
    elif damage == "delete the checksum":
        (folder / judge.CHECKSUM_FILE).unlink()
    elif damage == "older version":
        record = json.loads((folder / judge.RECORD_FILE).read_text())
        (folder / judge.RECORD_FILE).write_text(json.dumps({**record, "version": 0}))
    else:
        (folder / judge.RECORD_FILE).write_text("{ not json")
    assert reason in judge.cache_problem(folder, TINY_BAR)
    lines = []
    rebuilt = load_tiny(folder, tiny_mnist, lines)
    assert reason in lines[0] and "Training the judge" in lines[0]
    assert judge.cache_problem(folder, TINY_BAR) is None
    # Training is deterministic: the rebuilt judge is the one first built, byte for byte.
    assert weights.read_bytes() == original
    assert rebuilt.test_accuracy == built[2].test_accuracy


def test_a_judge_below_its_bar_is_refused_and_not_cached(tiny_mnist, tmp_path):
    with pytest.raises(judge.JudgeTooWeak) as refused:
        judge.load_judge(tmp_path, mnist=tiny_mnist, epochs=1)
    message = str(refused.value)
    assert "below its bar of 99.00%" in message and "will not be used" in message
    assert judge.cache_problem(tmp_path) == "it is not there yet"


def test_a_cache_built_below_the_kits_bar_is_not_used_at_the_kits_bar(built):
    assert "below the bar 99.00%" in judge.cache_problem(built[0])


def test_the_kits_cache_takes_no_lowered_bar_and_is_git_ignored(kit_root, tiny_mnist):
    assert judge.JUDGE_CACHE == data.KIT_CACHE / "nnlab-judge"
    with pytest.raises(ValueError, match="no bar below 99%"):
        judge.load_judge(mnist=tiny_mnist, accuracy_bar=TINY_BAR)
    for name in (judge.WEIGHTS_FILE, judge.CHECKSUM_FILE, judge.RECORD_FILE):
        path = judge.JUDGE_CACHE.relative_to(kit_root) / name
        ignored = subprocess.run(
            ["git", "check-ignore", "--no-index", "-q", str(path)], cwd=kit_root, check=False
        )
        assert ignored.returncode == 0, f"{path} would be committed"


def test_fd_anchors_put_real_images_far_below_noise(built, mnist):
    (x_train, _), (x_test, _) = mnist
    test_features, _ = judge.judge_images(built[2], x_test[:500])
    anchors = judge.fd_anchors(built[2], x_train, test_features, count=200)
    assert 0 <= anchors.real < anchors.noise
    assert judge.anchor_position(anchors.real, anchors) == 0
    assert judge.anchor_position(anchors.noise, anchors) == 1


# ------------------------------------------------------------------ images


def test_pixels_scales_uint8_and_refuses_what_is_not_an_image_batch():
    rows = judge.pixels(np.full((2, 28, 28), 255, np.uint8))
    assert rows.shape == (2, 784) and rows.dtype == np.float32 and rows.max() == 1
    assert judge.pixels(np.zeros((3, 784))).shape == (3, 784)
    for bad in (np.full((1, 784), np.nan), np.full((1, 784), 1.5), -np.ones((1, 784))):
        with pytest.raises(ValueError, match=r"in \[0, 1\]"):
            judge.pixels(bad)
    with pytest.raises(ValueError, match="shape"):
        judge.pixels(np.zeros((2, 27, 28)))


# ------------------------------------------------------------------ confidence and coverage


def test_confident_share_counts_top_probabilities_at_or_above_the_threshold():
    probabilities = np.array([[0.95, 0.05], [0.9, 0.1], [0.6, 0.4], [0.2, 0.8]])
    padded = np.pad(probabilities, ((0, 0), (0, 8)))
    assert judge.confident_share(padded) == 0.5
    assert judge.confident_share(padded, threshold=0.5) == 1.0
    assert judge.confident_share(np.zeros((0, 10))) == 0.0


def test_class_coverage_gives_each_digits_share_of_the_confident_samples():
    eye = np.eye(10)
    unsure = np.full((5, 10), 0.1)
    probabilities = np.concatenate([eye[[3, 3, 3, 7]], unsure])
    coverage = judge.class_coverage(probabilities)
    assert coverage.shape == (10,) and coverage.sum() == pytest.approx(1.0)
    assert coverage[3] == 0.75 and coverage[7] == 0.25
    nobody = judge.class_coverage(unsure)
    assert nobody.shape == (10,) and not nobody.any()


# ------------------------------------------------------------------ Frechet distance


def reference_frechet(features_a, features_b) -> float:
    """FD computed another way: Tr(sqrtm(S_a S_b)) from the eigenvalues of the product
    S_a S_b itself (real and >= 0: it is similar to S_a^1/2 S_b S_a^1/2)."""
    mean_a, mean_b = features_a.mean(0), features_b.mean(0)
    cov_a, cov_b = np.cov(features_a, rowvar=False), np.cov(features_b, rowvar=False)
    eigenvalues = np.linalg.eigvals(cov_a @ cov_b)
    cross = np.sum(np.sqrt(np.clip(eigenvalues.real, 0, None)))
    return float(np.sum((mean_a - mean_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2 * cross)


def test_frechet_distance_of_identical_sets_is_zero():
    features = np.random.default_rng(0).normal(size=(500, 8))
    assert judge.frechet_distance(features, features) == pytest.approx(0, abs=1e-8)


def test_frechet_distance_of_shifted_sets_is_the_squared_shift():
    features = np.random.default_rng(1).normal(size=(400, 6)) @ np.diag([1, 2, 3, 1, 0.5, 4])
    shift = np.array([1.0, -2.0, 0.5, 0, 3, 1])
    expected = float(shift @ shift)
    assert judge.frechet_distance(features, features + shift) == pytest.approx(expected, rel=1e-8)


def test_frechet_distance_of_diagonal_gaussians_has_its_closed_form():
    mean_a, mean_b = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, -1.0])
    var_a, var_b = np.array([1.0, 4.0, 9.0]), np.array([4.0, 1.0, 0.25])
    expected = np.sum((mean_a - mean_b) ** 2) + np.sum((np.sqrt(var_a) - np.sqrt(var_b)) ** 2)
    fits = (mean_a, np.diag(var_a)), (mean_b, np.diag(var_b))
    assert judge.frechet_distance_of_fits(*fits) == pytest.approx(expected, rel=1e-12)


def test_frechet_distance_matches_a_direct_computation_on_correlated_features():
    rng = np.random.default_rng(2)
    features_a = rng.normal(size=(300, 10)) @ rng.normal(size=(10, 10))
    features_b = rng.normal(size=(250, 10)) @ rng.normal(size=(10, 10)) + rng.normal(size=10)
    distance = judge.frechet_distance(features_a, features_b)
    assert distance == pytest.approx(reference_frechet(features_a, features_b), rel=1e-9)
    assert distance == pytest.approx(judge.frechet_distance(features_b, features_a), rel=1e-9)


def test_frechet_distance_of_rank_deficient_features_is_finite():
    rng = np.random.default_rng(3)
    features_a = np.pad(rng.normal(size=(20, 5)), ((0, 0), (0, 45)))
    features_b = rng.normal(size=(30, 50))
    distance = judge.frechet_distance(features_a, features_b)
    assert np.isfinite(distance) and distance >= 0
    assert distance == pytest.approx(reference_frechet(features_a, features_b), rel=1e-6)


# ------------------------------------------------------------------ memorisation


def brute_force_nearest(images, reference) -> np.ndarray:
    rows, candidates = judge.pixels(images).astype(np.float64), judge.pixels(reference)
    return np.array([np.sqrt(((candidates - row) ** 2).sum(axis=1)).min() for row in rows])


def test_nearest_distances_match_brute_force_across_chunks(monkeypatch):
    rng = np.random.default_rng(4)
    reference = rng.random((37, 784), dtype=np.float32)
    images = np.concatenate([rng.random((9, 784), dtype=np.float32), reference[[5, 30]]])
    monkeypatch.setattr(judge, "ROWS_PER_CHUNK", 4)
    monkeypatch.setattr(judge, "REFERENCE_PER_CHUNK", 10)
    distances = judge.nearest_distances(images, reference)
    np.testing.assert_allclose(distances, brute_force_nearest(images, reference), atol=2e-2)
    assert distances[-2:] == pytest.approx([0, 0], abs=2e-2)


def _moved(images, down: int, right: int) -> np.ndarray:
    """Images moved by whole pixels, zeros filling in (28x28 uint8)."""
    out = np.zeros_like(images)
    kept = images[:, max(-down, 0) : 28 - max(down, 0), max(-right, 0) : 28 - max(right, 0)]
    out[
        :,
        max(down, 0) : max(down, 0) + kept.shape[1],
        max(right, 0) : max(right, 0) + kept.shape[2],
    ] = kept
    return out


def test_copies_moved_or_not_are_flagged_and_real_test_images_are_not(mnist):
    """A copy moved a few pixels is still a copy (both sides are centred by their centre of
    mass), and a set only half copied is caught by its closest tenth."""
    (x_train, _), (x_test, _) = mnist
    test = judge.reference_nearest_stats(x_train, x_test, count=200)
    assert test.median > 3 and test.low > 1.5
    copies = x_train[:200]
    half = np.concatenate([copies[:100], x_test[-100:]])
    for label, images in [
        ("copies", copies),
        ("moved copies", _moved(copies, 2, -3)),
        ("half copies", half),
    ]:
        assert judge.memorised(judge.nearest_stats(images, x_train), test), label
    others = judge.nearest_stats(x_test[-200:], x_train)
    assert not judge.memorised(others, test)


def test_centring_moves_the_centre_of_mass_to_the_middle():
    image = np.zeros((1, 28, 28), np.uint8)
    image[0, 2:6, 20:24] = 255  # a square whose centre of mass is (3.5, 21.5)
    centred = judge.centred(image).reshape(28, 28)
    rows, columns = np.nonzero(centred)
    assert (rows.mean(), columns.mean()) == pytest.approx((13.5, 13.5), abs=0.5)
    assert centred.sum() == pytest.approx(16.0)  # nothing cut off, nothing added
    assert judge.centred(np.zeros((1, 784), np.float32)).sum() == 0  # a blank stays blank


def test_memorised_applies_the_stated_margin_to_the_median_and_the_closest_tenth():
    margin = judge.MEMORISATION_MARGIN
    assert 0 < margin < 1
    test = judge.NearestStats(median=4.0, low=2.0)
    keep = 1 - margin
    assert not judge.memorised(judge.NearestStats(keep * 4.0 + 1e-9, keep * 2.0 + 1e-9), test)
    assert judge.memorised(judge.NearestStats(keep * 4.0 - 1e-6, 2.0), test)
    assert judge.memorised(judge.NearestStats(4.0, keep * 2.0 - 1e-6), test)
    assert not judge.memorised(judge.NearestStats(3.0, 1.5), test, margin=0.5)


# ------------------------------------------------------------------ the real judge


@pytest.mark.slow
def test_the_real_judge_reaches_its_bar_and_tells_real_digits_from_noise(mnist, capsys):
    (x_train, _), (x_test, y_test) = mnist
    lines = []
    started = time.monotonic()
    real_judge = judge.load_judge(on_progress=lines.append)
    seconds = time.monotonic() - started
    measured = judge.accuracy(real_judge.extractor, (x_test, y_test))
    assert measured >= judge.ACCURACY_BAR and real_judge.test_accuracy >= judge.ACCURACY_BAR
    test_features, test_probabilities = judge.judge_images(real_judge, x_test)
    assert judge.confident_share(test_probabilities) >= 0.9
    assert judge.class_coverage(test_probabilities).min() >= 0.04
    _, noise_probabilities = judge.judge_images(real_judge, judge.uniform_noise(1000))
    noise_share = judge.confident_share(noise_probabilities)
    assert noise_share <= 0.1
    anchors = judge.fd_anchors(real_judge, x_train, test_features)
    assert anchors.real * 10 < anchors.noise
    timed = time.monotonic()
    test_nearest = judge.reference_nearest_stats(x_train, x_test)
    nearest_seconds = time.monotonic() - timed
    with capsys.disabled():
        print(
            f"\njudge: {'trained' if lines else 'loaded'} in {seconds:.0f} s, "
            f"test accuracy {measured:.2%}, real test confident share "
            f"{judge.confident_share(test_probabilities):.3f}, noise confident share "
            f"{noise_share:.3f}\nFD anchors ({judge.ANCHOR_COUNT} images vs the test set): "
            f"real {anchors.real:.3f}, noise {anchors.noise:.1f}\nnearest-training distance "
            f"of {judge.ANCHOR_COUNT} test images (centred): median {test_nearest.median:.3f}, "
            f"closest tenth {test_nearest.low:.3f} ({nearest_seconds:.1f} s)"
        )
