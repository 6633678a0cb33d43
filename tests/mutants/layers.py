"""Known-wrong variants of exercises 4-8 (dense, convolution, pooling, conv backprop, dropout)."""

from mutants.mutant import Mutant

MUTANTS: list[Mutant] = []
