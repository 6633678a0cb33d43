"""A learner's folder: their progress (best score, pass, hints revealed), and stubs put back.

It lives in one small JSON file, `.nnlab-progress.json`, beside the learner's
exercise modules. It is written atomically (a temporary file in the same
folder, then os.replace), so an interrupted write never leaves half a file.
Deleting it only forgets the progress. A file that cannot be read is ignored
with a warning and rewritten at the next save.

`grade_and_record` is what the learner's commands (`grade exercise`,
`grade watch`, `check()` in a notebook) grade with: it grades, keeps the best
score, and puts the hints revealed so far into the report. `restore_stub`
puts an exercise's untouched stub back (`grade reset`), keeping the learner's
file.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING

from grader.course.registry import exercises, get_exercise
from grader.course.stubs import pristine_stub
from grader.engine.atomic import write_atomically
from grader.engine.submission import default_submission
from grader.messages import resolve_lang, text, translate

if TYPE_CHECKING:
    from grader.engine.report import Report
    from grader.engine.runner import GradingOptions

STATE_FILE = ".nnlab-progress.json"
FORMAT_VERSION = 1


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
        """Write the file atomically (grader.engine.atomic: a temporary file, then a rename)."""
        data = {
            "format_version": FORMAT_VERSION,
            "exercises": {str(n): asdict(p) for n, p in sorted(self.exercises.items())},
        }
        write_atomically(self.path, json.dumps(data, indent=2) + "\n")

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
        """The first available exercise not passed yet, after `after` if one is left there.

        Returns None when every available exercise has passed.
        """
        done = {n for n, entry in self.exercises.items() if entry.passed}
        todo = [e.number for e in exercises() if e.available and e.number not in done]
        later = [n for n in todo if n > after]
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


def grade_and_record(
    number: int,
    submission: Path | None = None,
    options: GradingOptions | None = None,
    record: bool = True,
) -> Report:
    """Grade exercise `number` for a learner: the runner's report, plus their progress.

    Inputs:
    - number, submission, options: as for grader.engine.runner.grade_exercise.
    - record: keep the score in the progress file of the learner's folder.

    Returns the Report, its hint being every hint revealed so far and the one
    that belongs to what failed (at least the first; report.choose_hints), in
    the options' language. A progress file that cannot be read
    or written is reported on stderr; grading never fails because of it.
    """
    from grader.checks.checking import reproducible_reprs
    from grader.engine.runner import grade_exercise

    lang = resolve_lang(options.lang if options is not None else None)
    with reproducible_reprs():
        report = grade_exercise(number, submission, options)
    progress = Progress.load(learner_folder(submission))
    if progress.warning:
        print(translate(progress.warning, lang), file=sys.stderr)
    if record and progress.path.parent.is_dir():
        progress.record(report)
        try:
            progress.save()
        except OSError as error:
            print(f"{progress.path}: {error}", file=sys.stderr)
    from grader.engine.report import choose_hints

    revealed = progress.get(number).hints_revealed
    report.hint = choose_hints(report, get_exercise(number), revealed, lang)
    report.hints_revealed = revealed
    return report


class ResetRefused(Exception):
    """`grade reset` cannot put a stub back; the message says why (an English catalogue line)."""


@dataclass(frozen=True)
class Restored:
    """What `restore_stub` did.

    - path: the learner's module file.
    - backup: where their previous file was kept (None: there was none, or it was
      already the stub).
    - unchanged: True when the file already was the untouched stub (nothing was written).
    """

    path: Path
    backup: Path | None = None
    unchanged: bool = False


def restore_stub(number: int, submission: Path | None = None) -> Restored:
    """Put the untouched stub of exercise `number` in place of the learner's file.

    Inputs: number; submission, the learner's folder as `grade --submission` takes it.

    The stub comes from grader.course.stubs.pristine_stub (generated from solutions/ in the
    instructor kit, shipped in the package in a release), never from the learner's
    folder, so it works in the kit's own exercises/ too. The learner's file is first
    copied to `<file>.bak-<time>`, and the exercise's best score is forgotten (hints
    stay). Returns a Restored. Raises ResetRefused when there is no stub to put back
    or no folder to put it in.
    """
    exercise = get_exercise(number)
    stub = pristine_stub(exercise.filename)
    if stub is None:
        raise ResetRefused(text("no_stub", number=number, file=exercise.filename))
    folder = learner_folder(submission)
    if not folder.is_dir():
        raise ResetRefused(text("reset_no_folder", folder=folder))
    target = folder / exercise.filename
    backup = None
    if target.exists():
        if target.is_file() and target.read_bytes() == stub.encode("utf-8"):
            return Restored(target, unchanged=True)
        backup = _free_backup_name(target)
        shutil.copy2(target, backup)
    write_atomically(target, stub)
    progress = Progress.load(folder)
    progress.forget_score(number)
    progress.save()
    return Restored(target, backup)


def _free_backup_name(path: Path) -> Path:
    """`<name>.bak-<timestamp>`, numbered when that name is taken."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    candidate = path.with_name(f"{path.name}.bak-{stamp}")
    count = 1
    while candidate.exists():
        count += 1
        candidate = path.with_name(f"{path.name}.bak-{stamp}-{count}")
    return candidate
