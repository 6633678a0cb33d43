"""The judge of generated MNIST digits: a fixed Keras CNN trained once by the kit, and its scores.

Trusted side only: the judge never runs in the worker, and nothing here reads
what a worker sent except images the trusted side drew itself.

The classifier (32c3-p2-64c3-p2-flatten-dropout-128-10) is trained once on
MNIST's training set with a fixed seed and must reach ACCURACY_BAR on MNIST's
test set; a weaker judge is refused, never used. It is cached in
`KIT_CACHE / "nnlab-judge"` (the git-ignored `datasets/` folder): the weights
file, a sha256 file of its bytes and a JSON record (its measured test accuracy,
JUDGE_VERSION). A cache that is missing, damaged, from another version of the
architecture or below the bar is rebuilt.

Scores on a batch of images (N, 28, 28) or (N, 784) in [0, 1]:
- confident_share, class_coverage: from the judge's probabilities;
- frechet_distance: between Gaussian fits of the judge's 128 features, with
  fd_anchors (real images, uniform noise) on the same scale;
- memorisation: distances to the nearest training image, all images centred by
  their centre of mass (a moved copy is a copy), the median and the closest
  tenth compared with real test images' (MiFID's idea).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from grader.engine import data as datasets
from grader.engine import oracles
from grader.engine.atomic import write_atomically

# Bump when the architecture or its training recipe changes: older caches are rebuilt.
JUDGE_VERSION = 1
ACCURACY_BAR = 0.99
EPOCHS = 8
BATCH_SIZE = 64
LEARNING_RATE = 1e-3
SEED = 0
TRAINING_MINUTES = 3  # measured: about 2.5 minutes on a busy 2-core machine
FEATURES_LAYER = "features"
FEATURES = 128
CLASSES = 10

JUDGE_CACHE = datasets.KIT_CACHE / "nnlab-judge"
WEIGHTS_FILE = "judge.weights.h5"  # Keras 3 wants this suffix; HDF5 holds arrays, no code
CHECKSUM_FILE = WEIGHTS_FILE + ".sha256"
RECORD_FILE = "judge.json"
LOCK_FILE = ".lock"

CONFIDENCE = 0.9
ANCHOR_COUNT = 1000  # as many images as the capstone draws: FD's bias depends on the count
PREDICT_BATCH = 1000
# Distances to the nearest training image, both centred by their centre of mass (pixels
# in [0, 1], 1,000 images, median / closest tenth, measured): copies of training
# images 0 / 0, the same moved by 1-4 pixels 0-0.4 / 0 (2.1-8.1 / 3.8-6.5 uncentred),
# half copies and half moved copies 0 / 0, copies with N(0, 0.1) pixel noise
# 2.1 / 2.0, real test digits 4.4 / 2.6, the reference GAN's samples 5.5-5.8 / 4.5-4.7.
# Only more than 30% below the test digits' (about 3.1 / 1.8) says "memorised".
MEMORISATION_MARGIN = 0.30
LOW_QUANTILE = 0.1
SIDE = 28  # MNIST's images are SIDE x SIDE
ROWS_PER_CHUNK = 1024
REFERENCE_PER_CHUNK = 8192


class JudgeTooWeak(RuntimeError):
    """The judge, once trained, scores below its accuracy bar on MNIST's test set."""


@dataclass(frozen=True)
class Judge:
    """A loaded judge: the Keras classifier, a model giving (features, probabilities),
    its measured test accuracy and the folder it is cached in."""

    model: object
    extractor: object
    test_accuracy: float
    folder: Path


class Anchors(NamedTuple):
    """Frechet distances to the test images' features of real training images (about
    the best a generator can score) and of uniform noise (a generator that learnt nothing)."""

    real: float
    noise: float


# ------------------------------------------------------------------ images


