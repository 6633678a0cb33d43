"""Grading for a learner: the engine's grading, with the hints they revealed and their score kept.

What `grade exercise`, `grade watch` and a notebook's `check()` grade with.
"""

from __future__ import annotations

import sys
from pathlib import Path

from grader.engine.grade import grade
from grader.engine.report import Report
from grader.engine.runner import GradingOptions
from grader.learner.progress import Progress, learner_folder
from grader.messages import translate


def grade_and_record(
    number: int,
    submission: Path | None = None,
    options: GradingOptions | None = None,
    record: bool = True,
) -> Report:
    """Grade exercise `number` for a learner: the engine's report, plus their progress.

    Inputs:
    - number, submission, options: as for grader.engine.grade.grade.
    - record: keep the score in the progress file of the learner's folder.

    Returns the Report, its hint being every hint revealed so far and the one
    that belongs to what failed (at least the first; report.choose_hints), in
    the options' language. A progress file that cannot be read or written is
    reported on stderr; grading never fails because of it.
    """
    folder = learner_folder(submission)
    revealed = Progress.load(folder).get(number).hints_revealed
    report = grade(number, submission, options, hints_revealed=revealed)
    # Read again: `grade hint` may have revealed a hint while a long grading ran.
    progress = Progress.load(folder)
    if progress.warning:
        print(translate(progress.warning, report.lang), file=sys.stderr)
    if record and folder.is_dir():
        progress.record(report)
        try:
            progress.save()
        except OSError as error:
            print(error, file=sys.stderr)
    return report
