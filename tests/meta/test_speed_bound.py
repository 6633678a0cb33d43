"""The vectorisation bound keeps its meaning while the kit gets faster.

A speed check (grader.checks.checking.expect_vectorised) allows a learner's function
SPEED_BOUND times the reference's CPU time on the same inputs. Making one of those
references faster would quietly make the bound stricter for learners: a function that
passed yesterday would fail today. So the references behind the speed checks are pinned
here by the code of their modules (docstrings and comments aside). A change to one of
them fails this test on purpose: measure the new reference against the old on the
check's inputs, and give that check a bound scaled by the speed-up (or keep the old
code as the yardstick), then record the new fingerprint.

Issue 19 made the capstone trainer and other references faster (pooling, relu_backward)
and left these modules as they were.
"""

from __future__ import annotations

import ast
import hashlib

import pytest
from learner_modules import SOLUTIONS

TIMED_REFERENCES = {  # the modules whose functions expect_vectorised times, and their code
    "ex05_convolution": "5503d9915aca29af",
    "ex07_conv_backward": "6cc084451cbb1b56",
    "ex16_knn": "e2767a90b63d7def",
    "ex17_linear_classifiers": "61c8675ce3d4ed58",
}


def code_fingerprint(source: str) -> str:
    """The first 16 hex digits of the SHA-256 of `source`'s syntax tree, docstrings left out."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        first = body[0] if isinstance(body, list) and body else None
        docstring = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
        if docstring and isinstance(first.value.value, str):
            node.body = body[1:] or [ast.Pass()]
    return hashlib.sha256(ast.dump(tree).encode()).hexdigest()[:16]


@pytest.mark.parametrize("module", sorted(TIMED_REFERENCES))
def test_the_references_behind_the_speed_checks_are_unchanged(module):
    got = code_fingerprint((SOLUTIONS / f"{module}.py").read_text("utf-8"))
    assert got == TIMED_REFERENCES[module], (
        f"solutions/{module}.py changed ({got}): its functions are the yardstick of a speed "
        "check. Measure the new reference against the old on that check's inputs and scale "
        "the check's bound by the speed-up (see this module's docstring), then record the "
        "new fingerprint here."
    )


def test_the_fingerprint_ignores_docstrings_and_comments_but_not_code():
    plain = 'def f(x):\n    """Doc."""\n    return x * 2  # twice\n'
    assert code_fingerprint(plain) == code_fingerprint("def f(x):\n    return x * 2\n")
    assert code_fingerprint(plain) != code_fingerprint("def f(x):\n    return x + x\n")
