"""The failing call of a check, as Python a learner can paste beside their module.

The `learner` fixture (grader/checks/conftest.py) is a `RecordingLearner`: each
call of one of the module's functions is noted in the check's `CallLog` (the
function's name and a copy of its arguments, taken when the call is made).
When a check fails, the runner asks the log for the call whose result failed
(`CallLog.failing`) and `reproduction` writes it as lines such as

    import numpy as np
    from ex01_tensors import one_hot
    labels = np.array([0, 2])
    num_classes = 3
    one_hot(labels, num_classes)

Each positional argument is named by the learner's own parameter: their
module's source is parsed with `ast` here, never imported (learner code runs
only in the sandbox). Values are written so that they rebuild exactly:
floats by their shortest round-trip repr, arrays with their dtype, a
`numpy.random.Generator` with its state. A call whose arguments cannot be
written as Python (an object of the learner's or of the kit's) has no
reproduction, and neither has a call too large to read. Where there is none,
the report shows the input hypothesis found as text, written with every digit
while grading (`reproducible_reprs`) so that it too rebuilds the input.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import keyword
import pprint
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.sandbox.client import RemoteFunction, RemoteObject

MAX_CHARS = 2400  # a reproduction longer than this is not printed (the message has a cap)
WIDTH = 88
STRICT_FLOATS = '_ = np.seterr(over="raise", divide="raise", invalid="raise")'
PROXY_OPTIONS = frozenset(
    {"obj", "echo_args", "float_errors", "module", "timeout", "on_progress", "timed"}
)
"""Keywords of LearnerProxy.call that configure the call, not the learner's function."""


@dataclass(frozen=True)
class Call:
    """One call of a learner's function: its name, a copy of its arguments (None when
    they could not be copied), and whether NumPy's float warnings were errors."""

    function: str
    args: tuple | None
    kwargs: dict | None
    strict_floats: bool = False


class CallLog:
    """The calls one check made, the last one of each function, in the order made."""

    def __init__(self) -> None:
        self._calls: dict[str, Call] = {}

    def clear(self) -> None:
        """Forget every call (a new check begins)."""
        self._calls.clear()

    def record(self, function: str, args: tuple, kwargs: dict) -> None:
        """Note a call of `function` with `args` and `kwargs` (LearnerProxy.call's options
        among them are taken out), copying the arguments as they are now."""
        options = {k: v for k, v in kwargs.items() if k in PROXY_OPTIONS}
        kwargs = {k: v for k, v in kwargs.items() if k not in PROXY_OPTIONS}
        try:
            args, kwargs = copy.deepcopy((tuple(args), kwargs))
        except Exception:  # noqa: BLE001 -- an argument that cannot be copied cannot be printed
            args = kwargs = None
        strict = options.get("float_errors") == "raise"
        self._calls.pop(function, None)
        self._calls[function] = Call(function, args, kwargs, strict)

    def forget_result_of(self, function: str) -> None:
        """Mark the last call of `function` as not worth reproducing (it made an object
        in the worker, whose methods are called afterwards)."""
        if function in self._calls:
            self._calls[function] = Call(function, None, None)

    def failing(self, message: str) -> Call | None:
        """The call whose result failed: of the functions called, the one the failure
        message names first, else the last call made (None when there was none)."""
        named = []
        for function in self._calls:
            found = re.search(rf"(?<![\w.]){re.escape(function)}(?!\w)", message)
            if found:
                named.append((found.start(), function))
        if named:
            return self._calls[min(named)[1]]
        return next(reversed(self._calls.values()), None)


class RecordingLearner:
    """The learner's module as checks see it (`learner`), each function call noted in `log`.

    `learner.softmax(z)` and `learner.call("softmax", z, ...)` reach the worker
    exactly as through `target` (the runner's proxy); everything else (names,
    timings, objects' methods) is the target's own.
    """

    def __init__(self, target, log: CallLog):
        self._target = target
        self._log = log

    def __repr__(self) -> str:
        return "learner"

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        value = getattr(self._target, name)  # raises MissingName for a name not defined
        # The proxy hands out a RemoteFunction for a function of the module only.
        return _Recorded(self, name) if isinstance(value, RemoteFunction) else value

    def call(self, name: str, *args, **kwargs):
        """LearnerProxy.call, noted in the log when it calls a function of the module."""
        if kwargs.get("obj") is not None or kwargs.get("module") is not None:
            return self._target.call(name, *args, **kwargs)
        if name not in self._target.names():
            getattr(self._target, name)  # the same "does not define" as learner.name
        self._log.record(name, args, kwargs)
        result = self._target.call(name, *args, **kwargs)
        if _holds_remote_objects(result):
            self._log.forget_result_of(name)
        return result


class _Recorded:
    """A function of the learner's module whose calls go through RecordingLearner.call."""

    def __init__(self, learner: RecordingLearner, name: str):
        self._learner, self.__name__ = learner, name

    def __call__(self, *args, **kwargs):
        return self._learner.call(self.__name__, *args, **kwargs)

    def __repr__(self) -> str:
        return f"learner.{self.__name__}"


def _holds_remote_objects(value) -> bool:
    """Whether a call's result holds objects living in the worker (e.g. a TwoLayerNet)."""
    if isinstance(value, RemoteObject | RemoteFunction):
        return True
    if isinstance(value, tuple | list):
        return any(_holds_remote_objects(v) for v in value)
    if isinstance(value, dict):
        return any(_holds_remote_objects(v) for v in value.values())
    return False


@contextlib.contextmanager
def reproducible_reprs():
    """Within this block, NumPy reprs keep every digit (shortest round-trip form).

    Hypothesis prints the failing input with repr() (the report shows it when
    the failing call cannot be written as Python to paste); with NumPy's
    default 8 digits it would not be the input that failed. grader.engine.grade
    grades every exercise inside this block.
    """
    with np.printoptions(floatmode="unique"):
        yield


