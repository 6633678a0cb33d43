"""Known-wrong variants of the reference solutions: each must lose points.

A mutant is the reference with one textual change. tests/meta/test_mutants.py
checks that the text really is in the solution (so a mutant cannot silently
become a no-op), grades the mutated module, and expects lost points.
"""

from mutants import (
    basics,
    capstones,
    classifiers,
    contracts,
    gan,
    gan_capstone,
    layers,
    recurrent,
    sequences,
    training,
)
from mutants.mutant import Mutant

MUTANTS: list[Mutant] = [
    *basics.MUTANTS,
    *classifiers.MUTANTS,
    *layers.MUTANTS,
    *training.MUTANTS,
    *recurrent.MUTANTS,
    *capstones.MUTANTS,
    *sequences.MUTANTS,
    *gan.MUTANTS,
    *gan_capstone.MUTANTS,
    *contracts.MUTANTS,
]
