"""`check()` in a notebook (a real kernel runs the cells, nbclient) and at a plain `>>>` prompt
(a real `python -i` session): each shows the terminal's report."""

import os
import re
import shutil
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import nbformat
import numpy as np
from nbclient import NotebookClient

from grader.course.registry import get_exercise
from grader.learner.notebook import module_source
from grader.messages import text

SESSION_TIMEOUT_S = 600


def cell_html(cell) -> str:
    """The text/html of a cell's displayed result ("" when it has none)."""
    for output in cell.outputs:
        if output.get("output_type") in ("execute_result", "display_data"):
            return output.get("data", {}).get("text/html", "")
    return ""


def cell_text(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream")


def test_check_grades_the_file_and_the_notebooks_functions(
    tmp_path, kit_root, pristine_stubs, monkeypatch
):
    shutil.copytree(pristine_stubs, tmp_path / "exercises")
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
    code += "('tensorflow', 'pytest', 'hypothesis', 'grader.engine.runner') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "[]", result.stderr


def python_prompt(folder, lines: str) -> str:
    """What a user sees who types `lines` at the `>>>` prompt of `python -i` in `folder`."""
    environment = {**os.environ, "NNLAB_LANG": "en", "COLUMNS": "200", "PYTHONSTARTUP": ""}
    result = subprocess.run(
        [sys.executable, "-i", "-q"],
        input=textwrap.dedent(lines),
        capture_output=True,
        text=True,
        cwd=folder,
        env=environment,
        timeout=SESSION_TIMEOUT_S,
    )
    return result.stdout + result.stderr


def squeezed(value: str) -> str:
    """`value` without any whitespace: sentences compare whatever the report's wrapping
    (a wide screen keeps table cells on one line)."""
    return "".join(value.split())


def test_check_at_the_python_prompt_prints_the_report_and_explains_typed_functions(
    tmp_path, pristine_stubs
):
    shutil.copytree(pristine_stubs, tmp_path / "exercises")
    seen = python_prompt(
        tmp_path,
        """\
        from grader import check
        check(1)
        import numpy as np
        def one_hot(labels, num_classes=None):
            return np.eye(num_classes or labels.max() + 1)[labels]

        check(1, namespace=globals())
        print("ZH-FOLLOWS")
        check(1, namespace=globals(), lang="zh")
        """,
    )
    assert "NotebookReport(" not in seen and "Traceback" not in seen, seen
    assert seen.count("Score: 0/12") == 2, seen
    stub, typed = seen.split("Score: 0/12", 1)
    typed, chinese = typed.split("ZH-FOLLOWS", 1)
    assert "Exercise 1: Tensors and labels" in stub and "is not implemented yet" in stub, seen
    assert "Exercise 1: Tensors and labels" in typed and "Score: 0/12" in typed, seen
    fields = {"names": "`one_hot`", "number": 1, "file": "ex01_tensors.py"}
    assert squeezed(text("typed_at_prompt", "en", **fields)) in squeezed(typed), seen
    assert squeezed(text("missing_name", "en", file="ex01_tensors.py", name="flatten")) in (
        squeezed(typed)
    )
    assert squeezed(text("typed_at_prompt_row", "en", name="one_hot")) in squeezed(typed), seen
    one_hot_missing = text("missing_name", "en", file="ex01_tensors.py", name="one_hot")
    assert squeezed(one_hot_missing) not in squeezed(typed), "one_hot was defined, at the prompt"
    assert "failing input" not in typed, "no input helps with a function that is not there"
    assert squeezed(text("typed_at_prompt", "zh", **fields)) in squeezed(chinese), seen
    assert "练习 1" in chinese


def test_a_missing_function_reads_the_same_whichever_way_a_check_calls_it(tmp_path, kit_root):
    """`he_normal` is called by name (not looked up first): it used to say the worker's
    "raised AttributeError: module 'ex08_dropout_init' has no attribute 'he_normal'"."""
    solution = (kit_root / "solutions" / "ex08_dropout_init.py").read_text("utf-8")
    without = re.sub(r"\ndef he_normal\(.*?(?=\ndef )", "\n", solution, flags=re.DOTALL)
    assert "he_normal" not in without
    (tmp_path / "ex08_dropout_init.py").write_text(without, encoding="utf-8")
    grade = Path(sys.executable).with_name("grade")
    result = subprocess.run(
        [str(grade), "exercise", "8", "--submission", str(tmp_path)],
        capture_output=True,
        text=True,
        env={**os.environ, "NNLAB_LANG": "en", "COLUMNS": "200"},
        timeout=SESSION_TIMEOUT_S,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    missing = text("missing_name", "en", file="ex08_dropout_init.py", name="he_normal")
    assert missing in result.stdout, result.stdout
    assert "AttributeError" not in result.stdout and "no attribute" not in result.stdout
