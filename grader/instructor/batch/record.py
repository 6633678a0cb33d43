"""One student's record of a batch: what `grade batch` writes to OUT/<student>/report.json.

The record is written as soon as the student is graded and read back when a
batch resumes, so its JSON form (`to_dict`, `from_dict`) keeps the fields,
their order and their values exactly as earlier versions wrote them: a batch
folder written before still resumes. Each exercise's report stays the
engine's JSON form (Report.to_dict), which the class files read.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

GRADED, ERROR = "graded", "error"


@dataclass
class StudentRecord:
    """A student's record: the requested exercises' reports, the scores and the status.

    - student: the student's name, exactly as discovered (any characters).
    - submission_hash: sha256 of the snapshot graded (submissions.snapshot_hash).
    - grader_version: the version and code fingerprint of the grader that graded it.
    - status: "graded", or "error" when the submission could not be graded in full.
    - error: why not, in plain words ("" when graded).
    - notice: a remark that is not an error ("no exercise modules found").
    - score, max_score: the sums over the requested exercises (one without a report
      counts 0 of its registry points).
    - duration_s: the grading time, seconds.
    - exercises_requested: the exercise numbers the batch asked for, in order.
    - exercises: each graded exercise's report (Report.to_dict), the requested ones
      first, then any graded by an earlier batch and kept for later ones.
    """

    student: str
    submission_hash: str = ""
    grader_version: str = ""
    status: str = GRADED
    error: str = ""
    notice: str = ""
    score: float = 0.0
    max_score: float = 0.0
    duration_s: float = 0.0
    exercises_requested: list[int] = field(default_factory=list)
    exercises: list[dict] = field(default_factory=list)

    @property
    def graded(self) -> bool:
        """True when the submission was graded (whatever its score)."""
        return self.status == GRADED

    def reports_by_number(self) -> dict[int, dict]:
        """Each exercise's report in the record, by exercise number."""
        return {report["exercise"]: report for report in self.exercises}

    def to_dict(self) -> dict:
        """The record as report.json holds it: every field, in the order above."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> StudentRecord:
        """A record from its JSON form (`to_dict`, or report.json as an earlier version wrote it).

        Fields it lacks take their defaults and keys it does not know are ignored;
        numbers are kept as they are (an int stays an int), so `to_dict` gives the
        same JSON back. Raises ValueError when `data` is not a record (a field of the
        wrong type: a damaged or foreign file).
        """
        if not isinstance(data, dict):
            raise ValueError(f"a student record is a JSON object, not {type(data).__name__}")
        values = {}
        for item in dataclasses.fields(cls):
            if item.name in data:
                values[item.name] = _checked(item.name, data[item.name])
        if "student" not in values:
            values["student"] = ""
        return cls(**values)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# What each field of report.json must hold.
_VALID = {
    "score": _is_number,
    "max_score": _is_number,
    "duration_s": _is_number,
    "exercises_requested": lambda value: (
        isinstance(value, list)
        and all(isinstance(n, int) and not isinstance(n, bool) for n in value)
    ),
    "exercises": lambda value: (
        isinstance(value, list)
        and all(isinstance(report, dict) and "exercise" in report for report in value)
    ),
}


def _checked(name: str, value: object) -> object:
    """`value` of field `name` (a copy of a list), or ValueError when it is the wrong type."""
    valid = _VALID.get(name, lambda value: isinstance(value, str))
    if not valid(value):
        raise ValueError(f"a student record's {name!r} cannot be {value!r:.80}")
    return list(value) if isinstance(value, list) else value
