"""Exercise 2, hostile: flood the class's reports with huge, control-laden messages.

The worker's own message cap lives in the worker, which learner code controls:
this module replaces the worker's error reporter so that every failure sends
back a message just under the wire's header limit, full of terminal escapes
and characters XML forbids. The grader must cap and clean what it keeps.
"""

import sys

_worker = sys.modules["__main__"]
_FLOOD = ("\x1b[2J\x00\x07\x0bA" * 40_000)[:900_000]


def _flood(error, module_files):
    return {"type": "ValueError", "message": _FLOOD, "where": [_FLOOD[:50_000]] * 5}


_worker._error_payload = _flood


def _fail(*_args):
    raise ValueError("flooded")


step = relu = sigmoid = tanh = _fail
relu_backward = sigmoid_backward = tanh_backward = _fail
