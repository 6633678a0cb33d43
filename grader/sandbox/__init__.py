"""The sandbox: learner code runs in a worker process and only computes."""

from grader.sandbox.client import (
    Budget,
    BudgetSpent,
    ForbiddenImport,
    LearnerCrashed,
    LearnerError,
    LearnerProblem,
    LearnerProxy,
    LearnerTimeout,
    Limits,
    NotImplementedYet,
)
from grader.sandbox.isolation import SandboxUnavailable

__all__ = [
    "Budget",
    "BudgetSpent",
    "ForbiddenImport",
    "LearnerCrashed",
    "LearnerError",
    "LearnerProblem",
    "LearnerProxy",
    "LearnerTimeout",
    "Limits",
    "NotImplementedYet",
    "SandboxUnavailable",
]
