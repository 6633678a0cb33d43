"""The runner: how check outcomes become report lines."""

import subprocess
import sys

import pytest

from grader.engine.collector import failing_example


def test_failing_input_names_only_generated_arguments():
    error = AssertionError("wrong")
    error.add_note(
        "Failing test case: test_x(\n    learner=learner,\n    tf=<module 'tensorflow'>,\n"
        "    z=array([[1., 2.],\n           [3., 4.]]),\n    axis=0,\n)"
    )
    assert failing_example(error) == "z=array([[1., 2.], [3., 4.]]), axis=0"
    older = AssertionError("wrong")
    older.add_note("Falsifying example: test_y(\n    x=array([0.]),\n)")
    assert failing_example(older) == "x=array([0.])"


DRAWS = """
import sys
from hypothesis import given, settings, strategies as st
from grader.engine.runner import draws_independent_of_loaded_modules
if len(sys.argv) > 1:
    sys.path.insert(0, sys.argv[1])
    import odd_constants
seen = []
@settings(derandomize=True, database=None, max_examples=100)
@given(st.floats(allow_nan=False), st.integers(), st.text(max_size=5))
def draw(x, n, s):
    seen.append((x, n, s))
with draws_independent_of_loaded_modules():
    draw()
print(repr(seen))
"""


def test_checks_draw_the_same_inputs_whatever_modules_are_loaded(tmp_path):
    # Hypothesis mixes in the literals of local modules the process loaded: `grade
    # exercise` and a batch job load different grader modules, so the same check would
    # try different inputs (without the fix the two lists here differ).
    (tmp_path / "odd_constants.py").write_text(
        'VALUES = (123456.789, -98765.4321, 31337, -271828, 7.25e-7, "nnlab-odd", "十万")\n',
        "utf-8",
    )

    def draws(*extra: str) -> str:
        command = [sys.executable, "-c", DRAWS, *extra]
        done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=True)
        return done.stdout

    assert draws() == draws(str(tmp_path))


def test_first_failure_stops_ends_the_run_at_the_first_failing_check(kit_root, pristine_stubs):
    from grader.engine.runner import GradingOptions, grade_exercise

    stopped = grade_exercise(2, pristine_stubs, GradingOptions(first_failure_stops=True))
    assert [c.status for c in stopped.checks] == ["failed"]
    full = grade_exercise(2, kit_root / "solutions", GradingOptions(first_failure_stops=True))
    assert len(full.checks) > 1 and full.score == full.max_score


def test_a_missing_module_an_exercise_builds_on_is_named_with_where_to_put_it(kit_root, tmp_path):
    """Exercise 20 imports exercises 2, 4 and 9: without ex04_dense.py beside it, the report
    says which file to put where (and the import failure itself fails the checks)."""
    import shutil

    from grader.engine.runner import grade_exercise
    from grader.messages import text

    for name in ("ex20_gan.py", "ex02_activations.py", "ex09_optimizers.py"):
        shutil.copy(kit_root / "solutions" / name, tmp_path / name)
    report = grade_exercise(20, tmp_path)
    assert report.notice == text(
        "uses_missing_one", number=20, numbers="4", files="ex04_dense.py", file="ex20_gan.py"
    )
    assert report.score == 0
    assert all("No module named 'ex04_dense'" in check.message for check in report.checks)
    (tmp_path / "ex02_activations.py").unlink()
    assert "exercises 2, 4: put ex02_activations.py, ex04_dense.py beside" in (
        grade_exercise(20, tmp_path).notice
    )


@pytest.mark.parametrize(
    ("said", "threads"),
    [("", 2), ("1", 1), ("2", 2), ("8", 2), ("0", 2), ("two", 2), ("-1", 2)],
)
def test_a_capstone_gets_the_cores_a_class_batch_gives_each_job(monkeypatch, said, threads):
    """`grade batch --jobs 2` on two cores sets NNLAB_CAPSTONE_THREADS=1 for each job: two
    BLAS threads per job would make every matrix product wait for a core."""
    from grader.course.registry import get_exercise
    from grader.engine.runner import capstone_threads, limits_for

    monkeypatch.setenv("NNLAB_CAPSTONE_THREADS", said)
    assert capstone_threads() == threads
    assert limits_for(get_exercise(13)).blas_threads == threads
    assert limits_for(get_exercise(5)).blas_threads == 1  # not a capstone: one thread always
