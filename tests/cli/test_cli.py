"""The `grade` command line, through Click's test runner."""

import json
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.course.registry import get_exercise
from grader.messages import keys_in


@pytest.fixture(scope="module")
def runner():
    return CliRunner()


def test_exercise_json_on_solutions_is_full_marks(runner, kit_root):
    result = runner.invoke(
        main, ["exercise", "3", "--submission", str(kit_root / "solutions"), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["exercise"] == 3 and report["title"] == "Softmax and losses"
    assert report["score"] == report["max_score"] == get_exercise(3).points
    assert {c["status"] for c in report["checks"]} == {"passed"}
    assert {"name", "status", "points", "max_points", "message"} <= set(report["checks"][0])


def test_exercise_on_stubs_scores_zero_and_exits_1(runner, pristine_stubs):
    checkout = pristine_stubs.parent  # a folder whose exercises/ holds the modules
    result = runner.invoke(
        main, ["exercise", "3", "--submission", str(checkout), "--format", "json"]
    )
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["score"] == 0
    # Each failing check carries the hint that belongs to it (English), not hint 1 on all.
    exercise = get_exercise(3)
    hinted = 0
    for check in report["checks"]:
        number = exercise.hint_for([*keys_in(check["message"]), check["name"]])
        if number:
            hinted += 1
            assert f"hint: {exercise.hints[number - 1]}" in check["message"], check
        else:
            assert "hint:" not in check["message"], check
    assert hinted, "some failing checks have a hint of their own"


def test_text_report_has_table_and_score_line(runner, pristine_stubs):
    result = runner.invoke(main, ["exercise", "1", "--submission", str(pristine_stubs)])
    assert result.exit_code == 1
    assert "Exercise 1: Tensors and labels" in result.output
    assert "scale pixels" in result.output and "0/2" in result.output
    assert "Score: 0/12" in result.output
    assert "Hint:" in result.output


def test_chinese_titles_and_hints(runner, pristine_stubs):
    result = runner.invoke(
        main, ["--lang", "zh", "exercise", "1", "--submission", str(pristine_stubs)]
    )
    assert "张量与标签" in result.output
    assert "单位矩阵" in result.output


def test_gradescope_and_junit_files(runner, kit_root, pristine_stubs, tmp_path):
    solutions = str(kit_root / "solutions")
    gradescope = tmp_path / "results.json"
    result = runner.invoke(
        main,
        [
            "exercise",
            "2",
            "--submission",
            solutions,
            "--format",
            "gradescope",
            "--output",
            str(gradescope),
        ],
    )
    assert result.exit_code == 0
    results = json.loads(gradescope.read_text())
    assert results["score"] == results["max_score"] == 14
    assert {"name", "score", "max_score", "status", "output", "visibility"} <= set(
        results["tests"][0]
    )
    junit = tmp_path / "junit.xml"
    runner.invoke(
        main,
        [
            "exercise",
            "2",
            "--submission",
            str(pristine_stubs),
            "--format",
            "junit",
            "--output",
            str(junit),
        ],
    )
    suite = ElementTree.parse(junit).getroot()
    assert suite.tag == "testsuite" and int(suite.get("tests")) == len(suite.findall("testcase"))
    assert int(suite.get("failures")) == len(suite.findall("testcase"))


def test_exercise_not_built_yet_says_so(runner, monkeypatch):
    import dataclasses

    from grader.course import registry

    listed = registry.exercises()
    unbuilt = tuple(dataclasses.replace(e, available=e.number != 13) for e in listed)
    monkeypatch.setattr(registry, "exercises", lambda: unbuilt)
    result = runner.invoke(main, ["exercise", "13"])
    assert result.exit_code == 2
    assert "not available yet" in result.output


def test_unknown_exercise_is_a_usage_error(runner):
    result = runner.invoke(main, ["exercise", "42"])
    assert result.exit_code == 2
    assert "there is no exercise 42" in result.output


def test_list_shows_every_exercise(runner, pristine_stubs):
    result = runner.invoke(main, ["list", "--submission", str(pristine_stubs)])
    assert result.exit_code == 0
    assert "Tensors and labels" in result.output and "ready" in result.output
    assert result.output.count("ex1") >= 6


def test_selfcheck_one_exercise(runner):
    result = runner.invoke(main, ["selfcheck", "2"])
    assert result.exit_code == 0, result.output
    assert "ok" in result.output and "solution 14/14, stub 0" in result.output


def test_data_lists_every_dataset_and_where_it_was_found(runner):
    result = runner.invoke(main, ["data"])
    assert result.exit_code == 0, result.output
    for name in ("mnist", "fashion_mnist", "cifar10", "boston_housing"):
        assert name in result.output
    assert "checksum ok" in result.output


def test_a_missing_dataset_fails_the_capstone_with_a_plain_message(
    runner, kit_root, tmp_path, monkeypatch
):
    from grader.engine import data

    monkeypatch.delenv("NNLAB_DATA_DIR")
    monkeypatch.setattr(data, "KIT_CACHE", tmp_path / "kit")
    monkeypatch.setattr(data, "DEBIAN_DATASETS", tmp_path / "debian")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    result = runner.invoke(
        main,
        [
            "exercise",
            "15",
            "--submission",
            str(kit_root / "solutions"),
            "--format",
            "json",
            "--data-dir",
            str(tmp_path / "empty"),
        ],
    )
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["score"] == 0
    message = report["checks"][0]["message"]
    assert "fashion_mnist dataset was not found" in message and "apt-get install" in message
    assert "internal error" not in result.output
