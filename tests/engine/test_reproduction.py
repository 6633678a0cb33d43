"""A failed check prints the call that failed, as Python that reproduces it (issue 14, item 10)."""

import json
import re
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import pytest
from grade_cli import grade, mutated

from grader.engine.reproduction import Call, CallLog, RecordingLearner, reproduction
from grader.messages import text

HEADER = text("reproduce")


# ---------------------------------------------------------------- the lines


def test_the_lines_import_name_each_argument_by_its_parameter_and_call():
    source = "import numpy as np\n\ndef one_hot(labels, num_classes=None):\n    pass\n"
    call = Call("one_hot", (np.array([0, 2]), 3), {})
    assert reproduction(call, "ex01_tensors", source) == [
        "import numpy as np",
        "from ex01_tensors import one_hot",
        "labels = np.array([0, 2])",
        "num_classes = 3",
        "one_hot(labels, num_classes)",
    ]


def test_values_rebuild_exactly():
    values = (
        np.array([[0.1, 0.30000000000000004], [-np.inf, np.nan]]),
        np.array([1.5, -0.0], dtype=np.float32),
        np.zeros((0, 3), dtype=np.int32),
        np.array(2.5),
        np.array([[True, False]]),
        np.uint8(7),
        (1, "same", None, [2.0, float("inf")]),
        {"m": np.array([1e-300, 5e-324])},
    )
    lines = reproduction(Call("f", values, {}), "module", "def f(a, b, c, d, e, g, h, i): ...")
    scope = {"np": np}
    exec("\n".join(lines[2:-1]), scope)  # noqa: S102 -- without the import of the module
    for name, value in zip("abcdeghi", values, strict=True):
        rebuilt = scope[name]
        if isinstance(value, np.ndarray | np.generic):
            assert type(rebuilt) is type(value) and rebuilt.dtype == value.dtype, name
            assert rebuilt.shape == np.shape(value), name
            assert np.array_equal(rebuilt, value, equal_nan=value.dtype.kind == "f"), name
    assert scope["h"][:3] == (1, "same", None) and scope["h"][3] == [2.0, float("inf")]
    assert scope["i"]["m"][1] == 5e-324
    assert np.signbit(scope["b"][1]), "-0.0 keeps its sign"


def test_a_generator_is_rebuilt_with_its_state():
    rng = np.random.default_rng(42)
    rng.random(3)
    lines = reproduction(Call("draw", (rng,), {}), "module", "def draw(rng): ...")
    scope = {"np": np}
    exec("\n".join(lines[2:-1]), scope)  # noqa: S102
    assert scope["rng"].random() == rng.random()


def test_keywords_float_errors_and_names_that_would_clash():
    source = "def softmax(np, axis=-1):\n    pass\n"
    call = Call("softmax", (np.array([[1.0, 2.0]]),), {"axis": 0}, strict_floats=True)
    lines = reproduction(call, "ex03_softmax_losses", source)
    assert lines[2] == '_ = np.seterr(over="raise", divide="raise", invalid="raise")'
    assert lines[3].startswith("np_ = np.array(") and lines[4] == "axis = 0"
    assert lines[-1] == "softmax(np_, axis=axis)"


def test_parameter_names_come_from_the_learners_source_or_are_numbered():
    call = Call("TwoLayerNet", (2, 50), {})
    source = "class TwoLayerNet:\n    def __init__(self, n_in, n_hidden, n_out=4): ...\n"
    assert reproduction(call, "m", source)[2:] == [
        "n_in = 2",
        "n_hidden = 50",
        "TwoLayerNet(n_in, n_hidden)",
    ]
    for source in ("def f(:\n", "f = lambda x: x\n", "def f(x): ...\n"):
        lines = reproduction(Call("f", (1, 2), {}), "m", source)
        assert lines[-1] in ("f(arg1, arg2)", "f(x, arg2)"), source


def test_no_lines_for_what_cannot_be_written_or_read():
    source = "def f(x): ..."
    for unprintable in (object(), np.array(["a"]), np.zeros(5000), {1: 2}):
        assert reproduction(Call("f", (unprintable,), {}), "m", source) == []
    assert reproduction(Call("f", None, None), "m", source) == []
    assert reproduction(None, "m", source) == []


def test_an_array_too_large_to_print_is_not_formatted(monkeypatch):
    # Formatting a dataset (CIFAR-10's 30 million pixels) took minutes before it was cut.
    def no_formatting(*args, **kwargs):
        raise AssertionError("an array that cannot fit the reproduction was formatted")

    monkeypatch.setattr("grader.engine.reproduction.pprint.pformat", no_formatting)
    images = np.zeros((100, 32, 32, 3), dtype=np.uint8)
    assert reproduction(Call("f", (images,), {}), "m", "def f(x): ...") == []


# ---------------------------------------------------------------- which call failed


def test_the_failing_call_is_the_function_the_message_names_else_the_last():
    log = CallLog()
    log.record("log_softmax", (np.zeros(2),), {})
    log.record("softmax", (np.ones(2),), {"float_errors": "raise"})
    assert log.failing("softmax(z) has the right shape").function == "softmax"
    assert log.failing("`log_softmax` raised ValueError").function == "log_softmax"
    last = log.failing("the loss is wrong")
    assert last.function == "softmax" and last.strict_floats and last.kwargs == {}
    log.clear()
    assert log.failing("softmax") is None


def test_arguments_are_copied_when_the_call_is_made():
    log = CallLog()
    x = np.zeros(2)
    log.record("f", (x,), {})
    x[0] = 5.0
    assert log.failing("").args[0][0] == 0.0


