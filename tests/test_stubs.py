"""The stubs are generated from the fenced solutions and never drift."""

import pytest

from grader.stubs import FenceError, make_stub


def test_every_stub_is_generated_from_its_solution(kit_root):
    solutions = sorted((kit_root / "solutions").glob("ex[0-9][0-9]_*.py"))
    assert solutions
    for solution in solutions:
        stub = kit_root / "exercises" / solution.name
        assert stub.is_file(), f"exercises/{solution.name} is missing: run python -m grader.stubs"
        assert stub.read_text("utf-8") == make_stub(solution.read_text("utf-8")), (
            f"exercises/{solution.name} drifted from its solution: run python -m grader.stubs"
        )


def test_no_stub_leaks_solution_code(kit_root):
    for stub in (kit_root / "exercises").glob("ex[0-9][0-9]_*.py"):
        text = stub.read_text("utf-8")
        assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text


def test_a_fence_in_a_function_becomes_a_raise():
    source = 'def f(x):\n    """Doc."""\n    # BEGIN SOLUTION\n    return x\n    # END SOLUTION\n'
    stub = make_stub(source)
    assert 'raise NotImplementedError("f: write your code here")' in stub
    assert "return x" not in stub


def test_a_module_level_fence_disappears_and_stub_lines_are_kept():
    source = (
        "# BEGIN SOLUTION\ndef _helper():\n    return 1\n# END SOLUTION\n"
        "def g():\n    # BEGIN SOLUTION\n    # STUB: return None\n"
        "    return 2\n    # END SOLUTION\n"
    )
    stub = make_stub(source)
    assert "_helper" not in stub
    assert "    return None" in stub and "return 2" not in stub


@pytest.mark.parametrize(
    "source",
    ["# BEGIN SOLUTION\nx = 1\n", "# END SOLUTION\n", "# BEGIN SOLUTION\n# BEGIN SOLUTION\n"],
)
def test_unbalanced_fences_are_refused(source):
    with pytest.raises(FenceError):
        make_stub(source)
