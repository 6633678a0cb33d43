"""Gradescope's autograder layout: where the submission is, where the results go.

Gradescope runs `run_autograder` on a machine where /autograder holds the
student's files in `submission/` and expects `results/results.json`. Inside
that layout `grade exercise N --format gradescope`, given no --submission and
no --output, grades the submission and writes the results there. The root can
be moved with NNLAB_AUTOGRADER_ROOT (tests use a temporary folder).
"""

from __future__ import annotations

import os
from pathlib import Path

from grader.course.registry import Exercise, get_exercise
from grader.engine.submission import MissingSubmission, module_path

ROOT_ENV = "NNLAB_AUTOGRADER_ROOT"
DEFAULT_ROOT = Path("/autograder")
SEARCH_DEPTH = 3  # a zip's top folder, then exercises/: deeper is not a layout we know


def autograder_root() -> Path | None:
    """The Gradescope layout's root folder, or None when this machine has none."""
    root = Path(os.environ.get(ROOT_ENV) or DEFAULT_ROOT)
    return root if root.is_dir() else None


def autograder_paths(number: int) -> tuple[Path, Path] | None:
    """Where to grade exercise `number` inside Gradescope's layout, if there is one.

    Returns:
    - (the submission folder to grade, the results.json path to write; its folder is
      created), or None outside the layout. Raises UnknownExercise for an unknown number.
    """
    root = autograder_root()
    if root is None:
        return None
    results = root / "results" / "results.json"
    results.parent.mkdir(parents=True, exist_ok=True)
    return submission_folder(root / "submission", get_exercise(number)), results


def submission_folder(submission: Path, exercise: Exercise) -> Path:
    """The folder holding `exercise`'s module in a Gradescope submission.

    Students upload their files at the top, under exercises/, or as a zip whose
    single top folder holds them; the shallowest copy of the module is graded.
    When there is none, `submission` itself is returned (and grading says so plainly).
    """
    try:
        module_path(submission, exercise)  # at its top or under exercises/: grade it as it is
        return submission
    except MissingSubmission:
        pass
    found = []
    for folder, subfolders, files in os.walk(submission):  # symbolic links are not followed
        depth = len(Path(folder).relative_to(submission).parts)
        if exercise.filename in files:
            found.append((depth, folder))
        if depth >= SEARCH_DEPTH:
            subfolders.clear()
    return Path(min(found)[1]) if found else submission
