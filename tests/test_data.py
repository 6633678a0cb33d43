"""grader.data: where dataset files are found, how they are verified and split."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pytest

from grader import data

SHARED_DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"
PLACES = ("explicit", "env", "kit", "keras", "debian")


def write_boston(folder: Path, x: np.ndarray, y: np.ndarray) -> Path:
    """Write boston_housing.npz (arrays x, y) into `folder`, as Keras' file is laid out."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "boston_housing.npz"
    np.savez_compressed(path, x=x, y=y)
    return path


def small_boston(marker: float) -> tuple[np.ndarray, np.ndarray]:
    """Ten rows of 13 features whose first value is `marker` (to tell copies apart)."""
    x = np.arange(130, dtype=np.float64).reshape(10, 13)
    x[0, 0] = marker
    return x, np.arange(10, dtype=np.float64) * 1.5


def accept(monkeypatch, x: np.ndarray, y: np.ndarray) -> None:
    """Make the checksum table accept exactly (x, y) as Boston housing."""

    def expected(array):
        digest = hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()
        return data._Expected(array.shape, str(array.dtype), digest)

    table = {"boston_housing.npz": {"x": expected(x), "y": expected(y)}}
    monkeypatch.setattr(data, "_CHECKSUMS", table)


@pytest.fixture
def places(tmp_path, monkeypatch) -> dict[str, Path]:
    """Five empty data folders standing in for each place searched, in order."""
    folders = {place: tmp_path / place for place in PLACES}
    for folder in folders.values():
        folder.mkdir()
    monkeypatch.setenv(data.DATA_DIR_ENV, str(folders["env"]))
    monkeypatch.setattr(data, "KIT_CACHE", folders["kit"])
    monkeypatch.setenv("KERAS_HOME", str(folders["keras"]))
    folders["keras"] = folders["keras"] / "datasets"
    folders["keras"].mkdir()
    monkeypatch.setattr(data, "DEBIAN_DATASETS", folders["debian"])
    return folders


def test_search_path_is_explicit_env_kit_keras_debian(places):
    assert data.search_path(places["explicit"]) == [places[p] for p in PLACES]
    assert data.search_path() == [places[p] for p in PLACES[1:]]