def pixels(images) -> np.ndarray:
    """Images as float32 rows (N, 784) with values in [0, 1].

    Takes (N, 28, 28), (N, 28, 28, 1) or (N, 784): uint8 images are divided by
    255, floating ones must already be finite and in [0, 1] (ValueError if not).
    """
    array = np.asarray(images)
    if array.ndim < 2 or int(np.prod(array.shape[1:])) != 784:
        raise ValueError(f"expected images (N, 28, 28) or (N, 784), got shape {array.shape}")
    rows = array.reshape(len(array), 784)
    if rows.dtype == np.uint8:
        return rows.astype(np.float32) / 255.0
    if not np.issubdtype(rows.dtype, np.floating):
        raise ValueError(f"expected uint8 or floating images, got {rows.dtype}")
    rows = rows.astype(np.float32)
    if not np.all(np.isfinite(rows)) or rows.min(initial=0.0) < 0 or rows.max(initial=0.0) > 1:
        raise ValueError("image values must be finite and in [0, 1]")
    return rows


def uniform_noise(count: int, seed: int = SEED) -> np.ndarray:
    """`count` images (count, 28, 28) of independent uniform [0, 1) pixels, float32."""
    return np.random.default_rng(seed).random((count, 28, 28), dtype=np.float32)


# ------------------------------------------------------------------ the classifier


def build_model(keras):
    """The judge's architecture, untrained: a Keras model from (N, 28, 28, 1) images to
    10 probabilities; its Dense(128) layer is named FEATURES_LAYER."""
    layers = keras.layers
    # Fixed layer names: the weights file's bytes do not depend on what else the process built.
    inputs = keras.Input((28, 28, 1), name="image")
    hidden = layers.Conv2D(32, 3, activation="relu", name="conv1")(inputs)
    hidden = layers.MaxPooling2D(2, name="pool1")(hidden)
    hidden = layers.Conv2D(64, 3, activation="relu", name="conv2")(hidden)
    hidden = layers.MaxPooling2D(2, name="pool2")(hidden)
    hidden = layers.Flatten(name="flatten")(hidden)
    hidden = layers.Dropout(0.5, name="dropout")(hidden)
    features = layers.Dense(FEATURES, activation="relu", name=FEATURES_LAYER)(hidden)
    outputs = layers.Dense(CLASSES, activation="softmax", name="digits")(features)
    return keras.Model(inputs, outputs, name="nnlab_judge")


def feature_extractor(model, keras):
    """A Keras model sharing `model`'s layers that returns (features (N, 128), probabilities)."""
    return keras.Model(model.input, [model.get_layer(FEATURES_LAYER).output, model.outputs[0]])


