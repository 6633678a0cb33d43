"""`grade reset`: put an exercise's untouched stub back in the learner's folder.

The learner's own file is kept beside it as `<file>.bak-<time>`, and the
exercise's best score is forgotten (its hints stay revealed).
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from grader.course.registry import get_exercise
from grader.course.stubs import pristine_stub
from grader.engine.atomic import write_atomically
from grader.learner.progress import Progress, learner_folder
from grader.messages import text


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

    def said(self, number: int, lang: str = "en") -> str:
        """What `grade reset NUMBER` tells the learner it did, in `lang`."""
        if self.unchanged:
            return text("reset_already", lang, number=number, file=self.path)
        if self.backup is None:
            return text("reset_fresh", lang, number=number, file=self.path)
        return text("reset_done", lang, number=number, file=self.path, backup=self.backup.name)


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
