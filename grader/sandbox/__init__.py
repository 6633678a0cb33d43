"""The sandbox: learner code runs in a worker process and only computes."""

from grader.sandbox.client import (
    ForbiddenImport,
    LearnerCrashed,
    LearnerError,
    LearnerProblem,
    LearnerProxy,
    LearnerTimeout,
    Limits,
    NotImplementedYet,
)

__all__ = [
    "ForbiddenImport",
    "LearnerCrashed",
    "LearnerError",
    "LearnerProblem",
    "LearnerProxy",
    "LearnerTimeout",
    "Limits",
    "NotImplementedYet",
]