def train_model(train, keras, epochs: int = EPOCHS, on_progress=None, on_epoch=None):
    """Train a fresh judge on `train` = (x uint8 (N, 28, 28), y labels (N,)).

    Deterministic: Keras' seed is set and the batches are shuffled by a seeded
    NumPy generator (train_on_batch: no tf.data pipeline). `on_progress(str)`
    gets a line after each epoch, `on_epoch(epoch, epochs, loss, seconds)` the same
    as numbers (for a progress bar). Returns the trained Keras model, uncompiled.
    """
    x_train, y_train = train
    x = pixels(x_train).reshape(-1, 28, 28, 1)
    y = np.asarray(y_train).ravel().astype(np.int64)
    keras.utils.set_random_seed(SEED)
    model = build_model(keras)
    steps = -(-len(x) // BATCH_SIZE)
    schedule = keras.optimizers.schedules.CosineDecay(LEARNING_RATE, max(1, epochs * steps))
    model.compile(keras.optimizers.Adam(schedule), "sparse_categorical_crossentropy")
    order_rng = np.random.default_rng(SEED)
    for epoch in range(1, epochs + 1):
        started = time.monotonic()
        order = order_rng.permutation(len(x))
        losses = []
        for start in range(0, len(x), BATCH_SIZE):
            batch = order[start : start + BATCH_SIZE]
            losses.append(float(model.train_on_batch(x[batch], y[batch])))
        if on_progress is not None:
            on_progress(f"judge: epoch {epoch}/{epochs}, loss {np.mean(losses):.4f}")
        if on_epoch is not None:
            on_epoch(epoch, epochs, float(np.mean(losses)), time.monotonic() - started)
    # An uncompiled copy: its weights file holds no optimizer state, whose names vary.
    trained = build_model(keras)
    trained.set_weights(model.get_weights())
    return trained


def predict(extractor, images) -> tuple[np.ndarray, np.ndarray]:
    """Run a feature extractor on `images` (see `pixels`) in batches.

    Returns (features float64 (N, 128), probabilities float64 (N, 10)).
    """
    x = pixels(images).reshape(-1, 28, 28, 1)
    features, probabilities = [], []
    for start in range(0, len(x), PREDICT_BATCH):
        f, p = extractor(x[start : start + PREDICT_BATCH], training=False)
        features.append(np.asarray(f, np.float64))
        probabilities.append(np.asarray(p, np.float64))
    if not features:
        return np.zeros((0, FEATURES)), np.zeros((0, CLASSES))
    return np.concatenate(features), np.concatenate(probabilities)


def judge_images(judge: Judge, images) -> tuple[np.ndarray, np.ndarray]:
    """The judge's (features (N, 128), probabilities (N, 10)) for `images` (see `pixels`)."""
    return predict(judge.extractor, images)


def accuracy(extractor, test) -> float:
    """Share of `test` = (x uint8 images, y labels) the extractor's probabilities classify right."""
    x_test, y_test = test
    _, probabilities = predict(extractor, x_test)
    return float(np.mean(probabilities.argmax(axis=1) == np.asarray(y_test).ravel()))


# ------------------------------------------------------------------ the cache


def sha256_of(path: Path) -> str:
    """Hex sha256 of the bytes of the file at `path`."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def cache_problem(folder: Path, accuracy_bar: float = ACCURACY_BAR) -> str | None:
    """Why the judge cached in `folder` cannot be used (a plain phrase), or None if it can.

    Usable: the weights, checksum and record files exist, the weights' sha256
    matches both, the record is of JUDGE_VERSION and its accuracy is >= the bar.
    """
    weights, checksum, record_path = (
        folder / WEIGHTS_FILE,
        folder / CHECKSUM_FILE,
        folder / RECORD_FILE,
    )
    if not all(p.is_file() for p in (weights, checksum, record_path)):
        return "it is not there yet"
    try:
        record = json.loads(record_path.read_text("utf-8"))
        expected = checksum.read_text("utf-8").split()[0]
        digest = sha256_of(weights)
        version, measured = record["version"], float(record["test_accuracy"])
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        return "its files cannot be read"
    if digest != expected or digest != record.get("sha256"):
        return "its weights do not match their checksum"
    if version != JUDGE_VERSION:
        return f"it was built for version {version} of the judge, this kit uses {JUDGE_VERSION}"
    if not measured >= accuracy_bar:
        return f"its test accuracy {measured:.2%} is below the bar {accuracy_bar:.2%}"
    return None


def write_cache(folder: Path, model, record: dict) -> None:
    """Save `model`'s weights into `folder` with their sha256 file and the JSON `record`
    (to which the sha256 and JUDGE_VERSION are added). Each file is written atomically;
    the record, written last, is what makes the cache complete."""
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".partial-{os.getpid()}.weights.h5"
    try:
        model.save_weights(partial)
        weights = partial.read_bytes()
    finally:
        partial.unlink(missing_ok=True)
    digest = hashlib.sha256(weights).hexdigest()
    write_atomically(folder / WEIGHTS_FILE, weights)
    write_atomically(folder / CHECKSUM_FILE, f"{digest}  {WEIGHTS_FILE}\n")
    full = {**record, "version": JUDGE_VERSION, "sha256": digest}
    write_atomically(folder / RECORD_FILE, json.dumps(full, indent=2) + "\n")


def read_cache(folder: Path, keras) -> Judge:
    """The judge cached in `folder` (check `cache_problem` first): model, extractor and
    the test accuracy its record states."""
    record = json.loads((folder / RECORD_FILE).read_text("utf-8"))
    model = build_model(keras)
    model.load_weights(folder / WEIGHTS_FILE)
    return Judge(model, feature_extractor(model, keras), float(record["test_accuracy"]), folder)


@contextlib.contextmanager
def building_lock(folder: Path):
    """Hold an exclusive lock on `folder` (two gradings at once train the judge once)."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / LOCK_FILE, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def build_judge(
    folder: Path, mnist, keras, *, accuracy_bar: float, epochs: int, on_progress, on_epoch=None
):
    """Train a judge on `mnist` = ((x_train, y_train), (x_test, y_test)), measure it and,
    if it reaches `accuracy_bar`, cache it in `folder`. Returns the Judge; raises
    JudgeTooWeak (nothing cached) if it does not."""
    train, test = mnist
    started = time.monotonic()
    model = train_model(train, keras, epochs=epochs, on_progress=on_progress, on_epoch=on_epoch)
    seconds = time.monotonic() - started
    extractor = feature_extractor(model, keras)
    measured = accuracy(extractor, test)
    if not measured >= accuracy_bar:
        raise JudgeTooWeak(
            f"the judge (the MNIST classifier that scores generated digits) reached "
            f"{measured:.2%} on MNIST's test set after {epochs} epochs, below its bar of "
            f"{accuracy_bar:.2%}. It was not saved and will not be used: a weak judge "
            f"would give wrong scores. Check the MNIST files (`grade data`)."
        )
    record = {
        "test_accuracy": measured,
        "seconds": round(seconds, 1),
        "epochs": epochs,
        "train_size": len(train[0]),
        "keras": keras.__version__,
    }
    write_cache(folder, model, record)
    if on_progress is not None:
        on_progress(f"judge: {measured:.2%} on MNIST's test set, trained in {seconds:.0f} s")
    return Judge(model, extractor, measured, folder)