# ---------------------------------------------------------------- writing the lines


def reproduction(call: Call | None, module: str, source: str) -> list[str]:
    """Python lines that make `call` again beside the learner's module; [] when they cannot.

    Inputs:
    - call: the recorded call (CallLog.failing), or None.
    - module: the learner's module name, e.g. "ex01_tensors".
    - source: the module's source text, for its parameter names (parsed, never run).

    Returns the imports, one assignment per argument named by its parameter, and
    the call itself as the last line (whose value an interactive Python prints).
    """
    if call is None or call.args is None or not call.function.isidentifier():
        return []
    names = _argument_names(source, call.function, len(call.args))
    taken = {"np", call.function}
    lines = ["import numpy as np", f"from {module} import {call.function}"]
    if call.strict_floats:
        lines.append(STRICT_FLOATS)
    passed = []
    for name, value in zip(names, call.args, strict=True):
        name = _free(name, taken)
        if not _assign(lines, name, value):
            return []
        passed.append(name)
    for key, value in call.kwargs.items():
        if not key.isidentifier():
            return []
        name = _free(key, taken)
        if not _assign(lines, name, value):
            return []
        passed.append(f"{key}={name}")
    lines.append(f"{call.function}({', '.join(passed)})")
    return lines if sum(len(line) + 1 for line in lines) <= MAX_CHARS else []


def _free(name: str, taken: set[str]) -> str:
    """`name`, or with underscores added until it is not already a variable of the lines."""
    while name in taken or keyword.iskeyword(name):
        name += "_"
    taken.add(name)
    return name


def _assign(lines: list[str], name: str, value) -> bool:
    """Append the lines that set `name` to `value`; False when `value` cannot be written."""
    if isinstance(value, np.random.Generator):
        state = _literal(value.bit_generator.state, len(name) + 23)
        kind = value.bit_generator.state.get("bit_generator")
        if state is None or not isinstance(kind, str) or not kind.isidentifier():
            return False
        maker = "default_rng()" if kind == "PCG64" else f"Generator(np.random.{kind}())"
        lines.extend([f"{name} = np.random.{maker}", f"{name}.bit_generator.state = {state}"])
        return True
    literal = _literal(value, len(name) + 3)
    if literal is None:
        return False
    lines.append(f"{name} = {literal}")
    return True


def _literal(value: Any, indent: int = 0) -> str | None:
    """A Python expression (after `import numpy as np`) that rebuilds `value` exactly, or None.

    `indent`: the column the expression starts at, for its continuation lines.
    """
    if value is None or isinstance(value, bool | str):
        return repr(value)
    if isinstance(value, int):
        return repr(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, np.ndarray):
        return _array(value, indent)
    if isinstance(value, np.generic):
        inner = _literal(value.item())
        kind = type(value).__name__
        kind = "bool_" if kind == "bool" else kind
        return None if inner is None else f"np.{kind}({inner})"
    if type(value) in (tuple, list):
        items = [_literal(v, indent) for v in value]
        if any(item is None for item in items):
            return None
        if type(value) is tuple:
            return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
        return f"[{', '.join(items)}]"
    if type(value) is dict and all(isinstance(k, str) for k in value):
        items = {k: _literal(v, indent) for k, v in value.items()}
        if any(item is None for item in items.values()):
            return None
        return "{" + ", ".join(f"{k!r}: {v}" for k, v in items.items()) + "}"
    return None


def _float(value: float) -> str:
    """A float's shortest exact repr, with inf and nan spelt as NumPy's constants."""
    if value != value:
        return "np.nan"
    if value in (float("inf"), float("-inf")):
        return "np.inf" if value > 0 else "-np.inf"
    return repr(value)


_NON_FINITE = re.compile(r"(?<![\w.])(inf|nan)(?!\w)")


def _array(array: np.ndarray, indent: int) -> str | None:
    """`np.array([...])` rebuilding `array` exactly: every digit, and its dtype unless the
    list alone gives it."""
    if array.dtype.kind not in "biuf":
        return None
    if array.size == 0:
        return f"np.zeros({array.shape!r}, dtype={array.dtype.name!r})"
    if 2 * array.size > MAX_CHARS:  # a digit and a comma each: it cannot fit, don't format it
        return None
    values = array.tolist()
    dtype = "" if np.array(values).dtype == array.dtype else f", dtype={array.dtype.name!r}"
    body = pprint.pformat(values, width=max(WIDTH - indent - 9, 40), compact=True)
    body = _NON_FINITE.sub(r"np.\1", body).replace("\n", "\n" + " " * (indent + 9))
    return f"np.array({body}{dtype})"


def _argument_names(source: str, function: str, count: int) -> list[str]:
    """Names for `count` positional arguments of `function`: its parameters as the source
    defines it at the top level (a class: its __init__'s, after self), then `arg<i>`."""
    parameters = _parameters(source, function)
    names = parameters[:count]
    return names + [f"arg{i}" for i in range(len(names) + 1, count + 1)]


def _parameters(source: str, function: str) -> list[str]:
    """The positional parameter names of top-level `function` in `source` ([] when unknown)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    found: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == function:
            found = [a.arg for a in (*node.args.posonlyargs, *node.args.args)]
        elif isinstance(node, ast.ClassDef) and node.name == function:
            found = _init_parameters(node)
    return found


def _init_parameters(node: ast.ClassDef) -> list[str]:
    for item in node.body:
        if isinstance(item, ast.FunctionDef) and item.name == "__init__":
            return [a.arg for a in (*item.args.posonlyargs, *item.args.args)][1:]
    return []
