"""Usage errors and early answers of the real `grade` command (a subprocess).

What can be refused is refused at once, before TensorFlow's import starts: an
unknown exercise, a --submission that is missing or a file, a folder option
that names a file, an --output that cannot be written. A module that does not
compile is reported without TensorFlow and without a worker. `--lang` works on
every command, and an NNLAB_LANG nnlab does not speak is a warning, not an error.

"Before TensorFlow" is tested structurally: PROBE runs `grade` in a Python that
records whether TensorFlow's warm-up was asked for and whether a worker started.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from grade_cli import GRADE, KIT_ROOT, grade_env

from grader.cli import main
from grader.course.registry import exercises

TIMEOUT_S = 300

PROBE = """
import json, sys
from grader.engine import oracles
from grader.sandbox import client

seen = []
warm_up = oracles.warm_up


def watched_warm_up():
    seen.append("tensorflow warm-up")
    warm_up()


class Worker(client._Worker):
    def __init__(self, *args, **kwargs):
        seen.append("worker")
        super().__init__(*args, **kwargs)


oracles.warm_up = watched_warm_up
client._Worker = Worker
from grader.cli import main

code = 0
try:
    main(sys.argv[2:], prog_name="grade")
except SystemExit as done:
    code = done.code
with open(sys.argv[1], "w") as out:
    json.dump({"code": code, "seen": seen, "tensorflow": "tensorflow" in sys.modules}, out)
"""


def grade(*args: str, cwd: Path | None = None, **env: str) -> subprocess.CompletedProcess:
    """Run the real `grade` console script with `args`; output captured as text."""
    return subprocess.run(
        [str(GRADE), *args],
        cwd=cwd,
        env=grade_env(**env),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )


def probe(tmp_path: Path, *args: str, cwd: Path | None = None) -> tuple[dict, str]:
    """Run `grade args` under PROBE: ({"code", "seen", "tensorflow"}, its output)."""
    record = tmp_path / f"probe-{len(list(tmp_path.glob('probe-*')))}.json"
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(record), *args],
        cwd=cwd,
        env=grade_env(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )
    assert record.exists(), done.stdout + done.stderr
    return json.loads(record.read_text()), done.stdout + done.stderr


def assert_refused_early(result: dict, output: str, code: int = 2) -> None:
    """The command ended with `code` before TensorFlow or a worker, without a traceback."""
    assert result["code"] == code, output
    assert result["seen"] == [] and not result["tensorflow"], (result, output)
    assert "Traceback" not in output, output


def known_numbers() -> list[int]:
    return [e.number for e in exercises()]


@pytest.fixture
def a_file(tmp_path) -> Path:
    path = tmp_path / "afile.py"
    path.write_text("x = 1\n")
    return path


# ---------------------------------------------------------------- --submission (item 5)


@pytest.mark.parametrize(
    "command", [["exercise", "1"], ["list"], ["hint", "1"], ["reset", "1"], ["watch", "1"]]
)
def test_a_submission_that_is_missing_or_a_file_is_a_usage_error(tmp_path, a_file, command):
    for bad in (tmp_path / "missing", a_file):
        result = grade(*command, "--submission", str(bad), cwd=tmp_path)
        assert result.returncode == 2, result.stdout + result.stderr
        errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
        assert len(errors) == 1 and "'--submission'" in errors[0], result.stderr
        assert "Traceback" not in result.stderr and result.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile.py"], "nothing was written"


def test_a_bad_submission_is_refused_before_tensorflow(tmp_path, a_file):
    for bad in (tmp_path / "missing", a_file):
        result, output = probe(tmp_path, "exercise", "1", "--submission", str(bad))
        assert_refused_early(result, output)
        assert "Invalid value for '--submission'" in output


def test_folder_options_that_name_a_file_are_usage_errors(tmp_path, a_file):
    for args in (
        ["exercise", "1", "--data-dir", str(a_file)],
        ["exercise", "1", "--report-dir", str(a_file)],
        ["exercise", "1", "--report-dir", str(a_file / "plots")],
        ["data", "--data-dir", str(a_file)],
        ["batch", str(tmp_path), "--data-dir", str(a_file)],
    ):
        result, output = probe(tmp_path, *args)
        assert_refused_early(result, output)
        assert "Invalid value for '--" in output and "is a file" in output, (args, output)


# ---------------------------------------------------------------- --output (item 6)


def test_output_into_missing_folders_makes_them(tmp_path):
    target = tmp_path / "reports" / "ci" / "ex01.json"
    result = grade(
        "exercise",
        "1",
        "--submission",
        str(KIT_ROOT / "solutions"),
        "--format",
        "json",
        "--output",
        str(target),
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(target.read_text("utf-8"))["score"] == 12
    assert [p.name for p in target.parent.iterdir()] == ["ex01.json"], "no partial file left"


def test_output_that_cannot_be_written_is_refused_before_grading(tmp_path, a_file):
    for target in (a_file / "report.json", a_file / "sub" / "report.json"):
        result, output = probe(tmp_path, "exercise", "1", "--output", str(target))
        assert_refused_early(result, output)
        lines = output.strip().splitlines()
        assert lines == [
            f"Error: cannot write the report to {target}: {a_file} is a file, not a folder"
        ], output


def test_a_write_that_fails_after_grading_is_one_line_and_exit_2(tmp_path):
    # /proc looks writable to root, but nothing can be made in it.
    folder = tmp_path / "syntax"
    folder.mkdir()
    (folder / "ex01_tensors.py").write_text("def one_hot(labels:\n    pass\n")
    target = Path("/proc") / f"nnlab-test-{os.getpid()}" / "report.xml"
    result = grade(
        "exercise", "1", "--submission", str(folder), "--format", "junit", "--output", str(target)
    )
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: cannot write the report to {target}: ")
    assert not target.parent.exists()


# ---------------------------------------------------------------- languages and numbers (item 7)


def test_every_command_takes_lang():
    for name in main.commands:
        result = grade(name, "--lang", "zh", "--help")
        assert result.returncode == 0, (name, result.stderr)
        assert "--lang [en|zh]" in result.stdout, name


def test_lang_after_the_command_is_used(tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "ex01_tensors.py").write_text("def one_hot(labels:\n    pass\n")
    result = grade("exercise", "1", "--submission", str(broken), "--lang", "zh")
    assert result.returncode == 1, result.stderr
    assert (
        "得分：0/12" in result.stdout and "ex01_tensors.py 第 1 行：SyntaxError：" in result.stdout
    )
    listing = grade("list", "--submission", str(broken), "--lang", "zh")
    assert listing.returncode == 0 and "nnlab 练习" in listing.stdout, listing.stderr
    english = grade("--lang", "zh", "list", "--submission", str(broken), "--lang", "en")
    assert "nnlab exercises" in english.stdout, "the command's own --lang wins"


def test_an_unknown_nnlab_lang_is_a_warning_and_english_is_used(tmp_path):
    result = grade("list", "--submission", str(KIT_ROOT / "solutions"), NNLAB_LANG="fr")
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "NNLAB_LANG=fr is not a language nnlab has: en, zh; using en"
    assert "nnlab exercises" in result.stdout
    chosen = grade("list", "--lang", "zh", "--submission", str(tmp_path), NNLAB_LANG="fr")
    assert chosen.stderr == "" and "nnlab 练习" in chosen.stdout, "--lang given: no warning"
    typed = grade("--lang", "fr", "list")
    assert typed.returncode == 2 and "Invalid value for '--lang'" in typed.stderr


def test_an_exercise_selection_names_what_does_not_exist_as_ranges(tmp_path):
    numbers = sorted(known_numbers())  # the course order is not the numbers' order
    first, last = numbers[0], numbers[-1]
    assert numbers == list(range(first, last + 1)), "the sentence below assumes no gaps"
    result = grade("batch", str(tmp_path), "--exercises", "1-99")
    assert result.returncode == 2
    assert f"exercises {last + 1}-99 do not exist; there are {first}-{last}" in result.stderr
    assert f"{last + 2}, {last + 3}" not in result.stderr
    single = grade("batch", str(tmp_path), "--exercises", f"1,{last + 5}")
    assert f"exercise {last + 5} does not exist; there are {first}-{last}" in single.stderr
    huge = grade("batch", str(tmp_path), "--exercises", "1-1000000000000")
    assert huge.returncode == 2 and f"exercises {last + 1}-1000000000000 do not" in huge.stderr


def test_an_unknown_exercise_is_refused_before_tensorflow(tmp_path):
    absent = known_numbers()[-1] + 84
    result, output = probe(tmp_path, "exercise", str(absent))
    assert_refused_early(result, output)
    assert f"there is no exercise {absent}" in output


# ---------------------------------------------------------------- syntax errors (item 11)


def _broken_solution(folder: Path, name: str) -> int:
    """Copy the solution `name` into `folder` with `def` of its second function broken;
    returns the broken line's number."""
    lines = (KIT_ROOT / "solutions" / name).read_text("utf-8").splitlines()
    defs = [i for i, line in enumerate(lines) if line.startswith("def ")]
    lines[defs[1]] = lines[defs[1]].replace("(", "((", 1)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("\n".join(lines) + "\n", "utf-8")
    return defs[1] + 1


