"""Datasets as NumPy arrays, with the shapes, dtypes and splits of `keras.datasets`.

Every loader finds its files with `find_file`, which looks in these folders,
in order, and takes the first that holds the file:

1. the `data_dir` argument (the CLI's `--data-dir`);
2. the folder named by the environment variable NNLAB_DATA_DIR;
3. the kit's own cache, `datasets/` at the repository root;
4. the Keras cache, `$KERAS_HOME/datasets` (default `~/.keras/datasets`);
5. Debian's `/usr/share/datasets/`.

A file that is found is used; if its content is wrong the loader raises
DatasetCorrupt rather than look further (a bad copy should be noticed, not
hidden). A file that is nowhere raises DatasetNotFound, naming every folder
searched. Nothing is downloaded here.

Content is verified by checksums of the decoded arrays (`_CHECKSUMS`), not of
the file bytes, so a re-compressed but identical copy (Debian's, or Keras'
own `boston_housing.npz`) is accepted.

Adding a dataset: a `load_<name>(data_dir=None, ...)` function that calls
`find_file` for each file (paths relative to the data folder, e.g.
"mnist/train-images-idx3-ubyte.gz"), decodes the arrays, passes them through
`_verify`, and returns what `keras.datasets.<name>.load_data()` returns.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from pathlib import Path
from typing import NamedTuple

import numpy as np

from grader.submission import KIT_ROOT

DATA_DIR_ENV = "NNLAB_DATA_DIR"
KIT_CACHE = KIT_ROOT / "datasets"
DEBIAN_DATASETS = Path("/usr/share/datasets")


class DatasetNotFound(FileNotFoundError):
    """A dataset file is in none of the folders searched."""


class DatasetCorrupt(ValueError):
    """A dataset file was found but does not hold the expected data."""


class _Expected(NamedTuple):
    """What one decoded array must be: shape, dtype, sha256 of its C-order bytes."""

    shape: tuple[int, ...]
    dtype: str
    sha256: str


_CHECKSUMS: dict[str, dict[str, _Expected]] = {
    "boston_housing.npz": {
        "x": _Expected(
            (506, 13), "float64", "58d9abef45a8e00c844d74ff0027c96d21a8a237d7ba7e4c0c30b11dcdafde10"
        ),
        "y": _Expected(
            (506,), "float64", "a7a4a2bed7266f5e88acd2854ae97af5206bed564ab217810535d4cd14d76edb"
        ),
    },
}


def search_path(data_dir: str | os.PathLike | None = None) -> list[Path]:
    """The folders searched for dataset files, in order (see the module docstring)."""
    folders = []
    if data_dir is not None:
        folders.append(Path(data_dir).expanduser())
    if os.environ.get(DATA_DIR_ENV):
        folders.append(Path(os.environ[DATA_DIR_ENV]).expanduser())
    folders.append(KIT_CACHE)
    keras_home = os.environ.get("KERAS_HOME") or Path("~/.keras").expanduser()
    folders.append(Path(keras_home).expanduser() / "datasets")
    folders.append(DEBIAN_DATASETS)
    return folders


def find_file(name: str, data_dir: str | os.PathLike | None = None) -> Path:
    """Return the first `folder / name` that exists along `search_path(data_dir)`.

    Inputs:
    - name: the file's path relative to a data folder, e.g. "boston_housing.npz".
    - data_dir: an explicit data folder, searched first; None: skip it.

    Returns:
    - the file's path; raises DatasetNotFound, naming every folder searched.
    """
    folders = search_path(data_dir)
    for folder in folders:
        candidate = folder / name
        if candidate.is_file():
            return candidate
    searched = "\n".join(f"  - {folder}" for folder in folders)
    raise DatasetNotFound(
        f"the dataset file {name} was not found. Looked in:\n{searched}\n"
        f"Put {name} in one of these folders, or point the kit at a folder that holds it: "
        f"set {DATA_DIR_ENV}=/path/to/datasets or pass --data-dir /path/to/datasets."
    )


def _verify(name: str, path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Raise DatasetCorrupt unless `arrays` match the checksums recorded for `name`."""
    for key, expected in _CHECKSUMS[name].items():
        array = arrays[key]
        problem = None
        if array.shape != expected.shape or array.dtype != np.dtype(expected.dtype):
            problem = (
                f"array {key!r} is {array.dtype} {array.shape}, "
                f"expected {expected.dtype} {expected.shape}"
            )
        else:
            digest = hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()
            if digest != expected.sha256:
                problem = f"array {key!r} has different values (sha256 {digest[:12]}...)"
        if problem:
            raise DatasetCorrupt(
                f"{path} does not hold the expected {name}: {problem}. "
                f"Replace or delete this copy (it is found before any other)."
            )


def _load_npz(name: str, path: Path, keys: tuple[str, ...]) -> dict[str, np.ndarray]:
    """The arrays `keys` of the .npz file at `path`; DatasetCorrupt if it cannot be."""
    try:
        contents = np.load(path, allow_pickle=False)
    except (OSError, ValueError, zipfile.BadZipFile) as error:
        raise DatasetCorrupt(f"{path} cannot be read as {name}: {error}") from None
    if not isinstance(contents, np.lib.npyio.NpzFile):
        raise DatasetCorrupt(f"{path} is a single array, not the .npz archive {name}")
    with contents:
        missing = [key for key in keys if key not in contents.files]
        if missing:
            raise DatasetCorrupt(f"{path} lacks the array(s) {', '.join(missing)} of {name}")
        try:
            return {key: contents[key] for key in keys}
        except (OSError, ValueError, zipfile.BadZipFile) as error:
            raise DatasetCorrupt(f"{path} cannot be read as {name}: {error}") from None


def load_boston_housing(
    data_dir: str | os.PathLike | None = None, test_split: float = 0.2, seed: int = 113
):
    """Boston housing, split exactly as `keras.datasets.boston_housing.load_data()`.

    Rows are shuffled with `np.random.RandomState(seed)`; the first
    `int(506 * (1 - test_split))` are the training set (404 with the defaults).

    Inputs:
    - data_dir: a folder holding boston_housing.npz (arrays x, y), searched first.
    - test_split: fraction of rows held out, in [0, 1).
    - seed: the shuffling seed (Keras' is 113).

    Returns:
    - ((x_train, y_train), (x_test, y_test)): float64 arrays, x (n, 13), y (n,).
    """
    if not 0 <= test_split < 1:
        raise ValueError(f"test_split must be in [0, 1), got {test_split}")
    name = "boston_housing.npz"
    path = find_file(name, data_dir)
    arrays = _load_npz(name, path, ("x", "y"))
    _verify(name, path, arrays)
    x, y = arrays["x"], arrays["y"]
    indices = np.arange(len(x))
    np.random.RandomState(seed).shuffle(indices)
    x, y = x[indices], y[indices]
    n_train = int(len(x) * (1 - test_split))
    return (x[:n_train], y[:n_train]), (x[n_train:], y[n_train:])
