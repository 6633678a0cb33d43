"""The stubs are generated from the fenced solutions and never drift."""

import shutil
import subprocess

import pytest

from grader.course import stubs
from grader.course.stubs import FenceError, generate_stubs, make_stub, pristine_stub


def committed(kit_root, relative: str) -> str | None:
    """The text of `relative` in the kit's last commit; None when the kit is not a git checkout
    or the file is not committed."""
    if shutil.which("git") is None:
        return None
    shown = subprocess.run(
        ["git", "-C", str(kit_root), "show", f"HEAD:{relative}"],
        capture_output=True,
        text=True,
        check=False,
    )
    return shown.stdout if shown.returncode == 0 else None


def test_every_stub_is_generated_from_its_solution(kit_root):
    """exercises/ holds what solutions/ generate: in the working tree, or, where a learner has
    edited a file of the kit's exercises/ (their own work), in the last commit."""
    generated = generate_stubs(kit_root / "solutions")
    assert generated
    for name, stub in generated.items():
        relative = f"exercises/{name}"
        path = kit_root / relative
        assert path.is_file(), f"{relative} is missing: run python -m grader.course.stubs"
        working = path.read_text("utf-8")
        if working == stub:
            continue
        last = committed(kit_root, relative)
        edited_by_a_learner = last is not None and last != working
        assert edited_by_a_learner and last == stub, (
            f"{relative} drifted from its solution: run python -m grader.course.stubs"
        )


def test_no_stub_leaks_solution_code(kit_root):
    for stub in generate_stubs(kit_root / "solutions").values():
        assert "BEGIN SOLUTION" not in stub and "END SOLUTION" not in stub


def test_the_pristine_stub_comes_from_solutions_else_from_the_package(tmp_path, monkeypatch):
    (tmp_path / "solutions").mkdir()
    source = 'def f(x):\n    """Doc."""\n    # BEGIN SOLUTION\n    return x\n    # END SOLUTION\n'
    (tmp_path / "solutions" / "ex01_tensors.py").write_text(source)
    shipped = tmp_path / "pristine"
    shipped.mkdir()
    (shipped / "ex01_tensors.py").write_text("# shipped\n")
    (shipped / "ex02_activations.py").write_text("# shipped two\n")
    monkeypatch.setattr(stubs, "PRISTINE", shipped)
    assert pristine_stub("ex01_tensors.py", tmp_path) == make_stub(source)
    assert pristine_stub("ex02_activations.py", tmp_path) == "# shipped two\n"
    assert pristine_stub("ex03_softmax_losses.py", tmp_path) is None


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
