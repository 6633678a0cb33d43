"""`check(5)` in Jupyter: grade an exercise and show the report in the cell.

`check(5)` grades the exercise's file in your folder, as `grade exercise 5`
does. `check(5, namespace=globals())` grades the exercise's functions as
defined in the notebook: their source, with the imports, helpers and
constants they use, is written to a temporary module that is graded like a
file, so your code still runs in the sandbox worker, never in the kernel.
The report is returned, and draws itself as HTML in the cell (and as the
terminal's text report at a plain `>>>` prompt). Functions typed at the
prompt cannot be graded, as Python keeps no source for them: the report says
so and how to grade them instead.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import io
import shutil
import tempfile
import textwrap
import types
from dataclasses import dataclass, fields
from pathlib import Path

from grader.course.registry import Exercise, get_exercise
from grader.engine.report import Report
from grader.messages import text

_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
HTML_WIDTH = 110
_HTML_FRAME = (
    "<pre style=\"font-family: Menlo, Consolas, 'DejaVu Sans Mono', monospace; "
    'font-size: 12px; line-height: 1.35; white-space: pre">{code}</pre>'
)


@dataclass(repr=False)
class NotebookReport(Report):
    """A Report that draws itself in a notebook cell, in its reader's language.

    Jupyter shows `_repr_html_`; a plain Python prompt shows `repr`, which is
    the terminal report as plain text.
    """

    def _repr_html_(self) -> str:
        """The terminal report (table, details, hints, score) as HTML with inline styles."""
        console = self._drawn(HTML_WIDTH, force_terminal=True, color_system="truecolor")
        return console.export_html(inline_styles=True, code_format=_HTML_FRAME)

    def __repr__(self) -> str:
        """The terminal report as plain text, as wide as the terminal."""
        width = shutil.get_terminal_size((HTML_WIDTH, 24)).columns
        return self._drawn(width, force_terminal=False, color_system=None).export_text().rstrip()

    def _drawn(self, width: int, **style):
        """A recording rich Console of `width` columns that has drawn this report."""
        from rich.console import Console

        from grader.learner.terminal import print_text

        console = Console(
            record=True,
            file=io.StringIO(),
            width=width,
            force_jupyter=False,  # else rich, in a kernel, draws into the cell itself
            **style,
        )
        print_text(self, console, self.lang)
        return console


def check(
    number: int,
    namespace: dict | None = None,
    submission: Path | None = None,
    lang: str | None = None,
) -> NotebookReport:
    """Grade exercise `number` from a notebook; the result shows as the cell's output.

    Inputs:
    - number: the exercise number.
    - namespace: None to grade the exercise's file; `globals()` to grade the
      functions defined in the notebook instead.
    - submission: your folder of exercise modules (default: ./exercises).
    - lang: "en" or "zh" (default: NNLAB_LANG, else the locale).

    Returns a NotebookReport (a Report). Grading the file records your best
    score in the folder's progress file; grading the notebook does not.
    """
    from grader.engine.runner import GradingOptions
    from grader.learner.grading import grade_and_record

    options = GradingOptions(lang=lang)
    if namespace is None:
        report = grade_and_record(number, submission, options)
    else:
        exercise = get_exercise(number)
        source, unreadable = _written_out(exercise, namespace)
        with tempfile.TemporaryDirectory(prefix="nnlab-notebook-") as folder:
            path = Path(folder) / exercise.filename
            path.write_text(source, encoding="utf-8")
            report = grade_and_record(number, Path(folder), options, record=False)
        report.submission = "notebook"
        if unreadable:
            _say_typed_at_prompt(report, exercise, unreadable)
            names = ", ".join(f"`{name}`" for name in unreadable)
            report.notice = text(  # kept in English, like every notice; shown in report.lang
                "typed_at_prompt", names=names, number=number, file=exercise.filename
            )
    values = {f.name: getattr(report, f.name) for f in fields(Report)}
    return NotebookReport(**values)


def _say_typed_at_prompt(report: Report, exercise: Exercise, names) -> None:
    """In each check that found no `name` in the graded module, say that it was typed at the
    prompt, where it was defined, instead of "does not define" (which reads as untrue)."""
    for check in report.checks:
        for name in names:
            missing = text("missing_name", file=exercise.filename, name=name)
            if check.message.startswith(missing):
                rest = check.message[len(missing) :]
                check.message = text("typed_at_prompt_row", name=name) + rest


def module_source(exercise: Exercise, namespace: dict) -> str:
    """Python source of a module with the exercise's names as `namespace` defines them.

    The functions and classes come with what they use from the namespace:
    modules (as imports), other functions and classes of the notebook,
    functions imported from a module, and constants with a literal repr.
    Names that cannot be written out are left for the checks to report.
    """
    return _written_out(exercise, namespace)[0]


def _written_out(exercise: Exercise, namespace: dict) -> tuple[str, list[str]]:
    """(module_source's text, the notebook's functions whose source Python does not keep).

    The second list names what was typed at a `>>>` prompt: inspect cannot read it.
    """
    unreadable: list[str] = []
    imports: list[str] = []
    constants: list[str] = []
    definitions: list[str] = []
    home = namespace.get("__name__", "__main__")  # the notebook's own module
    pending = [name for name in exercise.functions if name in namespace]
    seen = set(pending)
    while pending:
        name = pending.pop(0)
        kind, line, used = _as_source(name, namespace[name], home)
        if kind == "import":
            imports.append(line)
        elif kind == "constant":
            constants.append(line)
        elif kind == "definition":
            definitions.append(line)
        elif kind == "unreadable":
            unreadable.append(name)
        for other in used:
            if other in namespace and other not in seen and not hasattr(builtins, other):
                seen.add(other)
                pending.append(other)
    parts = ["\n".join(sorted(set(imports))), "\n".join(constants), *definitions]
    return "\n\n\n".join(part for part in parts if part) + "\n", unreadable


def _as_source(name: str, value, home: str) -> tuple[str, str, set[str]]:
    """(kind, source line(s), names the source uses) for one namespace entry.

    Functions and classes of the module `home` (the notebook) are written
    out; those of other modules are imported from them. The kind is "import",
    "constant", "definition", "unreadable" (a function or class of `home`
    with no source: typed at a `>>>` prompt), or "" (left out).
    """
    if isinstance(value, types.ModuleType):
        module = value.__name__
        line = f"import {module}" if module == name else f"import {module} as {name}"
        return "import", line, set()
    module = getattr(value, "__module__", None)
    if callable(value) and module not in (None, home) and hasattr(value, "__name__"):
        return "import", f"from {module} import {value.__name__} as {name}", set()
    if inspect.isfunction(value) or inspect.isclass(value):
        try:
            source = textwrap.dedent(inspect.getsource(value)).rstrip()
        except OSError:  # inspect finds no source: what is typed at the prompt is not kept
            return "unreadable", "", set()
        except TypeError:
            return "", "", set()
        try:
            tree = ast.parse(source)
        except SyntaxError:  # e.g. a lambda inside an expression
            return "", "", set()
        defined = [n.name for n in tree.body if isinstance(n, _DEFINITIONS)]
        if defined and name not in defined:
            source += f"\n\n{name} = {defined[-1]}"  # defined under another name
        used = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
        return "definition", source, used
    try:
        line = f"{name} = {value!r}"
        ast.literal_eval(line.split(" = ", 1)[1])
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return "", "", set()
    return "constant", line, set()
