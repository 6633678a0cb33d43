"""grader.engine.grade: the one grading every caller uses, and the decisions it takes once
(the language, TensorFlow's warm-up, every digit in reprs, the hint)."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import pytest
from grade_cli import GRADE, TIMEOUT_S, grade, grade_env, mutated

from grader.course.registry import get_exercise
from grader.engine.grade import grade as grade_exercise
from grader.engine.runner import GradingOptions
from grader.messages import text, translate

RELU_GRADIENT = "two-layer net without the relu gradient"
FAILING_INPUT = re.compile(r"^failing input: batch=(.*)$", re.MULTILINE)
WORST = re.compile(r"worst element at index \((\d+), (\d+)\): got (\S+), expected (\S+)")
FLOAT = re.compile(r"-?\d+\.(\d+)")


def _does_not_compile(tmp_path: Path) -> Path:
    """A folder whose exercise 1 module has a syntax error (no check runs, no TensorFlow)."""
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / get_exercise(1).filename).write_text("def one_hot(labels:\n", "utf-8")
    return folder


def _load(path: Path, name: str):
    """The module at `path` (a reference solution or a mutant of it: the kit's own code)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _gradient_of_w1(module, batch) -> np.ndarray:
    """grads["W1"] of `module`'s TwoLayerNet holding the batch's weights, on its X and y."""
    sizes, weights, X, y = batch
    net = module.TwoLayerNet(*sizes, rng=np.random.default_rng(0))
    for name, value in weights.items():
        setattr(net, name, value)
    return net.loss_and_grads(X, y)[1]["W1"]


# ---------------------------------------------------------------- every digit, in every caller


def test_a_batch_report_prints_the_failing_input_with_every_digit(kit_root, tmp_path):
    """`grade batch` wrote failing inputs with NumPy's 8 digits (issue 15): not the input
    that failed. Now a student's batch report prints the same line as their terminal does,
    and pasting its value gives the very answer the report calls wrong."""
    submission = mutated(kit_root, tmp_path / "class" / "ann", RELU_GRADIENT)
    out = tmp_path / "out"
    batch = subprocess.run(
        [GRADE, "batch", str(tmp_path / "class"), "--exercises", "11", "--out", str(out)],
        capture_output=True,
        text=True,
        env=grade_env(),
        timeout=TIMEOUT_S,
        check=False,
    )
    assert batch.returncode == 0, batch.stdout + batch.stderr
    failures = [node.text or "" for node in ElementTree.parse(out / "junit.xml").iter("failure")]
    message = next(text for text in failures if FAILING_INPUT.search(text))
    shown = FAILING_INPUT.search(message).group(1)

    digits = [len(fraction) for fraction in FLOAT.findall(shown)]
    assert max(digits) > 8, f"NumPy's default repr keeps 8 decimals: {shown}"

    terminal = json.loads(grade(submission, 11, "--format", "json").stdout)
    lines = [FAILING_INPUT.search(c["message"]) for c in terminal["checks"]]
    assert [line.group(1) for line in lines if line] == [shown], "the terminal's line differs"

    batch_input = eval(shown, {"array": np.array})  # noqa: S307 -- the kit's own report
    row, column, got, expected = WORST.search(message).groups()
    index = (int(row), int(column))
    mutant = _load(submission / get_exercise(11).filename, "ex11_mutant")
    reference = _load(kit_root / "solutions" / get_exercise(11).filename, "ex11_reference")
    assert f"{_gradient_of_w1(mutant, batch_input)[index]:.10g}" == got
    assert f"{_gradient_of_w1(reference, batch_input)[index]:.10g}" == expected


# ---------------------------------------------------------------- the language and the hint


def test_the_language_is_the_options_else_nnlab_lang(tmp_path, monkeypatch):
    folder = _does_not_compile(tmp_path)
    monkeypatch.setenv("NNLAB_LANG", "zh")
    chinese = grade_exercise(1, folder, GradingOptions(lang=None), hints_revealed=1)
    assert chinese.lang == "zh"
    assert chinese.hint.splitlines() == list(get_exercise(1).hints_zh[:1])
    english = grade_exercise(1, folder, GradingOptions(lang="en"), hints_revealed=1)
    assert english.lang == "en"
    assert english.hint.splitlines() == list(get_exercise(1).hints[:1])
    assert chinese.checks[0].message == english.checks[0].message, "reports stay English"


@pytest.mark.parametrize("revealed", [0, 2])
def test_a_module_that_does_not_compile_shows_only_the_hints_revealed(tmp_path, revealed):
    report = grade_exercise(1, _does_not_compile(tmp_path), GradingOptions(lang="en"), revealed)
    assert report.hints_revealed == revealed
    assert report.hint.splitlines() == list(get_exercise(1).hints[:revealed])
    assert all(check.status == "error" for check in report.checks)


def test_the_hint_is_the_revealed_ones_and_the_one_for_what_failed(pristine_stubs):
    report = grade_exercise(1, pristine_stubs, GradingOptions(lang="en"), hints_revealed=2)
    assert not report.passed and report.hints_revealed == 2
    assert report.hint.splitlines()[:2] == list(get_exercise(1).hints[:2])


# ---------------------------------------------------------------- TensorFlow's warm-up


@pytest.mark.parametrize("problem", ["syntax error", "no module"])
def test_a_module_that_does_not_compile_is_graded_without_tensorflow(tmp_path, problem):
    # Neither needs TensorFlow nor a worker: every check fails at once, saying why.
    folder = _does_not_compile(tmp_path)
    if problem == "no module":
        (folder / "ex01_tensors.py").unlink()
    code = (
        "import sys\nfrom grader.engine.grade import grade\n"
        f"report = grade(1, {str(folder)!r})\n"
        "print(report.checks[0].status, 'tensorflow' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=grade_env(),
        timeout=TIMEOUT_S,
        check=False,
    )
    assert done.stdout.split() == ["error", "False"], done.stdout + done.stderr


# ---------------------------------------------------------------- the runner's own sentences

SENTENCES = [
    ("exercise_time_spent", {"limit": "16"}),
    ("check_share_spent", {"share": "4", "limit": "16"}),
    ("not_run_over_time", {"used": "17", "limit": "16"}),
    ("nondeterministic", {}),
    ("first_time", {}),
    ("failing_input", {"example": "x=array([0.1234567891234])"}),
    ("internal_error", {"error": "KeyError: 'W1'"}),
    ("forbidden_module", {"file": "ex02_activations.py", "names": "scipy, torch"}),
]


@pytest.mark.parametrize(("key", "fields"), SENTENCES, ids=[key for key, _ in SENTENCES])
def test_the_collectors_sentences_come_from_the_catalogue_and_translate(key, fields):
    english = text(key, **fields)
    assert translate(english, "zh") == text(key, "zh", **fields) != english


def test_a_changed_answer_reads_in_chinese_line_by_line():
    first = text("wrong_shape", what="relu(x)", got="(2,)", expected="(3,)")
    english = "\n".join([text("nondeterministic"), text("first_time"), first])
    assert translate(english, "zh").splitlines() == [
        text("nondeterministic", "zh"),
        text("first_time", "zh"),
        text("wrong_shape", "zh", what="relu(x)", got="(2,)", expected="(3,)"),
    ]
