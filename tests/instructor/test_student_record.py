"""A student's batch record (StudentRecord): its JSON form is report.json exactly as earlier
versions wrote it, so a batch folder written before still resumes."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from batch_class import EX01
from click.testing import CliRunner

from grader.cli import main
from grader.instructor.batch.record import StudentRecord
from grader.instructor.batch.run import grader_version
from grader.instructor.batch.submissions import Submission, read_submission, snapshot_hash

# OUT/ada/report.json as the grader wrote it before StudentRecord (a dict serialised with
# json.dumps(indent=2, ensure_ascii=False)); the version and hash are filled in per test.
EARLIER_RECORD = """{
  "student": "ada",
  "submission_hash": "@HASH@",
  "grader_version": "@VERSION@",
  "status": "graded",
  "error": "",
  "notice": "",
  "score": 10.0,
  "max_score": 12.0,
  "duration_s": 7.25,
  "exercises_requested": [
    1
  ],
  "exercises": [
    {
      "exercise": 1,
      "title": "Tensors",
      "score": 10.0,
      "max_score": 12.0,
      "duration_s": 6.5,
      "checks": [
        {
          "name": "one_hot_matches_reference",
          "status": "passed",
          "points": 10.0,
          "max_points": 10.0,
          "message": "",
          "visible": true,
          "duration_s": 0.2
        },
        {
          "name": "minibatches_cover_every_index",
          "status": "failed",
          "points": 0.0,
          "max_points": 2.0,
          "message": "batch 2 repeats index 7 (张)",
          "visible": false,
          "duration_s": 0.1
        }
      ],
      "submission": "ada/ex01_tensors.py",
      "isolation": "bubblewrap",
      "forbidden_libraries_reachable": false,
      "limits": {
        "call_timeout_s": 10
      },
      "notice": "",
      "artifacts": [],
      "seed": ""
    }
  ]
}"""


def _earlier(submission_hash: str = "0" * 64, version: str = "0.1.0+abc") -> str:
    return EARLIER_RECORD.replace("@HASH@", submission_hash).replace("@VERSION@", version)


def _written(record: StudentRecord) -> str:
    return json.dumps(record.to_dict(), indent=2, ensure_ascii=False)


def test_a_record_written_earlier_reads_back_and_writes_the_same_bytes():
    text = _earlier()
    record = StudentRecord.from_dict(json.loads(text))
    assert (record.student, record.score, record.max_score, record.graded) == ("ada", 10, 12, True)
    assert record.reports_by_number()[1]["checks"][1]["visible"] is False
    assert _written(record) == text


def test_whole_numbers_stay_whole_and_missing_fields_take_defaults():
    # An unreadable submission's record: sums of nothing are the int 0 and stay so.
    data = {"student": "bo", "status": "error", "error": "x", "score": 0, "max_score": 12}
    record = StudentRecord.from_dict(data)
    assert record.to_dict()["score"] == 0 and type(record.to_dict()["score"]) is int
    assert (record.exercises, record.exercises_requested, record.notice) == ([], [], "")
    assert not record.graded
    assert list(StudentRecord.from_dict({}).to_dict()) == list(record.to_dict())


@pytest.mark.parametrize(
    "damage",
    [
        {"score": "10"},
        {"score": True},
        {"student": 3},
        {"exercises": {"exercise": 1}},
        {"exercises": [{"title": "no number"}]},
        {"exercises_requested": ["1"]},
    ],
)
def test_a_damaged_record_is_refused(damage):
    with pytest.raises(ValueError, match="student record"):
        StudentRecord.from_dict(json.loads(_earlier()) | damage)
    with pytest.raises(ValueError):
        StudentRecord.from_dict(["not", "a", "record"])


def test_a_batch_folder_written_earlier_resumes_without_grading(tmp_path: Path, kit_root):
    """The earlier report.json of a student whose files have not changed is kept as it is:
    the student is skipped (no grading job runs) and the class files carry its scores."""
    submissions, out = tmp_path / "submissions", tmp_path / "out"
    (submissions / "ada").mkdir(parents=True)
    source = (kit_root / "solutions" / EX01).read_text("utf-8")
    (submissions / "ada" / EX01).write_text(source, encoding="utf-8")
    files = read_submission(Submission("ada", submissions / "ada"))
    earlier = _earlier(snapshot_hash(files), grader_version())
    (out / "ada").mkdir(parents=True)
    (out / "ada" / "report.json").write_text(earlier, encoding="utf-8")

    arguments = ["batch", str(submissions), "--exercises", "1", "--out", str(out)]
    result = CliRunner().invoke(main, arguments, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "1 students: 0 graded, 1 already graded (skipped)" in result.output
    assert (out / "ada" / "report.json").read_text("utf-8") == earlier
    with (out / "gradebook.csv").open(encoding="utf-8", newline="") as handle:
        (row,) = csv.DictReader(handle)
    shown = [row[key] for key in ("student", "ex01", "total", "max_score", "status")]
    assert shown == ["ada", "10", "10", "12", "graded"]
