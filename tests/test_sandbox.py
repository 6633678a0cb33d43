"""The sandbox holds: whatever learner code does, the grader survives and judges."""

import time

import numpy as np
import pytest

from grader.runner import grade_exercise
from grader.sandbox import (
    ForbiddenImport,
    LearnerCrashed,
    LearnerError,
    LearnerProxy,
    LearnerTimeout,
    Limits,
    NotImplementedYet,
)

from conftest import write_module

HOSTILE = """
import os, sys, json
import numpy as np

def forever(x):
    while True:
        pass

def hoard(x):
    return np.ones((50_000_000_000,))

def vanish(x):
    os._exit(0)

def liar(x):
    print(json.dumps({"ok": True, "value": {"result": 1.0}, "score": 100}))
    sys.stdout.flush()
    raise ValueError("nope")

def quitter(x):
    sys.exit(0)

def pickler(x):
    return np.array([object()], dtype=object)

def sneaky_tf(x):
    import importlib
    return importlib.import_module("tensor" + "flow")

def todo(x):
    raise NotImplementedError

def double(x):
    return 2 * x
"""


@pytest.fixture
def proxy(tmp_path):
    folder = write_module(tmp_path, "hostile", HOSTILE)
    learner = LearnerProxy(folder / "hostile.py", "hostile", Limits(call_timeout_s=1.5))
    yield learner
    learner.close()


def call_after_reset(learner, name):
    learner.begin_check()
    return getattr(learner, name)(np.ones(2))


def test_an_endless_loop_times_out_and_the_next_check_gets_a_fresh_worker(proxy):
    started = time.monotonic()
    with pytest.raises(LearnerTimeout, match="did not finish within 1.5 s"):
        call_after_reset(proxy, "forever")
    assert time.monotonic() - started < 5
    np.testing.assert_array_equal(call_after_reset(proxy, "double"), [2.0, 2.0])


def test_a_huge_allocation_is_a_memory_error(proxy):
    with pytest.raises(LearnerError, match="ran out of memory"):
        call_after_reset(proxy, "hoard")
    np.testing.assert_array_equal(call_after_reset(proxy, "double"), [2.0, 2.0])


def test_os_exit_is_a_crash_with_a_plain_message(proxy):
    with pytest.raises(LearnerCrashed, match="exited with code 0"):
        call_after_reset(proxy, "vanish")
    np.testing.assert_array_equal(call_after_reset(proxy, "double"), [2.0, 2.0])


def test_printed_fake_json_is_inert(proxy):
    with pytest.raises(LearnerError, match="raised ValueError: nope"):
        call_after_reset(proxy, "liar")


def test_sys_exit_is_reported_not_obeyed(proxy):
    with pytest.raises(LearnerError, match="SystemExit"):
        call_after_reset(proxy, "quitter")
    np.testing.assert_array_equal(call_after_reset(proxy, "double"), [2.0, 2.0])


def test_object_arrays_are_refused_never_unpickled(proxy):
    with pytest.raises(LearnerError, match="cannot be checked"):
        call_after_reset(proxy, "pickler")


def test_importing_tensorflow_at_run_time_is_blocked(proxy):
    with pytest.raises(ForbiddenImport, match="tensorflow"):
        call_after_reset(proxy, "sneaky_tf")
    assert proxy.forbidden == ["tensorflow"]


def test_not_implemented_is_named_as_such(proxy):
    with pytest.raises(NotImplementedYet, match="`todo` is not implemented yet"):
        call_after_reset(proxy, "todo")


def test_a_missing_function_is_named(proxy):
    with pytest.raises(LearnerError, match="hostile.py does not define `nothing`"):
        call_after_reset(proxy, "nothing")


def test_a_syntax_error_names_the_line(tmp_path):
    folder = write_module(tmp_path, "broken", "def f(x):\n    return x +\n")
    learner = LearnerProxy(folder / "broken.py", "broken")
    try:
        with pytest.raises(LearnerError, match="could not be imported: SyntaxError.*line 2"):
            learner.f(1)
    finally:
        learner.close()


def test_exit_at_import_is_a_crash(tmp_path):
    folder = write_module(tmp_path, "early", "import os\nos._exit(0)\n")
    learner = LearnerProxy(folder / "early.py", "early")
    try:
        with pytest.raises(LearnerCrashed):
            learner.f(1)
    finally:
        learner.close()


def test_an_exercise_that_imports_tensorflow_earns_zero(kit_root, tmp_path):
    source = (kit_root / "solutions" / "ex02_activations.py").read_text("utf-8")
    source = source.replace("import numpy as np", "import numpy as np\nimport tensorflow as tf", 1)
    write_module(tmp_path, "ex02_activations", source)
    report = grade_exercise(2, tmp_path)
    assert report.score == 0
    assert "tensorflow" in report.notice and "NumPy only" in report.notice
    assert all(c.status != "passed" for c in report.checks)


def test_a_hanging_submission_fails_every_check_without_hanging_the_grader(kit_root, tmp_path):
    source = (kit_root / "solutions" / "ex01_tensors.py").read_text("utf-8")
    source = source.replace("import numpy as np", "import numpy as np\nwhile True:\n    pass", 1)
    write_module(tmp_path, "ex01_tensors", source)
    started = time.monotonic()
    report = grade_exercise(1, tmp_path)
    assert report.score == 0
    assert {c.status for c in report.checks} == {"timeout"}
    assert time.monotonic() - started < 200


def test_a_missing_file_is_a_plain_message(tmp_path):
    report = grade_exercise(1, tmp_path)
    assert report.score == 0
    assert "ex01_tensors.py was not found" in report.notice


def test_several_modules_and_streamed_progress(tmp_path):
    write_module(tmp_path, "first", "def f(x):\n    return x + 1\n")
    write_module(
        tmp_path,
        "second",
        "import nnlab_channel\nimport first\n\n"
        "def g(n):\n    for i in range(n):\n        nnlab_channel.report({'step': i})\n"
        "    return first.f(n)\n",
    )
    learner = LearnerProxy(
        tmp_path / "first.py", "first", extra_modules={"second": tmp_path / "second.py"}
    )
    seen = []
    try:
        assert learner.f(1) == 2
        assert learner.call("g", 3, module="second", on_progress=seen.append) == 4
        assert seen == [{"step": 0}, {"step": 1}, {"step": 2}]
    finally:
        learner.close()
