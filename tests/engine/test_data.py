"""grader.engine.data: where dataset files are found, how they are verified and split."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import pickle
import tarfile
from pathlib import Path

import numpy as np
import pytest

from grader.engine import data

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
        return data.Expected(array.shape, str(array.dtype), digest)

    table = {"boston_housing.npz": {"x": expected(x), "y": expected(y)}}
    monkeypatch.setattr(data, "CHECKSUMS", table)


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


def _unavailable(name: str) -> str:
    """Why a test that needs the real dataset `name` is skipped."""
    setting = os.environ.get(data.DATA_DIR_ENV, "")
    return (
        f"the real {name} dataset is not on this machine: not in the data directory "
        f"({data.DATA_DIR_ENV}={setting!r}) nor the kit's other places, and tests never "
        f"download; set {data.DATA_DIR_ENV} to a folder holding a copy"
    )


def real_file(name: str) -> Path:
    """A real dataset file, found through the data-directory setting (NNLAB_DATA_DIR) and the
    kit's usual places, never by a path of the tests' own; skips the test when there is none."""
    try:
        return data.find_file(name)
    except data.DatasetNotFound:
        pytest.skip(_unavailable(name))


def real_dataset(name: str):
    """data.load(name) from the data-directory setting; skips the test when it is not there."""
    try:
        return data.load(name)
    except data.DatasetNotFound:
        pytest.skip(_unavailable(name))


@pytest.fixture(scope="module")
def real_boston():
    folder = real_file("boston_housing.npz").parent
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


# ---------------------------------------------------------------- image datasets


def _write_idx(path, array):
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(
        int(d).to_bytes(4, "big") for d in array.shape
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wb") as handle:
        handle.write(header + array.astype(np.uint8).tobytes())


def _tiny_idx_arrays(seed=0):
    rng = np.random.default_rng(seed)
    return {
        "x_train": rng.integers(0, 256, (6, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, 6, dtype=np.uint8),
        "x_test": rng.integers(0, 256, (3, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, 3, dtype=np.uint8),
    }


def _expect(monkeypatch, name, arrays):
    table = {
        key: data.Expected(a.shape, str(a.dtype), hashlib.sha256(a.tobytes()).hexdigest())
        for key, a in arrays.items()
    }
    monkeypatch.setitem(data.CHECKSUMS, name, table)


def _write_idx_set(folder, arrays, gz=True):
    names = dict(zip(("x_train", "y_train", "x_test", "y_test"), data.IDX_FILES, strict=True))
    for key, base in names.items():
        _write_idx(folder / (base + (".gz" if gz else "")), arrays[key])


@pytest.mark.parametrize("gz", [True, False])
def test_mnist_from_idx_files(tmp_path, monkeypatch, gz):
    arrays = _tiny_idx_arrays()
    _write_idx_set(tmp_path / "mnist", arrays, gz)
    _expect(monkeypatch, "mnist", arrays)
    (x_train, y_train), (x_test, y_test) = data.load("mnist", tmp_path)
    assert x_train.dtype == np.uint8 and x_train.shape == (6, 28, 28)
    np.testing.assert_array_equal(y_test, arrays["y_test"])


def test_mnist_from_keras_npz(tmp_path, monkeypatch):
    arrays = _tiny_idx_arrays(1)
    np.savez(tmp_path / "mnist.npz", **arrays)
    _expect(monkeypatch, "mnist", arrays)
    (x_train, _), _ = data.load("mnist", tmp_path)
    np.testing.assert_array_equal(x_train, arrays["x_train"])


def test_changed_idx_content_is_corrupt(tmp_path, monkeypatch):
    arrays = _tiny_idx_arrays()
    _expect(monkeypatch, "fashion_mnist", arrays)
    arrays["y_train"] = (arrays["y_train"] + 1) % 10
    _write_idx_set(tmp_path / "fashion-mnist", arrays)
    with pytest.raises(data.DatasetCorrupt, match="different values"):
        data.load("fashion_mnist", tmp_path)


def test_truncated_idx_file_is_corrupt(tmp_path):
    path = tmp_path / "t.gz"
    _write_idx(path, np.zeros((2, 28, 28), np.uint8))
    with gzip.open(path, "rb") as handle:
        body = handle.read()
    with gzip.open(path, "wb") as handle:
        handle.write(body[:-10])
    with pytest.raises(data.DatasetCorrupt, match="bytes for shape"):
        data.read_idx(path)


def _cifar_batch_bytes(n, seed):
    rng = np.random.default_rng(seed)
    batch = {
        b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
        b"labels": [int(v) for v in rng.integers(0, 10, n)],
    }
    return pickle.dumps(batch), batch


def test_cifar10_from_python_folder_with_a_subset_of_batches(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    raw, batch = _cifar_batch_bytes(4, 0)
    (folder / "data_batch_1").write_bytes(raw)
    (folder / "test_batch").write_bytes(_cifar_batch_bytes(2, 1)[0])
    (x_train, y_train), (x_test, y_test) = data.load("cifar10", tmp_path)
    assert x_train.shape == (4, 32, 32, 3) and y_train.shape == (4, 1)
    assert x_test.shape == (2, 32, 32, 3) and x_train.dtype == np.uint8
    # Keras' layout: rows of 1024 red, then green, then blue, each row-major.
    assert x_train[0, 0, 1, 2] == batch[b"data"][0, 2048 + 1]


def test_cifar10_from_the_tar_gz(tmp_path):
    archive = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for name, n in (("data_batch_1", 3), ("data_batch_2", 2), ("test_batch", 2)):
            raw = _cifar_batch_bytes(n, n)[0]
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))
    (x_train, _), (x_test, _) = data.load("cifar10", tmp_path)
    assert len(x_train) == 5 and len(x_test) == 2


def test_a_cifar_batch_that_unpickles_code_is_refused(tmp_path):
    class Exploit:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    (folder / "data_batch_1").write_bytes(pickle.dumps({b"data": Exploit(), b"labels": []}))
    (folder / "test_batch").write_bytes(_cifar_batch_bytes(2, 1)[0])
    with pytest.raises(data.DatasetCorrupt, match="not allowed"):
        data.load("cifar10", tmp_path)


def test_missing_image_dataset_names_the_folders_and_the_files(tmp_path, monkeypatch):
    monkeypatch.delenv("NNLAB_DATA_DIR", raising=False)
    monkeypatch.setattr(data, "KIT_CACHE", tmp_path / "kit")
    monkeypatch.setattr(data, "DEBIAN_DATASETS", tmp_path / "debian")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    with pytest.raises(data.DatasetNotFound) as error:
        data.load("cifar10", tmp_path / "mine")
    text = str(error.value)
    assert "cifar-10-batches-py" in text and str(tmp_path / "mine") in text
    assert "NNLAB_DATA_DIR" in text


def test_the_real_mnist_and_cifar_load_like_keras():
    (x_train, y_train), (x_test, y_test) = real_dataset("mnist")
    assert x_train.shape == (60000, 28, 28) and y_train.shape == (60000,)
    assert x_train.dtype == y_train.dtype == np.uint8
    assert x_test.shape == (10000, 28, 28) and int(y_train[0]) == 5
    (cx, cy), (tx, ty) = real_dataset("cifar10")
    # All of CIFAR-10 or some of its batches (the course's shared copy has one).
    assert cx.shape[1:] == (32, 32, 3) and len(cx) in (10000, 20000, 30000, 40000, 50000)
    assert cy.shape == (len(cx), 1) and 0 < len(tx) <= 10000 and ty.shape == (len(tx), 1)
    assert sorted(np.unique(cy)) == list(range(10))


def test_status_reports_every_dataset():
    real_dataset("mnist")
    rows = {row["name"]: row for row in data.status()}
    assert set(rows) == set(data.DATASETS)
    assert rows["mnist"]["verified"] == "checksum ok"


def test_boston_falls_back_to_keras_download_into_its_cache(tmp_path, monkeypatch):
    shared = real_file("boston_housing.npz")
    monkeypatch.delenv("NNLAB_DATA_DIR", raising=False)
    monkeypatch.setattr(data, "KIT_CACHE", tmp_path / "kit")
    monkeypatch.setattr(data, "DEBIAN_DATASETS", tmp_path / "debian")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    fetched = []

    def fake_keras_load(name):  # what keras.datasets.boston_housing.load_data() leaves behind
        fetched.append(name)
        (tmp_path / "keras" / "datasets").mkdir(parents=True)
        (tmp_path / "keras" / "datasets" / "boston_housing.npz").write_bytes(shared.read_bytes())
        return ()

    monkeypatch.setattr(data, "keras_load", fake_keras_load)
    (x_train, y_train), _ = data.load_boston_housing()
    assert fetched == ["boston_housing"] and x_train.shape == (404, 13) and y_train[0] == 15.2
