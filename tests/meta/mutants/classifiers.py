"""Known-wrong variants of exercises 16-17 (k-nearest neighbours, linear classifiers)."""

from mutants.mutant import Mutant

MUTANTS: list[Mutant] = [
    # ------------------------------------------------ 16: k-nearest neighbours
    # ------------------------------------------------ 17: linear classifiers
]