def load_judge(
    cache_dir: str | os.PathLike | None = None,
    data_dir: str | os.PathLike | None = None,
    on_progress=None,
    *,
    on_epoch=None,
    mnist=None,
    accuracy_bar: float = ACCURACY_BAR,
    epochs: int = EPOCHS,
) -> Judge:
    """The judge: loaded from its cache if usable, otherwise trained once and cached.

    Inputs:
    - cache_dir: the cache folder; None: JUDGE_CACHE (in the kit's datasets/).
    - data_dir: where MNIST is looked for first (see grader.engine.data).
    - on_progress: callable(str) told, in plain sentences, that the judge is being
      trained (and why) and how each epoch went; None: silent.
    - on_epoch: callable(epoch, epochs, loss, seconds) after each epoch of that training.
    - mnist: MNIST already loaded (exercise 21's checks; the kit's tests pass a tiny
      set); None: loaded from data_dir when the judge must be trained.
    - accuracy_bar, epochs: for the kit's tests only (a lowered bar in a temporary
      folder); the kit's own cache never takes a lower bar.

    Returns a Judge; raises JudgeTooWeak if a freshly trained judge misses the bar,
    DatasetNotFound/DatasetCorrupt if MNIST is needed and missing or damaged.
    """
    folder = Path(cache_dir) if cache_dir is not None else JUDGE_CACHE
    if accuracy_bar < ACCURACY_BAR and folder.resolve() == JUDGE_CACHE.resolve():
        raise ValueError(f"the kit's judge cache takes no bar below {ACCURACY_BAR:.0%}")
    keras = oracles.keras()
    with building_lock(folder):
        problem = cache_problem(folder, accuracy_bar)
        if problem is None:
            return read_cache(folder, keras)
        if on_progress is not None:
            on_progress(
                f"Training the judge (the MNIST classifier that scores generated digits) once, "
                f"because {problem}: about {TRAINING_MINUTES} minutes. It is kept in {folder}."
            )
        if mnist is None:
            mnist = datasets.load("mnist", data_dir)
        return build_judge(
            folder,
            mnist,
            keras,
            accuracy_bar=accuracy_bar,
            epochs=epochs,
            on_progress=on_progress,
            on_epoch=on_epoch,
        )


# ------------------------------------------------------------------ confidence and coverage


