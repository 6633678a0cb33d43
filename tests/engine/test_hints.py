"""Hints, revealed one at a time, in English and Chinese; the language from the locale."""

import ast

import pytest
from click.testing import CliRunner
from grade_cli import grade, mutated

from grader.cli import main
from grader.course.registry import exercises, get_exercise
from grader.engine.report import CheckResult, Report, choose_hints
from grader.learner.grading import grade_and_record
from grader.learner.progress import Progress
from grader.messages import CATALOGUE, resolve_lang, text

NO_LANGUAGE = {"NNLAB_LANG": None, "LC_ALL": None, "LC_MESSAGES": None, "LANG": None}


def test_every_exercise_has_two_or_more_hints_in_both_languages():
    for exercise in exercises():
        english, chinese = exercise.hints_in("en"), exercise.hints_in("zh")
        assert len(english) >= 2 and len(english) == len(chinese), exercise.number
        assert all(hint.strip() for hint in english + chinese), exercise.number
        assert all(any("\u4e00" <= c <= "\u9fff" for c in hint) for hint in chinese)


def test_every_message_has_both_languages():
    for key, (english, chinese) in CATALOGUE.items():
        assert english.strip() and chinese.strip(), key


@pytest.fixture
def folder(tmp_path):
    return tmp_path


def hint(folder, *args, env=None):
    runner = CliRunner(env={**NO_LANGUAGE, **(env or {})})
    return runner.invoke(main, [*args[:-1], "hint", args[-1], "--submission", str(folder)])


def test_hints_are_revealed_one_at_a_time_and_remembered(folder):
    first = hint(folder, "5")
    assert first.exit_code == 0, first.output
    assert "Exercise 5: Convolution, hint 1 of 3" in first.output
    assert "1. TensorFlow's SAME padding" in first.output and "2." not in first.output
    assert "2 more: run `grade hint 5` again" in first.output
    second = hint(folder, "5")
    assert "2. Convolution in deep learning is cross-correlation" in second.output
    assert Progress.load(folder).get(5).hints_revealed == 2
    third = hint(folder, "5")
    again = hint(folder, "5")
    assert "all 3 hints are shown" in third.output and "3. Vectorise" in again.output


def test_all_and_reset(folder):
    runner = CliRunner(env=NO_LANGUAGE)
    every = runner.invoke(main, ["hint", "4", "--all", "--submission", str(folder)])
    total = len(get_exercise(4).hints)
    assert f"hint {total} of {total}" in every.output and "2. A dense layer" in every.output
    assert f"{total}. {get_exercise(4).hints[-1]}" in every.output
    reset = runner.invoke(main, ["hint", "4", "--reset", "--submission", str(folder)])
    assert "hidden again" in reset.output
    assert Progress.load(folder).get(4).hints_revealed == 0


def test_hints_in_chinese_by_option_by_variable_and_by_locale(folder):
    header = "练习 5：卷积，提示 1/3"
    assert header in hint(folder, "--lang", "zh", "5").output
    (folder / ".nnlab-progress.json").unlink()
    assert header in hint(folder, "5", env={"NNLAB_LANG": "zh"}).output
    (folder / ".nnlab-progress.json").unlink()
    chinese_locale = hint(folder, "5", env={"LANG": "zh_CN.UTF-8"})
    assert header in chinese_locale.output and "1. TensorFlow 的 SAME 填充" in chinese_locale.output
    assert "还有 2 条" in chinese_locale.output
    (folder / ".nnlab-progress.json").unlink()
    english = hint(folder, "5", env={"LANG": "zh_CN.UTF-8", "NNLAB_LANG": "en"})
    assert "hint 1 of 3" in english.output, "NNLAB_LANG comes before the locale"


def test_the_language_comes_from_the_locale_unless_chosen(monkeypatch):
    for variable in NO_LANGUAGE:
        monkeypatch.delenv(variable, raising=False)
    assert resolve_lang() == "en"
    monkeypatch.setenv("LANG", "zh_TW.UTF-8")
    assert resolve_lang() == "zh"
    monkeypatch.setenv("LC_MESSAGES", "en_GB.UTF-8")
    assert resolve_lang() == "en", "LC_MESSAGES comes before LANG"
    monkeypatch.setenv("LC_ALL", "zh_CN.UTF-8")
    assert resolve_lang() == "zh", "LC_ALL comes first"
    monkeypatch.setenv("NNLAB_LANG", "en")
    assert resolve_lang() == "en" and resolve_lang("zh") == "zh"


def test_an_unknown_exercise_is_a_usage_error(folder):
    result = hint(folder, "42")
    assert result.exit_code == 2 and "there is no exercise 42" in result.output