class _Proxy:
    """A stand-in for the runner's proxy: one function `f`, and an attribute."""

    isolation = "none"

    def names(self):
        return {"f": "callable"}

    def call(self, name, *args, **kwargs):
        return ("called", name, args)

    def __getattr__(self, name):
        from grader.sandbox.client import MissingName, RemoteFunction

        if name == "f":
            return RemoteFunction(self, None, name)
        raise MissingName(f"m.py does not define `{name}`", "AttributeError")


def test_the_recording_learner_notes_module_calls_and_passes_the_rest_through():
    from grader.sandbox.client import MissingName

    log = CallLog()
    learner = RecordingLearner(_Proxy(), log)
    assert learner.f(1, 2) == ("called", "f", (1, 2))
    assert learner.call("f", 3, float_errors="raise")[2] == (3,)
    assert log.failing("").args == (3,) and log.failing("").strict_floats
    assert learner.isolation == "none" and repr(learner) == "learner"
    with pytest.raises(MissingName):
        learner.call("g", 1)
    assert log.failing("g").function == "f", "a function not defined is never noted"


# ---------------------------------------------------------------- through the real CLI


def _pasted_lines(message: str) -> list[str]:
    """The reproduction lines of a message: after the header, up to the hints."""
    lines = message.split("\n")
    start = lines.index(HEADER) + 1
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("hint: ")), len(lines))
    return lines[start:end]


def _paste_into_python(folder: Path, lines: list[str], after: str) -> str:
    """Paste `lines` into an interactive Python in `folder`, then `after`; return its output."""
    result = subprocess.run(
        [sys.executable, "-i", "-q"],
        input="\n".join([*lines, "", after, ""]),
        capture_output=True,
        text=True,
        cwd=folder,
        timeout=120,
    )
    return result.stdout


def test_pasting_the_printed_lines_gives_the_reported_answer(kit_root, tmp_path):
    folder = mutated(kit_root, tmp_path / "softmax", "softmax sums over axis 0")
    result = grade(folder, 3, "--format", "json")
    checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    failed = [c for c in checks.values() if c["status"] == "failed"]
    assert failed, "the mutant must fail a check"
    for check in failed:
        message = check["message"]
        lines = _pasted_lines(message)
        assert lines[:2] == ["import numpy as np", "from ex03_softmax_losses import softmax"]
        assert lines[2].startswith("z = np.array([[") and lines[-1] == "softmax(z)"
        index, got = re.search(
            r"worst element at index (\([\d, ]+\)): got (\S+),", message
        ).groups()
        printed = _paste_into_python(folder, lines, f"print(format(float(_[{index}]), '.10g'))")
        assert printed.strip().splitlines()[-1] == got, (message, printed)


def test_a_wrong_shape_and_a_raised_error_reproduce_too_also_in_junit(kit_root, tmp_path):
    folder = mutated(kit_root, tmp_path / "ex01", "one_hot ignores num_classes")
    result = grade(folder, 1, "--format", "junit")
    suite = ElementTree.fromstring(result.stdout)
    failure = next(
        case.find("failure")
        for case in suite
        if case.get("name") == "one_hot_of_label_3_of_5_classes"
    )
    lines = _pasted_lines(failure.text)
    assert lines == [
        "import numpy as np",
        "from ex01_tensors import one_hot",
        "labels = np.array([3])",
        "num_classes = 5",
        "one_hot(labels, num_classes)",
    ]
    assert "(1, 4)" in _paste_into_python(folder, lines, "print(_.shape)")
    raising = tmp_path / "raising"
    raising.mkdir()
    (raising / "ex02_activations.py").write_text(
        "def relu(x):\n    raise ValueError('no negative numbers please')\n", "utf-8"
    )
    report = json.loads(grade(raising, 2, "--format", "json").stdout)
    message = next(c["message"] for c in report["checks"] if c["name"] == "relu_matches_tensorflow")
    assert "`relu` raised ValueError: no negative numbers please" in message
    printed = subprocess.run(
        [sys.executable, "-c", "\n".join(_pasted_lines(message))],
        capture_output=True,
        text=True,
        cwd=raising,
        timeout=120,
    )
    assert "ValueError: no negative numbers please" in printed.stderr


def test_no_reproduction_for_a_function_not_defined_or_not_written(pristine_stubs, tmp_path):
    (tmp_path / "ex01_tensors.py").write_text("import numpy as np\n", "utf-8")
    report = json.loads(grade(tmp_path, 1, "--format", "json").stdout)
    assert all(HEADER not in c["message"] for c in report["checks"])
    assert any("does not define `one_hot`" in c["message"] for c in report["checks"])
    stub = tmp_path / "stub"
    stub.mkdir()
    (stub / "ex01_tensors.py").write_bytes((pristine_stubs / "ex01_tensors.py").read_bytes())
    stubs = json.loads(grade(stub, 1, "--format", "json").stdout)
    assert all(HEADER not in c["message"] for c in stubs["checks"])


def test_the_chinese_screen_translates_the_header_and_keeps_the_code(kit_root, tmp_path):
    folder = mutated(kit_root, tmp_path, "one_hot ignores num_classes")
    screen = grade(folder, 1, env={"NNLAB_LANG": "zh"}).stdout
    assert text("reproduce", "zh") in screen and HEADER not in screen
    assert "from ex01_tensors import one_hot\nlabels = np.array([3])\nnum_classes = 5\n" in screen
