"""Where the kit's parts are: one definition for every module that needs a path.

- KIT_ROOT: the checkout (or release) holding `grader/`, `exercises/`, `solutions/`.
- PACKAGE: the `grader` package folder.
- CHECKS: the folder of check files (`grader/checks/`).
- PRISTINE: the untouched stubs a release ships for `grade reset`.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent
KIT_ROOT = PACKAGE.parent
CHECKS = PACKAGE / "checks"
PRISTINE = PACKAGE / "pristine"
TRAINER_SCRIPT = PACKAGE / "sandbox" / "trainer.py"


def solutions_folder(root: Path = KIT_ROOT) -> Path:
    """The reference solutions' folder of the kit at `root` (absent in a student release)."""
    return root / "solutions"


def solutions_path(filename: str, root: Path = KIT_ROOT) -> Path:
    """The path of the kit's reference solution module `filename` (e.g. "ex01_tensors.py")."""
    return solutions_folder(root) / filename


def kit_exercises() -> Path:
    """The kit's own `exercises/` folder (the stubs a learner edits in a checkout)."""
    return KIT_ROOT / "exercises"
