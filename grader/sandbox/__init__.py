"""The sandbox: learner code runs in a worker process and only computes.

It imports nothing from the rest of grader; what it needs of the kit, its
caller gives it:

- the policy: `LearnerProxy(..., forbidden=..., protect=...)` takes the
  top-level modules learner code may not import (the worker blocks exactly
  those) and the folders its import path may not reach (the grader's package
  and the reference solutions); the engine passes grader.engine.policy's.
- the words: every sentence the sandbox tells a learner is a key of the kit's
  catalogue (grader.messages) and its fields. A LearnerProblem keeps them
  (`.key`, `.fields`) and str() words them with the wording installed by
  `wording.set_wording`, which importing grader.engine does once with
  `messages.text`. Reports keep that English; the learner's screen translates
  it (messages.translate). With no wording installed a sentence reads as its
  key and fields.

The names below are loaded on first use, so that importing one light module
of the sandbox (wording) does not start NumPy.
"""

from __future__ import annotations

import importlib

_WHERE = {
    "Budget": "client",
    "BudgetSpent": "client",
    "ForbiddenImport": "client",
    "LearnerCrashed": "client",
    "LearnerError": "client",
    "LearnerProblem": "client",
    "LearnerProxy": "client",
    "LearnerTimeout": "client",
    "Limits": "client",
    "NotImplementedYet": "client",
    "SandboxUnavailable": "isolation",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    """One of the names above, from the module that defines it (imported on first use)."""
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