def test_the_report_shows_the_hints_revealed_so_far(tmp_path, pristine_stubs):
    (tmp_path / "ex01_tensors.py").write_text((pristine_stubs / "ex01_tensors.py").read_text())
    progress = Progress.load(tmp_path)
    progress.reveal_hint(1)
    progress.reveal_hint(1)
    progress.save()
    report = grade_and_record(1, tmp_path, record=False)
    assert report.hint.splitlines() == list(get_exercise(1).hints[:2])
    message = report.full_message(report.checks[0])
    assert message.count("\nhint: ") == 2
    from grader.engine.runner import GradingOptions

    chinese = grade_and_record(1, tmp_path, GradingOptions(lang="zh"), record=False)
    assert chinese.hint.splitlines() == list(get_exercise(1).hints_zh[:2])
    assert "提示：" in chinese.full_message(chinese.checks[0], "zh")
    assert "还没有实现" in chinese.full_message(chinese.checks[0], "zh")


# ---------------------------------------------------------------- the hint that belongs (item 9)


def _check_names(exercise) -> set[str]:
    """The names of the checks in the exercise's check file (test functions without `test_`)."""
    tree = ast.parse(exercise.check_file.read_text("utf-8"))
    return {
        node.name.removeprefix("test_")
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
    }


def test_every_hint_names_checks_and_mistakes_that_exist():
    unknown = []
    for exercise in exercises():
        assert len(exercise.hint_checks) <= len(exercise.hints), exercise.number
        known = _check_names(exercise) | set(CATALOGUE)
        for number, names in enumerate(exercise.hint_checks, start=1):
            unknown += [
                f"exercise {exercise.number} hint {number}: {n}" for n in names if n not in known
            ]
    assert not unknown, "hint_checks names no check or mistake:\n" + "\n".join(unknown)


def _graded(*checks: tuple[str, str, str]) -> Report:
    return Report(
        exercise=5,
        title="Convolution",
        checks=[CheckResult(name, status, 0, 1, message) for name, status, message in checks],
    )


def test_the_report_shows_the_hint_of_the_first_failing_check_or_its_mistake():
    exercise = get_exercise(5)
    hints = exercise.hints
    flipped = _graded(
        ("conv_output_size_matches_tensorflow", "passed", ""),
        ("conv2d_forward_with_valid_padding_matches_tensorflow", "failed", text("flipped_kernel")),
        ("conv2d_forward_with_same_padding_matches_tensorflow", "failed", "values differ"),
    )
    assert choose_hints(flipped, exercise) == hints[1]
    same = _graded(("conv2d_forward_with_same_padding_matches_tensorflow", "failed", "differ"))
    assert choose_hints(same, exercise) == hints[0]
    assert choose_hints(same, exercise, revealed=3).split("\n") == list(hints)
    slow = _graded(("conv2d_forward_is_vectorised", "failed", "too slow"))
    assert choose_hints(slow, exercise, revealed=1).split("\n") == [hints[0], hints[2]]
    assert choose_hints(slow, exercise, lang="zh") == exercise.hints_zh[2]
    unmatched = _graded(("conv_output_size_matches_tensorflow", "failed", "off by one"))
    assert choose_hints(unmatched, exercise) == hints[0], "no hint belongs: the first, as before"
    several = "\n".join(
        [text("several_mistakes"), text("mistake_item", mistake=text("flipped_kernel"))]
    )
    listed = _graded(("conv2d_forward_with_valid_padding_matches_tensorflow", "failed", several))
    assert choose_hints(listed, exercise) == hints[1]


def test_a_flipped_kernel_gets_the_cross_correlation_hint_on_screen(kit_root, tmp_path):
    folder = mutated(kit_root, tmp_path, "flipped kernel")
    screen = grade(folder, 5).stdout
    assert text("flipped_kernel") in screen
    hints = get_exercise(5).hints
    assert f"Hint: {hints[1][:40]}" in screen and f"Hint: {hints[0][:40]}" not in screen


def test_a_module_every_check_failed_on_alike_gets_no_maths_hint():
    exercise = get_exercise(5)
    broken = "ex05_convolution.py, line 3: SyntaxError: invalid syntax"
    syntax = _graded(*[(name, "error", broken) for name in ("a", "b", "c")])
    assert choose_hints(syntax, exercise) == "", "the error is the lesson, not the maths"
    assert choose_hints(syntax, exercise, revealed=1) == exercise.hints[0]
    one_error = _graded(("a", "error", broken), ("b", "passed", ""))
    assert choose_hints(one_error, exercise) == exercise.hints[0]
    not_run = _graded(("a", "passed", ""), ("b", "skipped", "your network needs `relu`"))
    assert choose_hints(not_run, exercise) == ""


def test_a_syntax_error_on_screen_has_no_hint(tmp_path):
    (tmp_path / "ex02_activations.py").write_text("def relu(x:\n    return x\n")
    screen = grade(tmp_path, 2).stdout
    assert "line 1: SyntaxError" in screen and "^" in screen
    assert "Hint:" not in screen
