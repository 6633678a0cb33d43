"""`check()` in a notebook: a real kernel runs the cells (nbclient), the cell shows the report."""

import shutil
import subprocess
import sys
import types

import nbformat
import numpy as np
from nbclient import NotebookClient

from grader.notebook import module_source
from grader.registry import get_exercise


def cell_html(cell) -> str:
    """The text/html of a cell's displayed result ("" when it has none)."""
    for output in cell.outputs:
        if output.get("output_type") in ("execute_result", "display_data"):
            return output.get("data", {}).get("text/html", "")
    return ""


def cell_text(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream")


def test_check_grades_the_file_and_the_notebooks_functions(tmp_path, kit_root, monkeypatch):
    shutil.copytree(kit_root / "exercises", tmp_path / "exercises")
    solution = (kit_root / "solutions" / "ex01_tensors.py").read_text("utf-8")
    monkeypatch.setenv("NNLAB_LANG", "en")
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell(
            "import sys\nfrom grader import check\nprint('tensorflow' in sys.modules)"
        ),
        nbformat.v4.new_code_cell("check(1)"),
        nbformat.v4.new_code_cell(solution),
        nbformat.v4.new_code_cell("report = check(1, namespace=globals())\nreport"),
        nbformat.v4.new_code_cell("print(report.score, report.max_score, report.submission)"),
    ]
    client = NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": tmp_path}}
    )
    client.execute()
    imported, stub, _, functions, score = notebook.cells
    assert cell_text(imported).strip() == "False", "importing grader must not import TensorFlow"
    html = cell_html(stub)
    assert html.startswith("<pre") and "Exercise 1: Tensors and labels" in html
    assert "Score: 0/12" in html and "is not implemented yet" in html
    assert "Score: 12/12" in cell_html(functions)
    assert cell_text(score).split() == ["12.0", "12.0", "notebook"]
    assert (tmp_path / "exercises" / ".nnlab-progress.json").is_file(), "check(1) records progress"


def test_the_module_holds_the_functions_and_what_they_use():
    def one_hot(labels, num_classes=None):
        return _eye(SIZE)[labels]  # noqa: F821 -- a name only the namespace defines

    def _eye(n):
        return np.eye(n)

    def unrelated():
        return 0

    def flattened(x):
        return exp(x)  # noqa: F821 -- a name only the namespace defines

    namespace = {
        "__name__": __name__,  # as globals() gives it: these functions are "the notebook's"
        "np": np,
        "SIZE": 3,
        "one_hot": one_hot,
        "_eye": _eye,
        "unrelated": unrelated,
        "exp": np.exp,
        "flatten": flattened,
        "sys": types.ModuleType("sys"),
    }
    source = module_source(get_exercise(1), namespace)
    assert "import numpy as np" in source and "SIZE = 3" in source
    assert "def one_hot(labels" in source and "def _eye(n)" in source
    assert "from numpy import exp as exp" in source and "flatten = flattened" in source
    assert "unrelated" not in source and "import sys" not in source
    scope: dict = {}
    exec(compile(source, "ex01_tensors.py", "exec"), scope)  # noqa: S102
    assert scope["one_hot"](np.array([2]))[0].tolist() == [0.0, 0.0, 1.0]
    assert scope["flatten"](0.0) == 1.0


def test_importing_grader_stays_cheap():
    code = "import sys, grader; from grader import check; print(sorted(m for m in "
    code += "('tensorflow', 'pytest', 'hypothesis', 'grader.runner') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "[]", result.stderr