def test_a_syntax_error_is_reported_at_once_and_recorded_as_a_zero(tmp_path):
    learner = tmp_path / "learner"
    line = _broken_solution(learner, "ex01_tensors.py")
    code = (learner / "ex01_tensors.py").read_text("utf-8").splitlines()[line - 1]
    result, output = probe(tmp_path, "exercise", "1", cwd=learner)
    assert_refused_early(result, output, code=1)
    assert f"ex01_tensors.py, line {line}: SyntaxError: " in output
    shown = output.splitlines()
    at = shown.index(f"    {code}")
    assert shown[at + 1].strip().startswith("^"), "Python's caret under the code"
    assert "Score: 0/12" in output
    progress = json.loads((learner / ".nnlab-progress.json").read_text("utf-8"))
    assert progress["exercises"]["1"] == {
        "best_score": 0.0,
        "max_score": 12.0,
        "passed": False,
        "hints_revealed": 0,
    }


def test_a_syntax_error_beside_a_capstone_is_reported_without_a_worker(tmp_path):
    submission = tmp_path / "capstone"
    submission.mkdir()
    for record in exercises():
        if record.number <= 9 or record.number == 12:
            source = KIT_ROOT / "solutions" / record.filename
            (submission / record.filename).write_bytes(source.read_bytes())
    line = _broken_solution(submission, "ex04_dense.py")
    result, output = probe(tmp_path, "exercise", "12", "--submission", str(submission))
    assert_refused_early(result, output, code=1)
    assert f"ex04_dense.py, line {line}: SyntaxError: " in output


def test_an_unknown_exercise_is_said_in_the_learners_language():
    result = grade("exercise", "99", "--lang", "zh")
    assert result.returncode == 2 and "没有练习 99；课程中的练习是 1-" in result.stderr
    result = grade("hint", "42", NNLAB_LANG="zh")
    assert result.returncode == 2 and "没有练习 42" in result.stderr
