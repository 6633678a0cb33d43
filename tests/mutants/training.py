"""Known-wrong variants of exercises 9-11 (optimizers, linear regression, two-layer net)."""

from mutants.mutant import Mutant

MUTANTS: list[Mutant] = []
