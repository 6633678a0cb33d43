"""A learner's progress (best score, pass, hints revealed), kept in their folder.

It lives in one small JSON file, `.nnlab-progress.json`, beside the learner's
exercise modules. It is written atomically (a temporary file in the same
folder, then os.replace), so an interrupted write never leaves half a file.
Deleting it only forgets the progress. A file that cannot be read is ignored
with a warning and rewritten at the next save.

Grading with it is grader/learner/grading.py; putting a stub back, reset.py.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING

from grader.course.registry import exercises, get_exercise
from grader.engine.atomic import write_atomically
from grader.engine.submission import default_submission
from grader.messages import text

if TYPE_CHECKING:
    from grader.engine.report import Report

STATE_FILE = ".nnlab-progress.json"
FORMAT_VERSION = 1


class ProgressNotSaved(OSError):
    """The progress file could not be written; the message says which file and why."""


@dataclass
class ExerciseProgress:
    """One exercise's progress: best score so far, whether it passed, hints revealed."""

    best_score: float = 0.0
    max_score: float = 0.0
    passed: bool = False
    hints_revealed: int = 0


class Progress:
    """Every exercise's progress in one learner folder (`load` it, change it, `save` it)."""

    def __init__(self, folder: Path):
        self.path = Path(folder) / STATE_FILE
        self.exercises: dict[int, ExerciseProgress] = {}
        self.warning = ""

    @classmethod
    def load(cls, folder: Path) -> Progress:
        """The progress kept in `folder` (empty when there is none or it cannot be read).

        An unreadable file leaves `warning` set (an English catalogue message).
        """
        progress = cls(folder)
        try:
            raw = progress.path.read_text("utf-8")
        except FileNotFoundError:
            return progress
        except (OSError, UnicodeDecodeError) as error:
            progress.warning = text("progress_unreadable", path=progress.path, error=error)
            return progress
        try:
            progress.exercises = _parse(raw)
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            progress.warning = text("progress_unreadable", path=progress.path, error=error)
        return progress

    def save(self) -> None:
        """Write the file atomically (grader.engine.atomic: a temporary file, then a rename).

        Raises ProgressNotSaved (an OSError naming the file) when it cannot be written.
        """
        data = {
            "format_version": FORMAT_VERSION,
            "exercises": {str(n): asdict(p) for n, p in sorted(self.exercises.items())},
        }
        try:
            write_atomically(self.path, json.dumps(data, indent=2) + "\n")
        except OSError as error:
            raise ProgressNotSaved(f"{self.path}: {error}") from None

    def get(self, number: int) -> ExerciseProgress:
        """Exercise `number`'s progress (a fresh record if it has none yet)."""
        return self.exercises.setdefault(number, ExerciseProgress())

    def record(self, report: Report) -> ExerciseProgress:
        """Keep a graded report's score if it is the best so far; a pass is never lost."""
        entry = self.get(report.exercise)
        entry.best_score = max(entry.best_score, report.score)
        entry.max_score = report.max_score
        entry.passed = entry.passed or report.passed
        return entry

    def reveal_hint(self, number: int, everything: bool = False) -> int:
        """Reveal one more hint of exercise `number` (or all); returns how many are revealed."""
        entry = self.get(number)
        available = len(get_exercise(number).hints)
        wanted = available if everything else max(entry.hints_revealed, 0) + 1
        entry.hints_revealed = min(wanted, available)
        return entry.hints_revealed

    def hide_hints(self, number: int) -> None:
        """Hide exercise `number`'s hints again (the first is always shown with a report)."""
        self.get(number).hints_revealed = 0

    def forget_score(self, number: int) -> None:
        """Start exercise `number` over: not attempted, not passed (hints stay revealed)."""
        entry = self.get(number)
        entry.best_score, entry.max_score, entry.passed = 0.0, 0.0, False

    def next_exercise(self, after: int = 0) -> int | None:
        """The first available exercise not passed yet in course order, after exercise
        `after` (0: from the start) if one is left there, else from the start again.

        Returns None when every available exercise has passed.
        """
        course = [e.number for e in exercises()]
        done = {n for n, entry in self.exercises.items() if entry.passed}
        todo = [n for n in course if get_exercise(n).available and n not in done]
        start = course.index(after) + 1 if after in course else 0
        later = [n for n in todo if course.index(n) >= start]
        return (later or todo or [None])[0]


def _parse(raw: str) -> dict[int, ExerciseProgress]:
    data = json.loads(raw)
    if data.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"unsupported format_version {data.get('format_version')!r}")
    known = {f.name for f in fields(ExerciseProgress)}
    result = {}
    for number, entry in data["exercises"].items():
        values = {k: v for k, v in entry.items() if k in known}
        progress = ExerciseProgress(**values)
        if not all(isinstance(getattr(progress, k), (int, float)) for k in known):
            raise ValueError(f"exercise {number}: values must be numbers")
        result[int(number)] = progress
    return result


def learner_folder(submission: Path | None = None) -> Path:
    """The folder holding the learner's exercise modules (where progress is kept).

    Inputs: submission, as `grade --submission` takes it (None: the default).
    """
    folder = Path(submission) if submission is not None else default_submission()
    nested = folder / "exercises"
    if not any(folder.glob("ex[0-9][0-9]_*.py")) and any(nested.glob("ex[0-9][0-9]_*.py")):
        return nested
    return folder
