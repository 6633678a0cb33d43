"""Red team, the grader's own memory and outputs: whatever a worker sends, the
grader reads a bounded amount, keeps a bounded, clean message per check, and
survives sources that break Python's parser.

Each case runs `grade exercise 2` as a real process (the CLI a student and
Gradescope run) and measures that process's own peak memory (tests/peak.py).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

import pytest
from peak import run_measured
from scene import KIT_ROOT, REDTEAM

from grader.course.registry import get_exercise
from grader.engine.collector import MAX_MESSAGE_CHARS

# The attack may cost the grader at most this much more memory than grading the
# reference does (the reply cap is 64 MiB; an unbounded grader took gigabytes).
EXTRA_PEAK_BYTES = 200 * 2**20
GRADE_TIMEOUT_S = 600
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def grade(folder: Path, wall: str) -> tuple[int, dict, int, str]:
    """Run `grade exercise 2 --format json` on `folder`; return (exit code, JSON report,
    the grader process's own peak RSS in bytes, its stderr)."""
    env = dict(os.environ, NNLAB_ISOLATION=wall)
    command = [sys.executable, "-m", "grader.cli", "exercise", "2", "--submission", str(folder)]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        code, peak = run_measured([*command, "--format", "json"], env, out, err, GRADE_TIMEOUT_S)
        out.seek(0)
        err.seek(0)
        text = err.read().decode("utf-8", "replace")
        return code, json.loads(out.read()), peak, text


def _submit(tmp_path: Path, module: str) -> Path:
    folder = tmp_path / module
    folder.mkdir()
    shutil.copy(REDTEAM / f"{module}.py", folder / get_exercise(2).filename)
    return folder


@pytest.fixture(scope="module")
def honest_peak(tmp_path_factory) -> int:
    """The grader's peak memory grading the reference of exercise 2."""
    code, report, peak, _ = grade(KIT_ROOT / "solutions", "bwrap")
    assert code == 0 and report["score"] == report["max_score"]
    return peak


@pytest.mark.parametrize("wall", ["bwrap", "rlimits"])
def test_a_huge_reply_is_refused_before_the_grader_reads_it(tmp_path, wall, honest_peak):
    code, report, peak, err = grade(_submit(tmp_path, "huge_reply"), wall)
    assert code == 1 and "Traceback" not in err, err
    assert report["score"] == 0
    assert "over the limit" in json.dumps(report)
    assert peak < honest_peak + EXTRA_PEAK_BYTES, f"grader peak {peak / 2**20:.0f} MiB"
    print(f"grader peak: {peak / 2**20:.0f} MiB (reference: {honest_peak / 2**20:.0f} MiB)")


@pytest.mark.parametrize("wall", ["bwrap", "rlimits"])
def test_a_message_flood_is_capped_and_cleaned(tmp_path, wall, honest_peak):
    code, report, peak, err = grade(_submit(tmp_path, "message_flood"), wall)
    assert code == 1 and "Traceback" not in err, err
    assert report["score"] == 0
    for check in report["checks"]:
        assert len(check["message"]) <= MAX_MESSAGE_CHARS + 2000  # + hints and the cut mark
        assert not CONTROL.search(check["message"]), repr(check["message"][:200])
    assert len(json.dumps(report)) < 200_000
    assert peak < honest_peak + EXTRA_PEAK_BYTES


def test_a_source_that_breaks_the_parser_is_a_plain_failure(tmp_path):
    folder = tmp_path / "bomb"
    folder.mkdir()
    source = "import numpy as np\nX = " + "+".join(["1"] * 100_000) + "\n"
    (folder / get_exercise(2).filename).write_text(source, "utf-8")
    code, report, _, err = grade(folder, "bwrap")
    assert code == 1 and "Traceback" not in err, err
    assert report["score"] == 0
    assert "could not be imported" in report["checks"][0]["message"]
