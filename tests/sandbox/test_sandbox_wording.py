"""The sandbox takes its policy and its words from the engine: it blocks exactly the
forbidden modules it is given, refuses the folders it is told to protect, and says
every sentence as a catalogue key whose English and Chinese the catalogue holds."""

from __future__ import annotations

import ast
import string
import sysconfig
from pathlib import Path

import pytest
from grade_cli import grade

from grader.course.paths import KIT_ROOT
from grader.engine.policy import FORBIDDEN_MODULES, PROTECTED_FOLDERS, SANDBOX_POLICY
from grader.messages import CATALOGUE, text, translate
from grader.sandbox import (
    ForbiddenImport,
    LearnerCrashed,
    LearnerError,
    LearnerProblem,
    LearnerProxy,
    LearnerTimeout,
    Limits,
    NotImplementedYet,
    SandboxUnavailable,
    client,
    wording,
)
from grader.sandbox.isolation import refuse_kit_on_path
from grader.sandbox.wording import Said

from conftest import write_module

SANDBOX = Path(client.__file__).parent

LEARNER = """
import os
import numpy as np

def colorsys_name(x=None):
    import colorsys
    return colorsys.__name__

def fractions_name(x=None):
    import importlib
    return importlib.import_module("frac" + "tions").__name__

def todo(x):
    raise NotImplementedError

def boom(x):
    raise ValueError("no")

def bare(x):
    raise ValueError

def vanish(x):
    print("bye")
    os._exit(3)

def pickler(x):
    return np.array([object()], dtype=object)

def forever(x):
    while True:
        pass

def tensorflow_name(x=None):
    import importlib
    return importlib.import_module("tensor" + "flow").__name__
"""


def at(code: str, function: str) -> str:
    """The frame line that names LEARNER's line `code` in `function`."""
    return f"  at line {LEARNER.split(chr(10)).index('    ' + code) + 1}, in {function}: {code}"


def proxy_of(folder: Path, limits: Limits | None = None, **policy) -> LearnerProxy:
    """A proxy of `folder`/learner.py under the engine's policy, with `policy` on top."""
    return LearnerProxy(folder / "learner.py", "learner", limits, **{**SANDBOX_POLICY, **policy})


@pytest.fixture
def folder(tmp_path) -> Path:
    return write_module(tmp_path, "learner", LEARNER)


# ---------------------------------------------------------------- the forbidden modules


@pytest.mark.parametrize(
    ("blocked", "allowed"),
    [("colorsys", "fractions"), ("fractions", "colorsys")],
)
def test_the_worker_blocks_exactly_the_modules_it_is_given(folder, blocked, allowed):
    learner = proxy_of(folder, forbidden=(*FORBIDDEN_MODULES, blocked))
    try:
        assert learner.call(f"{allowed}_name") == allowed
        with pytest.raises(ForbiddenImport, match=f"tried to import {blocked}:") as caught:
            learner.call(f"{blocked}_name")
        assert learner.forbidden == [blocked]
        assert caught.value.key == "forbidden_call" and caught.value.fields == {"names": blocked}
    finally:
        learner.close()


def test_the_engines_list_is_what_the_worker_blocks(folder):
    learner = proxy_of(folder)
    try:
        with pytest.raises(ForbiddenImport, match="tried to import tensorflow"):
            learner.tensorflow_name()
        assert learner.forbidden == ["tensorflow"]
    finally:
        learner.close()


# ---------------------------------------------------------------- the protected folders


def test_the_engine_protects_the_kit_of_course_paths():
    for entry in (KIT_ROOT, KIT_ROOT.parent, *PROTECTED_FOLDERS):
        with pytest.raises(SandboxUnavailable, match="refusing"):
            refuse_kit_on_path([str(entry)], PROTECTED_FOLDERS)


