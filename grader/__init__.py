"""nnlab's grader: runs hidden checks on a learner's NumPy exercises.

`from grader import check` gives notebooks `check(5)` (grader.learner.notebook);
it is imported on first use, so `import grader` stays cheap.
"""

__version__ = "0.1.0"
__all__ = ["check"]


def __getattr__(name: str):
    if name == "check":
        from grader.learner.notebook import check

        return check
    raise AttributeError(f"module 'grader' has no attribute {name!r}")
