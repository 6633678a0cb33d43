"""nnlab's grader: runs hidden checks on a learner's NumPy exercises."""

__version__ = "0.1.0"
