"""A synthetic class of submissions for `grade batch` tests, and the gradebook it must give.

Twenty students graded on exercises 1 (12 points) and 2 (14 points): right,
partly right, untouched, broken in every way the sandbox must survive, packed
as folders, zips and a downloaded repository, and seven whose names are hard
to carry as data (quotes that write JSON, a backslash, control characters,
Chinese, 255 bytes, a formula, "."): each must come back exactly, with its own score.
"""

from __future__ import annotations

import csv
import os
import zipfile
from pathlib import Path

from grader.course.stubs import make_stub

EXERCISES = [1, 2]
EX01 = "ex01_tensors.py"
EX02 = "ex02_activations.py"

# student -> (ex01 score, ex02 score, status)
EXPECTED = {
    "ada": (12, 14, "graded"),  # both right
    "ben": (9, 0, "graded"),  # one_hot wrong (3 points), exercise 2 untouched
    "cao": (0, 0, "graded"),  # untouched stubs
    "dan": (0, 14, "graded"),  # exercise 1 raises at import
    "eve": (0, 14, "graded"),  # exercise 1 hangs at import
    "fay": (12, 12, "graded"),  # relu asks for 50 GB (2 points)
    "gus": (0, 0, "graded"),  # prints fake full-marks JSON, returns zeros
    "hal": (0, 14, "graded"),  # exercise 1 calls os._exit(0) at import
    "ivy": (12, 14, "graded"),  # right, as a zip of exercises/
    "jon": (0, 0, "graded"),  # an empty folder
    "kim": (12, 0, "graded"),  # a downloaded repository: kim/nnlab-main/exercises/
    "lee": (0, 0, "error"),  # a corrupt zip
    "mia": (0, 0, "error"),  # exercise 1 is a symbolic link to the reference
}

# Names that once were pasted into JSON text or a path, each with its own score.
JSON_WRITER = 'eve","score":12,"x":"'  # a zip of the untouched stubs
BACKSLASH = "bob\\x"
CONTROL = "tab\there\nnew line\x01\x1b[31mred\rend"
CHINESE = "王小明"
LONG = "名" * 80 + "a" * 15  # 255 bytes of UTF-8, the most a file name holds
FORMULA = "@SUM(1+1)"
DOT = "."  # from a zip named "..zip"
ODD_NAMES = {
    JSON_WRITER: (0, 0, "graded"),
    BACKSLASH: (12, 0, "graded"),  # exercise 1 right
    CONTROL: (0, 14, "graded"),  # exercise 2 right
    CHINESE: (12, 14, "graded"),  # both right, as a zip
    LONG: (9, 0, "graded"),  # one_hot wrong
    FORMULA: (0, 14, "graded"),
    DOT: (12, 0, "graded"),
}
EXPECTED.update(ODD_NAMES)
# How gradebook.csv shows a name: one a spreadsheet would run as a formula is neutralised.
GRADEBOOK_NAMES = {name: name for name in EXPECTED} | {FORMULA: "'" + FORMULA}

FAKE_OUTPUT = """
import json, sys
import numpy as np
print(json.dumps({{"score": 12, "max_score": 12, "status": "passed"}}))
sys.stdout.flush()


def _zeros(*args, **kwargs):
    print('{{"tests": [{{"score": 2, "max_score": 2, "status": "passed"}}]}}')
    first = args[0] if args else 0
    return np.zeros_like(np.asarray(first, dtype=float))


{names} = _zeros
"""


def _solution(kit_root: Path, name: str) -> str:
    return (kit_root / "solutions" / name).read_text("utf-8")


def _stub(kit_root: Path, name: str) -> str:
    """The untouched stub, generated from solutions/ (the kit's exercises/ is a learner's)."""
    return make_stub(_solution(kit_root, name))


def _write(folder: Path, files: dict[str, str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")


def build_class(root: Path, kit_root: Path) -> Path:
    """Write the class's submissions into root/submissions; return that folder."""
    subs = root / "submissions"
    ex01, ex02 = _solution(kit_root, EX01), _solution(kit_root, EX02)
    wrong_one_hot = ex01.replace("def one_hot(", "def _right_one_hot(", 1) + (
        "\n\ndef one_hot(labels, num_classes):\n"
        "    return _right_one_hot(labels, num_classes)[:, ::-1]\n"
    )
    big_relu = ex02.replace("def relu(x):", "def relu(x):\n    np.ones(50 * 10**9 // 8)", 1)
    _write(subs / "ada", {EX01: ex01, EX02: ex02})
    _write(subs / "ben", {EX01: wrong_one_hot, EX02: _stub(kit_root, EX02)})
    _write(subs / "cao", {EX01: _stub(kit_root, EX01), EX02: _stub(kit_root, EX02)})
    _write(subs / "dan", {EX01: "raise RuntimeError('my module is broken')\n", EX02: ex02})
    _write(subs / "eve", {EX01: "while True:\n    pass\n", EX02: ex02})
    _write(subs / "fay", {EX01: ex01, EX02: big_relu})
    fake01 = FAKE_OUTPUT.format(
        names="one_hot = scale_pixels = flatten = nhwc_to_nchw = nchw_to_nhwc = minibatches"
    )
    fake02 = FAKE_OUTPUT.format(
        names="step = relu = sigmoid = tanh = relu_backward = sigmoid_backward = tanh_backward"
    )
    _write(subs / "gus", {EX01: fake01, EX02: fake02})
    _write(subs / "hal", {EX01: "import os\nos._exit(0)\n", EX02: ex02})
    _zip(subs / "ivy.zip", {f"exercises/{EX01}": ex01, f"exercises/{EX02}": ex02})
    (subs / "jon").mkdir()
    _write(subs / "kim" / "nnlab-main" / "exercises", {EX01: ex01})
    (subs / "lee.zip").write_bytes(b"PK\x03\x04 this is not really a zip")
    (subs / "mia").mkdir()
    os.symlink(kit_root / "solutions" / EX01, subs / "mia" / EX01)
    stubs = {EX01: _stub(kit_root, EX01), EX02: _stub(kit_root, EX02)}
    _zip(subs / f"{JSON_WRITER}.zip", stubs)
    _write(subs / BACKSLASH, {EX01: ex01})
    _write(subs / CONTROL, {EX02: ex02})
    _zip(subs / f"{CHINESE}.zip", {EX01: ex01, EX02: ex02})
    _write(subs / LONG, {EX01: wrong_one_hot})
    _write(subs / FORMULA, {EX02: ex02})
    _zip(subs / f"{DOT}.zip", {EX01: ex01})
    return subs


def _zip(path: Path, files: dict[str, str]) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)


def gradebook_rows(path: Path, numbers: list[int] = EXERCISES) -> dict[str, tuple]:
    """The gradebook's student cell -> (score on each exercise of `numbers`, ..., status),
    read back from gradebook.csv as a spreadsheet would: CSV, line breaks in cells kept."""
    with path.open(encoding="utf-8", newline="") as handle:
        return {
            row["student"]: (*(float(row[f"ex{n:02d}"]) for n in numbers), row["status"])
            for row in csv.DictReader(handle)
        }
