"""`grade selfcheck`: prove each exercise's checks can pass and can fail.

For every available exercise: the reference solutions must earn full marks,
the untouched stubs must earn zero on every check, and the registry's points
must equal the checks' points. The stubs graded are generated from the
solutions (grader.course.stubs), not read from exercises/, which may hold a
maintainer's own work; tests/course/test_stubs.py keeps the committed stubs in step.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

from grader.course.paths import KIT_ROOT
from grader.course.registry import Exercise, exercises, get_exercise
from grader.course.stubs import make_stub
from grader.engine.grade import grade
from grader.engine.submission import builds_on
from grader.messages import text


@dataclass
class SelfcheckResult:
    """One exercise's selfcheck: problems is empty when it is healthy."""

    exercise: Exercise
    solution_score: float = 0.0
    stub_score: float = 0.0
    max_score: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the exercise has no problems."""
        return not self.problems


def selfcheck_exercise(number: int, root: Path = KIT_ROOT) -> SelfcheckResult:
    """Selfcheck one exercise of the kit at `root`; returns its SelfcheckResult."""
    exercise = get_exercise(number)
    result = SelfcheckResult(exercise)
    if not exercise.check_file.is_file():
        result.problems.append(f"no hidden checks: {exercise.check_file.name} does not exist")
        return result
    solution = grade(number, root / "solutions")
    source = (root / "solutions" / exercise.filename).read_text("utf-8")
    with tempfile.TemporaryDirectory(prefix="nnlab-stub-") as folder:
        (Path(folder) / exercise.filename).write_text(make_stub(source), "utf-8")
        # The exercises it builds on are the references: the stub must fail on its own.
        for earlier in builds_on(exercise):
            name = get_exercise(earlier).filename
            shutil.copy(root / "solutions" / name, Path(folder) / name)
        stub = grade(number, Path(folder))
    result.solution_score, result.stub_score = solution.score, stub.score
    result.max_score = solution.max_score
    for check in solution.checks:
        if check.status != "passed" and not check.optional_not_run:
            result.problems.append(f"solution fails {check.name}: {check.message.splitlines()[0]}")
    for check in stub.checks:
        if check.status == "passed":
            result.problems.append(f"the stub passes {check.name}: that check cannot fail")
    if solution.max_score != exercise.points:
        result.problems.append(
            f"registry says {exercise.points} points, the checks add up to {solution.max_score:g}"
        )
    written = [any(h.strip() for h in exercise.hints_in(lang)) for lang in ("en", "zh")]
    if not all(written):
        result.problems.append("missing hints (English and Chinese)")
    return result


def missing_instructor_kit(root: Path = KIT_ROOT) -> str:
    """A plain message when `root` is a student release (no solutions/), else ""."""
    if (root / "solutions").is_dir():
        return ""
    return (
        "grade selfcheck needs the instructor kit: it grades the reference solutions in "
        f"solutions/, and {root} is a student release without them"
    )


def available_numbers() -> list[int]:
    """Numbers of the exercises whose checks exist."""
    return [e.number for e in exercises() if e.available]


def print_selfcheck(numbers: Iterable[int] = (), lang: str = "en") -> bool:
    """Selfcheck exercises `numbers` (all available ones when empty), printing a line per
    exercise in `lang` (ok or FAIL, its title, the solution's and the stub's score) and
    each problem below it.

    Returns:
    - True when every exercise is healthy. Raises UnknownExercise or runner.NotAvailable
      for a number that cannot be graded (after printing the ones before it).
    """
    console = Console()
    healthy = True
    for number in list(numbers) or available_numbers():
        result = selfcheck_exercise(number)
        mark = (
            f"[green]{text('selfcheck_ok', lang)}[/]"
            if result.ok
            else f"[red]{text('selfcheck_failed', lang)}[/]"
        )
        line = text(
            "selfcheck_line",
            lang,
            mark=mark,
            number=f"{number:2d}",
            title=result.exercise.title_in(lang),
            solution=f"{result.solution_score:g}",
            max_score=f"{result.max_score:g}",
            stub=f"{result.stub_score:g}",
        )
        console.print(line)
        for problem in result.problems:
            console.print(f"     - {problem}", markup=False)
        healthy &= result.ok
    return healthy