def confident_share(probabilities, threshold: float = CONFIDENCE) -> float:
    """Share of samples whose top probability is >= `threshold`.

    Takes probabilities (N, 10); returns a float in [0, 1] (0.0 for N = 0).
    """
    top = np.asarray(probabilities, np.float64).max(axis=1, initial=0.0)
    return float(np.mean(top >= threshold)) if len(top) else 0.0


def class_coverage(probabilities, threshold: float = CONFIDENCE) -> np.ndarray:
    """Each digit's share among the confidently classified samples (top probability >= threshold).

    Takes probabilities (N, 10); returns 10 floats summing to 1, or 10 zeros when
    no sample is confident (no digit is covered).
    """
    probabilities = np.asarray(probabilities, np.float64)
    confident = probabilities.max(axis=1, initial=0.0) >= threshold
    counts = np.bincount(probabilities[confident].argmax(axis=1), minlength=CLASSES)
    total = counts.sum()
    return counts / total if total else np.zeros(CLASSES)


# ------------------------------------------------------------------ Frechet distance


def gaussian_fit(features) -> tuple[np.ndarray, np.ndarray]:
    """Mean (D,) and covariance (D, D) (unbiased, float64) of feature rows (N, D), N >= 2."""
    features = np.asarray(features, np.float64)
    if features.ndim != 2 or len(features) < 2:
        raise ValueError(f"expected at least 2 feature rows (N, D), got shape {features.shape}")
    return features.mean(axis=0), np.cov(features, rowvar=False)


def symmetric_sqrt(matrix) -> np.ndarray:
    """The symmetric positive semi-definite square root of a symmetric matrix (D, D).

    Uses numpy.linalg.eigh; eigenvalues below 0 (rounding of a singular
    covariance) count as 0.
    """
    matrix = np.asarray(matrix, np.float64)
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T


def frechet_distance_of_fits(fit_a, fit_b) -> float:
    """Frechet distance between Gaussians fit_a = (mean, cov) and fit_b:
    |mu_a - mu_b|^2 + Tr(S_a) + Tr(S_b) - 2 Tr((S_a^1/2 S_b S_a^1/2)^1/2). Returns a float >= 0.

    The cross term is the sum of the square roots of the eigenvalues of the
    symmetric matrix S_a^1/2 S_b S_a^1/2 (which equals Tr(sqrtm(S_a S_b))), so no scipy.
    """
    (mean_a, cov_a), (mean_b, cov_b) = fit_a, fit_b
    root_a = symmetric_sqrt(cov_a)
    product = root_a @ np.asarray(cov_b, np.float64) @ root_a
    eigenvalues = np.linalg.eigvalsh((product + product.T) / 2)
    cross = np.sum(np.sqrt(np.clip(eigenvalues, 0.0, None)))
    shift = np.sum((np.asarray(mean_a, np.float64) - mean_b) ** 2)
    distance = shift + np.trace(cov_a) + np.trace(cov_b) - 2 * cross
    return float(max(distance, 0.0))


def frechet_distance(features_a, features_b) -> float:
    """Frechet distance between Gaussian fits of two sets of feature rows (N_a, D), (N_b, D)."""
    return frechet_distance_of_fits(gaussian_fit(features_a), gaussian_fit(features_b))


def fd_anchors(judge: Judge, x_train, test_features, count: int = ANCHOR_COUNT, seed: int = SEED):
    """The two ends of the Frechet-distance scale for `count` samples.

    Inputs: the judge; MNIST's training images x_train (uint8); the judge's
    features of the test images (the reference samples are compared with);
    count: as many images as samples are scored; seed: which training images
    and which noise.

    Returns Anchors(real = FD of `count` random training images, noise = FD of
    `count` uniform-noise images), both against `test_features`.
    """
    chosen = np.random.default_rng(seed).choice(len(x_train), size=count, replace=False)
    real, _ = judge_images(judge, np.asarray(x_train)[chosen])
    noise, _ = judge_images(judge, uniform_noise(count, seed))
    return Anchors(frechet_distance(real, test_features), frechet_distance(noise, test_features))