def test_keras_cache_defaults_to_home_dot_keras(monkeypatch, tmp_path):
    monkeypatch.delenv("KERAS_HOME", raising=False)
    monkeypatch.delenv(data.DATA_DIR_ENV, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert tmp_path / ".keras" / "datasets" in data.search_path()


def test_first_place_holding_the_file_wins(places, monkeypatch):
    for number, place in enumerate(PLACES):
        write_boston(places[place], *small_boston(marker=1000.0 + number))
    for number, place in enumerate(PLACES):
        x, y = small_boston(marker=1000.0 + number)
        accept(monkeypatch, x, y)
        (x_train, _), (x_test, _) = data.load_boston_housing(places["explicit"], test_split=0.0)
        assert x_train[:, 0].max() == 1000.0 + number, f"{place} should be used"
        assert len(x_test) == 0
        (places[place] / "boston_housing.npz").unlink()


def test_empty_environment_variable_is_ignored(places, monkeypatch):
    monkeypatch.setenv(data.DATA_DIR_ENV, "")
    assert data.search_path() == [places[p] for p in PLACES[2:]]


def test_missing_file_names_every_place_searched_and_the_fix(places):
    with pytest.raises(data.DatasetNotFound) as caught:
        data.load_boston_housing(places["explicit"])
    assert isinstance(caught.value, FileNotFoundError)
    message = str(caught.value)
    assert "boston_housing.npz" in message
    for place in PLACES:
        assert str(places[place]) in message
    assert "NNLAB_DATA_DIR" in message
    assert "--data-dir" in message


def test_split_is_keras_shuffle_with_seed(places, monkeypatch):
    x, y = small_boston(marker=7.0)
    write_boston(places["env"], x, y)
    accept(monkeypatch, x, y)
    order = np.arange(10)
    np.random.RandomState(5).shuffle(order)
    (x_train, y_train), (x_test, y_test) = data.load_boston_housing(test_split=0.3, seed=5)
    np.testing.assert_array_equal(x_train, x[order[:7]])
    np.testing.assert_array_equal(y_train, y[order[:7]])
    np.testing.assert_array_equal(x_test, x[order[7:]])
    np.testing.assert_array_equal(y_test, y[order[7:]])


def test_test_split_must_be_below_one(places):
    with pytest.raises(ValueError, match="test_split"):
        data.load_boston_housing(test_split=1.0)


def test_wrong_values_raise_dataset_corrupt_naming_the_file(places):
    path = write_boston(places["kit"], *small_boston(marker=3.0))
    with pytest.raises(data.DatasetCorrupt) as caught:
        data.load_boston_housing()
    assert str(path) in str(caught.value)
    assert "'x'" in str(caught.value)


def test_one_changed_value_is_corrupt(places, monkeypatch):
    x, y = small_boston(marker=3.0)
    accept(monkeypatch, x, y)
    y = y.copy()
    y[4] += 1e-9
    write_boston(places["env"], x, y)
    with pytest.raises(data.DatasetCorrupt, match="'y' has different values"):
        data.load_boston_housing()


def test_float32_copy_is_corrupt(places, monkeypatch):
    x, y = small_boston(marker=3.0)
    accept(monkeypatch, x, y)
    write_boston(places["env"], x.astype(np.float32), y)
    with pytest.raises(data.DatasetCorrupt, match="float32"):
        data.load_boston_housing()


def test_recompressed_identical_copy_is_accepted(places, monkeypatch):
    x, y = small_boston(marker=3.0)
    accept(monkeypatch, x, y)
    np.savez(places["env"] / "boston_housing.npz", x=x, y=y)  # uncompressed this time
    (x_train, _), _ = data.load_boston_housing(test_split=0.0)
    assert x_train.shape == (10, 13)


@pytest.mark.parametrize(
    "content", [b"not an archive at all", b"PK\x03\x04 truncated zip"], ids=["text", "zip"]
)
def test_unreadable_file_is_corrupt(places, content):
    (places["env"] / "boston_housing.npz").write_bytes(content)
    with pytest.raises(data.DatasetCorrupt, match="cannot be read"):
        data.load_boston_housing()


def test_archive_without_y_is_corrupt(places):
    np.savez(places["env"] / "boston_housing.npz", x=np.zeros((3, 13)))
    with pytest.raises(data.DatasetCorrupt, match="lacks the array"):
        data.load_boston_housing()


def shared_data_dir() -> Path:
    return Path(os.environ.get(data.DATA_DIR_ENV) or SHARED_DATASETS)


@pytest.fixture(scope="module")
def real_boston():
    folder = shared_data_dir()
    if not (folder / "boston_housing.npz").is_file():
        pytest.skip(f"no boston_housing.npz in {folder}")
    return folder, data.load_boston_housing(folder)


def test_real_boston_housing_is_keras_split(real_boston):
    _, ((x_train, y_train), (x_test, y_test)) = real_boston
    assert x_train.shape == (404, 13) and y_train.shape == (404,)
    assert x_test.shape == (102, 13) and y_test.shape == (102,)
    assert x_train.dtype == y_train.dtype == np.float64
    first = [1.23247, 0, 8.14, 0, 0.538, 6.142, 91.7, 3.9769, 4, 307, 21, 396.9, 18.72]
    np.testing.assert_array_equal(x_train[0], first)
    assert y_train[0] == 15.2


def test_real_boston_housing_equals_keras_load_data_on_the_same_file(real_boston, monkeypatch):
    pytest.importorskip("tensorflow")
    from keras.src.datasets import boston_housing

    folder, ((x_train, y_train), (x_test, y_test)) = real_boston
    # Keras' own split code, reading our file instead of downloading its copy.
    monkeypatch.setattr(boston_housing, "get_file", lambda *a, **k: folder / "boston_housing.npz")
    (kx_train, ky_train), (kx_test, ky_test) = boston_housing.load_data()
    pairs = [(x_train, kx_train), (y_train, ky_train), (x_test, kx_test), (y_test, ky_test)]
    for ours, theirs in pairs:
        np.testing.assert_array_equal(ours, theirs)