def test_the_folders_passed_in_are_refused_and_nothing_else(tmp_path):
    kit = tmp_path / "kit"
    protect = (kit / "grader", kit / "solutions")
    copy = tmp_path / "copy"
    (copy / "solutions").mkdir(parents=True)
    for entry in (kit, tmp_path, kit / "grader", copy):
        with pytest.raises(SandboxUnavailable, match="refusing"):
            refuse_kit_on_path([str(entry)], protect)
    refuse_kit_on_path([str(kit / "exercises"), str(copy / "solutions")], protect)


def test_a_protected_folder_on_the_workers_path_stops_the_worker(folder):
    stdlib = Path(sysconfig.get_path("stdlib"))
    learner = proxy_of(folder, protect=(stdlib / "json",))
    try:
        with pytest.raises(SandboxUnavailable, match="refusing"):
            learner.todo(1)
    finally:
        learner.close()
    with pytest.raises(ValueError, match="protect"):
        proxy_of(folder, protect=())


def test_the_sandbox_defines_no_list_or_kit_root_of_its_own():
    for path in SANDBOX.glob("*.py"):
        tree = ast.parse(path.read_text("utf-8"))
        assigned = {
            target.id
            for node in ast.walk(tree)
            if isinstance(node, ast.Assign)
            for target in node.targets
            if isinstance(target, ast.Name)
        }
        assert not assigned & {"FORBIDDEN_MODULES", "KIT_ROOT"}, path.name


# ---------------------------------------------------------------- the words


PROBLEMS = {
    name
    for name, value in vars(client).items()
    if isinstance(value, type) and issubclass(value, LearnerProblem)
}


def said_keys() -> set[str]:
    """Every catalogue key the sandbox's code names: Said("key", ...), a problem made with
    key="key", and the values of client.EXIT_SIGNALS."""
    keys = set(client.EXIT_SIGNALS.values())
    for path in SANDBOX.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            called = node.func.id if isinstance(node, ast.Call) and hasattr(node.func, "id") else ""
            named = [k.value for k in node.keywords if k.arg == "key"] if called in PROBLEMS else []
            if called == "Said":
                named.append(node.args[0])
            for key in named:
                if ast.unparse(key).startswith("EXIT_SIGNALS["):
                    continue  # its values are counted above
                assert isinstance(key, ast.Constant), f"{path.name}:{key.lineno}: a key unread"
                keys.add(key.value)
    return keys


