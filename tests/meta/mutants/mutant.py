"""What a mutant is: the reference with one textual change that makes it wrong."""

from typing import NamedTuple


class Mutant(NamedTuple):
    """One deliberately wrong variant of a reference solution.

    exercise: the exercise number; mistake: what it gets wrong (the test id);
    old: text that occurs exactly once in the solution; new: its replacement.
    """

    exercise: int
    mistake: str
    old: str
    new: str
