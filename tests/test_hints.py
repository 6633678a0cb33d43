"""Hints, revealed one at a time, in English and Chinese; the language from the locale."""

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.messages import CATALOGUE, resolve_lang
from grader.registry import exercises, get_exercise
from grader.state import Progress, grade_and_record

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


def test_the_report_shows_the_hints_revealed_so_far(tmp_path, kit_root):
    (tmp_path / "ex01_tensors.py").write_text(
        (kit_root / "exercises" / "ex01_tensors.py").read_text()
    )
    progress = Progress.load(tmp_path)
    progress.reveal_hint(1)
    progress.reveal_hint(1)
    progress.save()
    report = grade_and_record(1, tmp_path, record=False)
    assert report.hint.splitlines() == list(get_exercise(1).hints[:2])
    message = report.full_message(report.checks[0])
    assert message.count("\nhint: ") == 2
    from grader.runner import GradingOptions

    chinese = grade_and_record(1, tmp_path, GradingOptions(lang="zh"), record=False)
    assert chinese.hint.splitlines() == list(get_exercise(1).hints_zh[:2])
    assert "提示：" in chinese.full_message(chinese.checks[0], "zh")
    assert "还没有实现" in chinese.full_message(chinese.checks[0], "zh")