def fields_of(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


def test_every_key_the_sandbox_says_is_in_the_catalogue_in_english_and_chinese():
    keys = said_keys()
    assert len(keys) >= 20, sorted(keys)  # the scan finds the sandbox's sentences
    for key in sorted(keys):
        assert key in CATALOGUE, key
        english, chinese = CATALOGUE[key]
        assert any("\u4e00" <= c <= "\u9fff" for c in chinese), key
        assert fields_of(english) == fields_of(chinese), key


def chinese(said) -> str:
    """What `said` (a Said, or a problem's key and fields) reads in Chinese, nested parts too."""
    fields = {k: chinese(v) if isinstance(v, Said) else v for k, v in said.fields.items()}
    return text(said.key, "zh", **fields)


def in_chinese(problem: LearnerProblem) -> str:
    details = [chinese(d) if isinstance(d, Said) else d for d in problem.details]
    return "\n".join([chinese(problem), *details])


@pytest.mark.parametrize(
    ("function", "kind", "english"),
    [
        ("todo", NotImplementedYet, "`todo` is not implemented yet"),
        (
            "boom",
            LearnerError,
            "`boom` raised ValueError: no\n" + at('raise ValueError("no")', "boom"),
        ),
        ("bare", LearnerError, "`bare` raised ValueError\n" + at("raise ValueError", "bare")),
        ("pickler", LearnerError, "`pickler` returned something that cannot be checked"),
        ("nothing", LearnerError, "learner.py does not define `nothing`"),
        ("colorsys_name", ForbiddenImport, "your code tried to import colorsys"),
        ("forever", LearnerTimeout, "`forever` did not finish within 1.5 s"),
        ("vanish", LearnerCrashed, "process died during `vanish`: it exited with code 3"),
    ],
)
def test_each_problem_is_a_catalogue_sentence_that_translates(folder, function, kind, english):
    learner = proxy_of(
        folder, Limits(call_timeout_s=1.5), forbidden=(*FORBIDDEN_MODULES, "colorsys")
    )
    try:
        with pytest.raises(kind) as caught:
            learner.call(function, 1)
    finally:
        learner.close()
    problem = caught.value
    assert english in str(problem)
    assert problem.key in CATALOGUE
    assert translate(str(problem), "zh") == in_chinese(problem)
    assert translate(str(problem), "zh") != str(problem)


def test_a_crash_at_import_says_it_happened_while_importing(tmp_path):
    write_module(tmp_path, "early", "import os\nprint('loading', flush=True)\nos._exit(0)\n")
    learner = LearnerProxy(tmp_path / "early.py", "early", **SANDBOX_POLICY)
    try:
        with pytest.raises(LearnerCrashed) as caught:
            learner.f(1)
    finally:
        learner.close()
    assert str(caught.value).startswith(
        "your code's process died while importing your module: it exited with code 0"
    )
    assert str(caught.value).endswith("\nlast output:\nloading")
    assert translate(str(caught.value), "zh") == in_chinese(caught.value)


def test_an_endless_import_times_out_in_the_learners_words(tmp_path):
    write_module(tmp_path, "endless", "while True:\n    pass\n")
    learner = LearnerProxy(
        tmp_path / "endless.py", "endless", Limits(call_timeout_s=1), **SANDBOX_POLICY
    )
    try:
        with pytest.raises(LearnerTimeout) as caught:
            learner.f(1)
    finally:
        learner.close()
    assert caught.value.key == "import_timed_out"
    assert str(caught.value).startswith("importing your module did not finish within")
    assert translate(str(caught.value), "zh").startswith("导入你的模块没有在")


def test_a_frame_in_another_module_names_its_file_in_both_languages(tmp_path):
    write_module(tmp_path, "first", "def f(x):\n    return x\n")
    write_module(tmp_path, "second", "def g(x):\n    raise KeyError(x)\n")
    learner = LearnerProxy(
        tmp_path / "first.py",
        "first",
        extra_modules={"second": tmp_path / "second.py"},
        **SANDBOX_POLICY,
    )
    try:
        with pytest.raises(LearnerError) as caught:
            learner.call("g", 5, module="second")
    finally:
        learner.close()
    assert (
        str(caught.value)
        == "`g` raised KeyError: 5\n  at second.py line 2, in g: raise KeyError(x)"
    )
    assert translate(str(caught.value), "zh").endswith(
        "  位置：second.py 第 2 行，g 中：raise KeyError(x)"
    )


def test_without_a_wording_installed_a_sentence_is_its_key_and_fields():
    try:
        wording.set_wording(None)
        problem = NotImplementedYet(key="not_implemented", name="f")
        assert str(problem) == "not_implemented(name='f')"
        assert str(Said("crashed", when=Said("while_importing"), how="x")) == (
            "crashed(when='while_importing()', how='x')"
        )
    finally:
        wording.set_wording(text)
    assert str(problem) == "`f` is not implemented yet (it raises NotImplementedError)"


def test_a_plain_text_problem_says_its_text():
    problem = LearnerTimeout("the exercise's time limit was reached")
    assert str(problem) == "the exercise's time limit was reached" and problem.key == ""


def test_the_learner_reads_a_crash_in_chinese_and_the_report_keeps_english(tmp_path):
    write_module(tmp_path, "ex02_activations", "import os\nos._exit(3)\n")
    screen = grade(tmp_path, 2, env={"NNLAB_LANG": "zh"}).stdout
    assert "你的代码的进程在导入你的模块时终止了：它以退出码 3 退出了" in screen, screen
    report = grade(tmp_path, 2, "--format", "json", env={"NNLAB_LANG": "zh"}).stdout
    assert "your code's process died while importing your module: it exited with code 3" in report
