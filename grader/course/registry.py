"""The exercise registry: `curriculum.toml` parsed into typed records."""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from grader.course.paths import CHECKS

SUPPORTED_FORMAT = 1


@dataclass(frozen=True)
class Exercise:
    """One exercise of the course, as the registry states it."""

    number: int
    slug: str
    title: str
    title_zh: str
    module: str
    functions: tuple[str, ...]
    points: int
    available: bool
    call_timeout_s: float
    time_limit_s: float
    hints: tuple[str, ...]
    hints_zh: tuple[str, ...]
    dataset: str = ""
    accuracy_bar: float = 0.0
    subset_accuracy_bar: float | None = None
    full_training_size: int = 0
    uses: tuple[int, ...] = ()
    """The earlier exercises whose modules this one imports (e.g. 20 uses 2, 4 and 9)."""
    mse_bar: float | None = None
    """Exercise 19's second task: the test mean squared error to stay below."""
    confident_bar: float | None = None
    """Exercise 21: the least share of samples the judge must be sure of."""
    digits_bar: float | None = None
    """Exercise 21: the least effective number of digits among the confident samples."""
    frechet_bar: float | None = None
    """Exercise 21: the Frechet distance to MNIST's test digits to stay below."""
    checks: str = ""
    hint_checks: tuple[tuple[str, ...], ...] = ()
    """For each hint (in order), the checks and named mistakes (catalogue keys) it belongs to."""

    @property
    def is_capstone(self) -> bool:
        """True for the capstones, which train a network on a dataset."""
        return bool(self.dataset)

    def bar_for(self, training_size: int) -> tuple[float, str]:
        """The test-accuracy bar for a training set of this size, and why it applies."""
        if self.subset_accuracy_bar is not None and training_size < self.full_training_size:
            return self.subset_accuracy_bar, (
                f"only {training_size:,} training images were found "
                f"(the full set has {self.full_training_size:,}), so the bar is "
                f"{self.subset_accuracy_bar:.0%} instead of {self.accuracy_bar:.0%}"
            )
        return self.accuracy_bar, f"{training_size:,} training images"

    @property
    def filename(self) -> str:
        """The exercise's module file name, e.g. `ex05_convolution.py`."""
        return f"{self.module}.py"

    @property
    def check_file(self) -> Path:
        """Path of the hidden checks for this exercise."""
        return CHECKS / f"{self.checks or 'test_' + self.module}.py"

    def hints_in(self, lang: str = "en") -> tuple[str, ...]:
        """Every hint of the exercise, in `lang` ("en" or "zh"), in the order they are revealed."""
        return self.hints_zh if lang == "zh" else self.hints

    def hint_text(self, lang: str = "en") -> str:
        """The first hint, in `lang` ("en" or "zh"); empty if there is none."""
        hints = self.hints_in(lang)
        return hints[0] if hints else ""

    def revealed_hints(self, count: int, lang: str = "en") -> tuple[str, ...]:
        """The hints a learner has revealed: the first `count`, at least one, at most all."""
        hints = self.hints_in(lang)
        return hints[: max(1, min(count, len(hints)))]

    def hint_for(self, names: Sequence[str]) -> int | None:
        """The number (from 1) of the hint that belongs to the first of `names` (check names
        without `test_`, or catalogue keys of mistakes) that a hint names; None if none does."""
        for name in names:
            for number, belongs in enumerate(self.hint_checks, start=1):
                if name in belongs and number <= len(self.hints):
                    return number
        return None

    def shown_hints(
        self, revealed: int, belonging: int | None, lang: str = "en", first_by_default=True
    ) -> tuple[str, ...]:
        """The hints a report shows, in order: the first `revealed` and hint number
        `belonging` (None: no hint belongs to what failed); when neither, the first hint
        (or none, if not `first_by_default`)."""
        hints = self.hints_in(lang)
        numbers = set(range(1, min(revealed, len(hints)) + 1))
        if belonging is not None and 1 <= belonging <= len(hints):
            numbers.add(belonging)
        if not numbers and first_by_default:
            numbers = {1}
        return tuple(hints[n - 1] for n in sorted(numbers) if n <= len(hints))

    def title_in(self, lang: str = "en") -> str:
        """The exercise's title in `lang` ("en" or "zh")."""
        return self.title_zh if lang == "zh" else self.title


class UnknownExercise(LookupError):
    """Raised for an exercise number the registry does not list."""


@cache
def exercises() -> tuple[Exercise, ...]:
    """Return every exercise of the registry, in course order (the order of its blocks,
    which is not always the order of the numbers)."""
    text = resources.files("grader.course").joinpath("curriculum.toml").read_text("utf-8")
    data = tomllib.loads(text)
    if data.get("format_version") != SUPPORTED_FORMAT:
        raise ValueError(
            f"curriculum.toml: unsupported format_version {data.get('format_version')}"
        )
    records = []
    for raw in data["exercise"]:
        records.append(
            Exercise(
                number=raw["number"],
                slug=raw["slug"],
                title=raw["title"],
                title_zh=raw["title_zh"],
                module=raw["module"],
                functions=tuple(raw["functions"]),
                points=raw["points"],
                available=raw["available"],
                call_timeout_s=float(raw["call_timeout_s"]),
                time_limit_s=float(raw["time_limit_s"]),
                hints=tuple(raw["hints"]),
                hints_zh=tuple(raw["hints_zh"]),
                dataset=raw.get("dataset", ""),
                accuracy_bar=float(raw.get("accuracy_bar", 0.0)),
                subset_accuracy_bar=raw.get("subset_accuracy_bar"),
                full_training_size=int(raw.get("full_training_size", 0)),
                uses=tuple(raw.get("uses", ())),
                mse_bar=raw.get("mse_bar"),
                confident_bar=raw.get("confident_bar"),
                digits_bar=raw.get("digits_bar"),
                frechet_bar=raw.get("frechet_bar"),
                checks=raw.get("checks", ""),
                hint_checks=tuple(tuple(names) for names in raw.get("hint_checks", [])),
            )
        )
    return tuple(records)


def get_exercise(number: int) -> Exercise:
    """Return the exercise with this number, or raise UnknownExercise."""
    for exercise in exercises():
        if exercise.number == number:
            return exercise
    known = ranges_text(merged_spans([(e.number, e.number) for e in exercises()]))
    raise UnknownExercise(f"there is no exercise {number}; the course has exercises {known}")


def title_of(number: int, lang: str, recorded: str = "") -> str:
    """Exercise `number`'s title in `lang` ("en" or "zh"); `recorded` (the English title a
    report kept when it was graded) for a number the registry no longer has."""
    try:
        return get_exercise(number).title_in(lang)
    except UnknownExercise:
        return recorded


def merged_spans(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The (low, high) `spans` of exercise numbers merged where they overlap or touch, sorted."""
    merged: list[tuple[int, int]] = []
    for low, high in sorted(spans):
        if merged and low <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return merged


def ranges_text(spans: list[tuple[int, int]]) -> str:
    """(low, high) spans as text: "1-15", "3", "1-3, 7"."""
    return ", ".join(str(low) if low == high else f"{low}-{high}" for low, high in spans)