def anchor_position(distance: float, anchors: Anchors) -> float:
    """Where a Frechet distance lies between the anchors: 0 at `real`, 1 at `noise`
    (below 0 or above 1 outside them)."""
    return float((distance - anchors.real) / (anchors.noise - anchors.real))


# ------------------------------------------------------------------ memorisation


def nearest_distances(images, reference) -> np.ndarray:
    """For each image, the L2 distance (pixels in [0, 1]) to its nearest reference image.

    Takes images and reference (see `pixels`); returns float64 (N,). Works by
    blocks of float32 matrix products (|a|^2 + |b|^2 - 2 a.b), never a Python
    loop over the reference's rows; a distance near 0 is exact to about 0.01.
    """
    rows, candidates = pixels(images), pixels(reference)
    candidate_norms = np.einsum("ij,ij->i", candidates, candidates)
    best = np.full(len(rows), np.inf, np.float32)
    for start in range(0, len(rows), ROWS_PER_CHUNK):
        block = rows[start : start + ROWS_PER_CHUNK]
        block_norms = np.einsum("ij,ij->i", block, block)[:, None]
        for first in range(0, len(candidates), REFERENCE_PER_CHUNK):
            part = slice(first, first + REFERENCE_PER_CHUNK)
            squared = block_norms + candidate_norms[part] - 2 * block @ candidates[part].T
            best[start : start + len(block)] = np.minimum(
                best[start : start + len(block)], squared.min(axis=1)
            )
    return np.sqrt(np.clip(best.astype(np.float64), 0.0, None))


def centred(images) -> np.ndarray:
    """Each image (see `pixels`) moved by whole pixels, zeros filling in, so that its centre
    of mass sits at the middle (13.5, 13.5), as MNIST's digits were centred when the set was
    made. A copy of a training digit moved a few pixels is then a copy again. Returns
    float32 (N, 784); a blank image stays where it is."""
    images = pixels(images).reshape(-1, SIDE, SIDE)
    grid = np.arange(SIDE, dtype=np.float32)
    mass = images.sum(axis=(1, 2))
    middle = (SIDE - 1) / 2
    safe = np.maximum(mass, np.float32(1e-9))
    rows = np.where(mass > 0, images.sum(axis=2) @ grid / safe, middle)
    columns = np.where(mass > 0, images.sum(axis=1) @ grid / safe, middle)
    moves = np.rint(middle - np.stack([rows, columns], axis=1)).astype(int)
    out = np.zeros_like(images)
    for image, moved, (down, right) in zip(images, out, moves, strict=True):
        kept = image[max(-down, 0) : SIDE - max(down, 0), max(-right, 0) : SIDE - max(right, 0)]
        top, left = max(down, 0), max(right, 0)
        moved[top : top + kept.shape[0], left : left + kept.shape[1]] = kept
    return out.reshape(len(out), -1)


class NearestStats(NamedTuple):
    """Distances from images to their nearest training image, both centred (`centred`):
    the median, and the LOW_QUANTILE (the closest tenth), which a set only partly copied
    still lowers."""

    median: float
    low: float


def nearest_stats(images, x_train) -> NearestStats:
    """NearestStats of `images` against the training images `x_train` (both centred)."""
    distances = nearest_distances(centred(images), centred(x_train))
    if not len(distances):
        return NearestStats(math.nan, math.nan)
    return NearestStats(float(np.median(distances)), float(np.quantile(distances, LOW_QUANTILE)))


def reference_nearest_stats(x_train, x_test, count: int = ANCHOR_COUNT, seed: int = SEED):
    """nearest_stats of `count` random real test images: what an honest generator's samples
    are compared with."""
    chosen = np.random.default_rng(seed).choice(len(x_test), size=count, replace=False)
    return nearest_stats(np.asarray(x_test)[chosen], x_train)


def memorised(
    samples: NearestStats, test: NearestStats, margin: float = MEMORISATION_MARGIN
) -> bool:
    """True when samples sit nearer the training set than real test images do by more than
    `margin` (a fraction), in the median or in the closest tenth: copies."""
    return bool(
        samples.median < (1.0 - margin) * test.median or samples.low < (1.0 - margin) * test.low
    )
