"""Every check has a Chinese name on screen; JSON and JUnit keep the English one (item 17)."""

import ast
import json
from xml.etree import ElementTree

from grade_cli import grade

from grader.course.registry import exercises
from grader.messages import CHECK_NAMES_ZH, check_name


def _every_check() -> dict[str, list[int]]:
    """Every check name (test function without `test_`) -> the exercises whose file holds it."""
    names: dict[str, list[int]] = {}
    for exercise in exercises():
        if not exercise.check_file.is_file():
            continue
        tree = ast.parse(exercise.check_file.read_text("utf-8"))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                names.setdefault(node.name.removeprefix("test_"), []).append(exercise.number)
    return names


def test_every_check_of_every_exercise_has_a_chinese_name():
    checks = _every_check()
    missing = [
        f"{name} (exercise {', '.join(map(str, numbers))})"
        for name, numbers in checks.items()
        if name not in CHECK_NAMES_ZH
    ]
    assert not missing, "add to grader.messages.CHECK_NAMES_ZH:\n" + "\n".join(missing)
    stale = sorted(set(CHECK_NAMES_ZH) - set(checks))
    assert not stale, "CHECK_NAMES_ZH names checks that no longer exist:\n" + "\n".join(stale)


def test_the_chinese_names_are_chinese_and_the_english_ones_are_the_function_names():
    not_chinese = [
        n for n, zh in CHECK_NAMES_ZH.items() if not any("\u4e00" <= c <= "\u9fff" for c in zh)
    ]
    assert not not_chinese, not_chinese
    assert check_name("softmax_along_axis_0") == "softmax along axis 0"
    assert check_name("softmax_along_axis_0", "zh") == "沿轴 0 的 softmax"
    assert check_name("a_check_not_named_yet", "zh") == "a check not named yet"


def test_the_chinese_screen_names_checks_in_chinese_and_the_files_in_english(kit_root, tmp_path):
    (tmp_path / "ex01_tensors.py").write_bytes(
        (kit_root / "exercises" / "ex01_tensors.py").read_bytes()
    )
    screen = grade(tmp_path, 1, env={"NNLAB_LANG": "zh"}).stdout
    assert "5 个类别中标签 3 的 one_hot" in screen and "minibatches 用 rng 打乱顺序" in screen
    assert "one hot of label 3 of 5 classes" not in screen
    english = grade(tmp_path, 1).stdout
    assert "one hot of label 3 of 5 classes" in english and "5 个类别" not in english
    report = json.loads(grade(tmp_path, 1, "--format", "json", env={"NNLAB_LANG": "zh"}).stdout)
    assert "one_hot_of_label_3_of_5_classes" in {c["name"] for c in report["checks"]}
    suite = ElementTree.fromstring(
        grade(tmp_path, 1, "--format", "junit", env={"NNLAB_LANG": "zh"}).stdout
    )
    assert "minibatches_are_shuffled_by_rng" in {case.get("name") for case in suite}


def test_the_spinner_names_the_running_check_in_the_learners_language():
    from grader.messages import grading_status

    assert grading_status(3, 0, 20, "softmax_matches_tensorflow") == (
        "grading exercise 3: check 1/20, softmax matches tensorflow"
    )
    chinese = grading_status(3, 4, 20, "softmax_matches_tensorflow", "zh")
    assert (
        chinese.startswith("正在为练习 3 评分：检查 5/20")
        and CHECK_NAMES_ZH["softmax_matches_tensorflow"] in chinese
    )
