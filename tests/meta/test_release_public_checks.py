"""A release's public checks hold no answers (issue 14, item 19).

A student release ships the public checks (grader.instructor.release.strip.public_checks): the
student reads them. They must not hold the code of what the student is asked
to write, e.g. a `_same_pads(n, k, s)` helper that is the answer to
`same_padding`. The rule, enforced here on the syntax tree of every public
check module:

1. Every value a public check compares an answer with -- the `expected` of
   expect_close / expect_equal and the wrong answer of a Mistake -- comes from
   TensorFlow or Keras (the `tf` / `keras` fixtures, grader.engine.oracles), is a
   literal written in the check (a docstring's worked example), or is built
   from the learner's own outputs (a property: the same seed gives the same
   order). Arithmetic on the check's inputs alone is a re-implemented answer.
2. No helper function computes numbers from its arguments, except through
   TensorFlow / Keras or the learner, or to draw inputs (a hypothesis strategy,
   or a helper taking `draw` or `rng`).

Formula helpers belong to hidden checks, which a release leaves out.
"""

from __future__ import annotations

import ast
import builtins
import textwrap

import pytest

from grader.course.paths import PACKAGE
from grader.instructor.release.strip import public_checks

# Where a value comes from.
TF, LEARNER, LITERAL, INPUT, COMPUTED = "tf", "learner", "literal", "input", "computed"

TF_NAMES = {"tf", "keras", "tensorflow"}
TF_MODULES = ("tensorflow", "keras", "grader.engine.oracles")
ARITHMETIC = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow, ast.MatMult)
# NumPy functions that move, pick or build values without computing new ones.
SHAPING = {
    "arange", "array", "asarray", "ascontiguousarray", "atleast_1d", "atleast_2d",
    "concatenate", "flatnonzero", "float64", "full", "int64", "ones", "ones_like", "pad",
    "ravel", "reshape", "resize", "select", "squeeze", "stack", "tile", "transpose", "where",
    "zeros", "zeros_like",
}  # fmt: skip
# NumPy functions that compare values (a yes or no, never an expected answer).
COMPARING = {"allclose", "array_equal", "array_equiv", "isclose"}
# Methods that compute new numbers from an array (any other method only hands values on).
COMPUTING_METHODS = {
    "clip", "cumsum", "dot", "max", "mean", "min", "prod", "round", "std", "sum", "var",
}  # fmt: skip
# A generator's draws make inputs, not answers.
RANDOM = {
    "choice", "default_rng", "integers", "normal", "permutation", "random", "shuffle",
    "standard_normal", "uniform",
}  # fmt: skip
SHAPING_BUILTINS = {
    "bool", "dict", "enumerate", "float", "int", "isinstance", "len", "list", "range",
    "sorted", "str", "tuple", "type", "zip", "getattr", "set", "repr", "next", "any", "all",
}  # fmt: skip
PUBLIC_FORMULA_HELPERS = ("_same_pads", "_out_size")  # the answers issue 14 found shipped


def _root(node: ast.expr) -> str:
    """The name an attribute chain or call starts from: `tf` for tf.nn.conv2d(...)."""
    while isinstance(node, ast.Attribute | ast.Call | ast.Subscript):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else ""


def _decorator_names(function: ast.FunctionDef) -> set[str]:
    names = set()
    for decorator in function.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        names.add(target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", ""))
    return names


class Provenance:
    """Where the values of one check module come from, by its syntax tree.

    Not flow-sensitive: a name bound several times in a function has the
    origins of all its bindings; a helper's parameter has the origins of the
    arguments at every call of it in the module.
    """

    def __init__(self, source: str):
        self.tree = ast.parse(source)
        self.parent: dict[ast.AST, ast.AST] = {}
        for node in ast.walk(self.tree):
            for child in ast.iter_child_nodes(node):
                self.parent[child] = node
        self.functions = {
            n.name: n for n in self.tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef)
        }
        self.module_values = {
            target.id: node.value
            for node in self.tree.body
            if isinstance(node, ast.Assign)
            for target in ast.walk(node.targets[0])
            if isinstance(target, ast.Name)
        }
        self.imports, self.tf_imports = set(), set(TF_NAMES)
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                module = getattr(node, "module", None) or ""
                for alias in node.names:
                    name = alias.asname or alias.name.partition(".")[0]
                    from_tf = module.startswith(TF_MODULES) or alias.name.startswith(TF_MODULES)
                    (self.tf_imports if from_tf else self.imports).add(name)
        self._memo: dict[tuple, frozenset] = {}
        self._depth: dict[tuple, int] = {}  # the expressions being worked out, by depth
        self._lowest = 0  # the shallowest of them a cycle reached, below the current one
        self._context_free = False

    # ------------------------------------------------------------ the two rules

    def expectation_violations(self) -> list[str]:
        """Rule 1: expected values and Mistakes computed from inputs alone."""
        found = []
        for node in ast.walk(self.tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            if name in ("expect_close", "expect_equal"):
                value = node.args[1] if len(node.args) > 1 else self._keyword(node, "expected")
            elif name == "Mistake":
                value = node.args[0] if node.args else self._keyword(node, "value")
            else:
                continue
            if value is not None and self._computed(self.origins(value, self._scope(node))):
                found.append(f"line {node.lineno}: {ast.unparse(value)}")
        return found

    def helper_violations(self) -> list[str]:
        """Rule 2: helpers that compute numbers from their arguments alone."""
        found = []
        for function in self.functions.values():
            if not isinstance(function, ast.FunctionDef) or self._draws_or_is_a_check(function):
                continue
            self._context_free, self._memo = True, {}
            try:
                if self._computed(self._returns(function)):
                    found.append(f"{function.name} (line {function.lineno})")
            finally:
                self._context_free, self._memo = False, {}
        return found

    # ------------------------------------------------------------ origins

    @staticmethod
    def _computed(origins: frozenset) -> bool:
        return COMPUTED in origins and not origins & {TF, LEARNER}

    @staticmethod
    def _keyword(call: ast.Call, name: str) -> ast.expr | None:
        return next((k.value for k in call.keywords if k.arg == name), None)

    def _scope(self, node: ast.AST) -> ast.FunctionDef | ast.Lambda | None:
        node = self.parent.get(node)
        while node is not None and not isinstance(node, ast.FunctionDef | ast.Lambda):
            node = self.parent.get(node)
        return node

    def origins(self, node: ast.AST, scope) -> frozenset:
        """Where the value of expression `node`, evaluated in function `scope`, comes from."""
        key = (id(node), id(scope))
        if key in self._memo:
            return self._memo[key]
        if key in self._depth:  # a cycle (x = x + ...): x's other bindings say what x is
            self._lowest = min(self._lowest, self._depth[key])
            return frozenset()
        depth = self._depth[key] = len(self._depth)
        outer, self._lowest = self._lowest, depth
        try:
            result = frozenset(self._origins(node, scope))
        finally:
            del self._depth[key]
            reached, self._lowest = self._lowest, min(outer, self._lowest)
        if reached >= depth:  # complete: no cycle through an expression still being worked out
            self._memo[key] = result
        return result

    def _union(self, nodes, scope) -> set[str]:
        return set().union(*(self.origins(n, scope) for n in nodes if n is not None))

    def _origins(self, node: ast.AST, scope) -> set[str]:
        if isinstance(node, ast.Constant | ast.JoinedStr):
            return {LITERAL}
        if isinstance(node, ast.Name):
            return self._name(node.id, scope)
        if isinstance(node, ast.Call):
            return self._call(node, scope)
        if isinstance(node, ast.Lambda):
            return self.origins(node.body, node)
        if isinstance(node, ast.BinOp | ast.UnaryOp):
            found = self._union(ast.iter_child_nodes(node), scope)
            op = node.op
            if isinstance(op, ARITHMETIC + (ast.USub,)) and INPUT in found:
                found.add(COMPUTED)
            return found
        return self._union(ast.iter_child_nodes(node), scope)

    def _call(self, node: ast.Call, scope) -> set[str]:
        root = _root(node.func)
        if root in self.tf_imports:
            return {TF}
        if root == "learner":
            return {LEARNER}
        arguments = self._union([*node.args, *(k.value for k in node.keywords)], scope)
        if isinstance(node.func, ast.Attribute):
            found = arguments | self.origins(node.func.value, scope)
            attr = node.func.attr
            if self._module_path(node.func.value):  # np.sqrt(...), math.log(...)
                computes = attr not in SHAPING | COMPARING | RANDOM
            else:  # a method of a value: x.sum(), rng.uniform(...), case.kwargs.get(...)
                computes = attr in COMPUTING_METHODS
            return found | ({COMPUTED} if computes and INPUT in found else set())
        name = getattr(node.func, "id", None)
        if name == "partial":
            return self.origins(node.args[0], scope) | arguments
        if isinstance(self.functions.get(name), ast.ClassDef):
            return arguments  # a record of its arguments
        if name in SHAPING_BUILTINS or name in self.imports:
            return arguments  # grader.checks.checking's helpers hand their arguments back
        if name is not None and hasattr(builtins, name) and name not in self.functions:
            return arguments | ({COMPUTED} if INPUT in arguments else set())  # sum, max, abs
        return self.origins(node.func, scope)

    def _module_path(self, node: ast.expr) -> bool:
        """True for np, np.random, math: a module, not a value."""
        while isinstance(node, ast.Attribute):
            node = node.value
        return isinstance(node, ast.Name) and node.id in self.imports

    def _name(self, name: str, scope) -> set[str]:
        while scope is not None:
            bound = self._bindings(name, scope)
            if bound is not None:
                return bound
            scope = self._scope(scope)
        if name in self.functions:
            target = self.functions[name]
            return self._returns(target) if isinstance(target, ast.FunctionDef) else set()
        if name in self.module_values:
            return set(self.origins(self.module_values[name], None))
        if name in self.tf_imports:
            return {TF}
        if name in self.imports or hasattr(builtins, name):
            return {LITERAL}
        return {INPUT}

    def _bindings(self, name: str, scope) -> set[str] | None:
        """Origins of `name` bound in `scope` (assignments, loops, nested defs, parameters);
        None when `scope` does not bind it."""
        values, found = [], False
        for node in self._own_nodes(scope):
            if isinstance(node, ast.FunctionDef) and node.name == name:
                return self._returns(node)
            targets = {
                ast.Assign: lambda n: n.targets,
                ast.AnnAssign: lambda n: [n.target],
                ast.AugAssign: lambda n: [n.target],
                ast.NamedExpr: lambda n: [n.target],
                ast.For: lambda n: [n.target],
                ast.comprehension: lambda n: [n.target],
                ast.withitem: lambda n: [n.optional_vars] if n.optional_vars else [],
            }.get(type(node))
            if targets and any(
                isinstance(t, ast.Name) and t.id == name
                for target in targets(node)
                for t in ast.walk(target)
            ):
                found = True
                values.append(getattr(node, "value", None) or getattr(node, "iter", None))
                values.append(getattr(node, "context_expr", None))
        if found:
            return self._union(values, scope)
        return self._parameter(name, scope)

    def _own_nodes(self, scope):
        """The nodes of a function's body, not those of functions nested in it."""
        stack = list(ast.iter_child_nodes(scope))
        while stack:
            node = stack.pop()
            yield node
            if not isinstance(node, ast.FunctionDef | ast.Lambda | ast.ClassDef):
                stack.extend(ast.iter_child_nodes(node))

    def _parameter(self, name: str, scope) -> set[str] | None:
        arguments = scope.args
        positional = [a.arg for a in [*arguments.posonlyargs, *arguments.args]]
        others = [a.arg for a in arguments.kwonlyargs] + [
            a.arg for a in (arguments.vararg, arguments.kwarg) if a is not None
        ]
        if name not in positional + others:
            return None
        if name in TF_NAMES:
            return {TF}
        if name == "learner":
            return {LEARNER}
        if self._context_free or isinstance(scope, ast.Lambda):
            return {INPUT}
        if self._draws_or_is_a_check(scope):
            fixture = self.functions.get(name)
            return self._returns(fixture) if isinstance(fixture, ast.FunctionDef) else {INPUT}
        index = positional.index(name) if name in positional else None
        return self._call_sites(scope, index, name)

    def _call_sites(self, function: ast.FunctionDef, index: int | None, name: str) -> set[str]:
        """Origins of the argument given for parameter `name` wherever `function` is called."""
        given, defaults = [], function.args.defaults
        first_default = len(function.args.posonlyargs) + len(function.args.args) - len(defaults)
        if index is not None and index >= first_default:
            given.append((defaults[index - first_default], None))
        for call in ast.walk(self.tree):
            if not isinstance(call, ast.Call):
                continue
            args = call.args
            if getattr(call.func, "id", None) == "partial" and args:
                target, args = args[0], args[1:]
            else:
                target = call.func
            if getattr(target, "id", None) != function.name:
                continue
            scope = self._scope(call)
            if index is not None and index < len(args) and not isinstance(args[index], ast.Starred):
                given.append((args[index], scope))
            given.extend((k.value, scope) for k in call.keywords if k.arg in (name, None))
        if not given:
            return {INPUT}
        return set().union(*(self.origins(value, scope) for value, scope in given))

    def _returns(self, function: ast.FunctionDef) -> set[str]:
        """Origins of what `function` returns (or yields)."""
        values = [
            node.value
            for node in self._own_nodes(function)
            if isinstance(node, ast.Return | ast.Yield) and node.value is not None
        ]
        return self._union(values, function)

    def _draws_or_is_a_check(self, function: ast.FunctionDef) -> bool:
        """Tests, fixtures, hypothesis strategies and helpers drawing inputs (draw, rng)."""
        decorators = _decorator_names(function)
        parameters = {a.arg for a in function.args.args}
        return (
            function.name.startswith("test_")
            or bool(decorators & {"fixture", "composite"})
            or bool(parameters & {"draw", "rng"})
        )


# ------------------------------------------------------------ the release's public checks


@pytest.fixture(scope="module")
def public() -> dict[str, str]:
    """The check modules as a student release ships them."""
    checks, _ = public_checks(PACKAGE / "checks")
    return checks


def test_public_checks_define_no_known_formula_helper(public):
    for name, source in public.items():
        defined = {n.name for n in ast.walk(ast.parse(source)) if isinstance(n, ast.FunctionDef)}
        shipped = defined.intersection(PUBLIC_FORMULA_HELPERS)
        assert not shipped, f"the release's {name} defines {sorted(shipped)}: answers shipped"


def test_public_checks_take_expected_values_from_tensorflow_literals_or_the_learner(public):
    problems = {
        name: found
        for name, source in public.items()
        if (found := Provenance(source).expectation_violations())
    }
    assert not problems, f"expected values computed from inputs in public checks: {problems}"


def test_public_check_helpers_compute_only_through_tensorflow_or_the_learner(public):
    problems = {
        name: found
        for name, source in public.items()
        if (found := Provenance(source).helper_violations())
    }
    assert not problems, f"formula helpers in public checks (move them to hidden ones): {problems}"


# ------------------------------------------------------------ the rule itself


FORMULA_HELPER = """
    from hypothesis import given
    from grader.checks.checking import expect_equal, points

    def _same_pads(n, k, s):
        total = max((-(-n // s) - 1) * s + k - n, 0)
        return total // 2, total - total // 2

    @points(1)
    @given(n=st.integers(1, 9))
    def test_same_padding(learner, n):
        expect_equal(learner.same_padding(n, 3, 1), _same_pads(n, 3, 1), what="pads")
"""

INLINE_ANSWER = """
    import numpy as np
    from grader.checks.checking import expect_close, points

    @points(1)
    def test_scale(learner, images):
        expect_close(learner.scale_pixels(images), images.astype(np.float64) / 255.0, what="x")
"""

TRUSTED = """
    import numpy as np
    from functools import partial
    from grader.checks.checking import expect_close, points
    from grader.checks.mistakes import Mistake
    from grader.engine.oracles import tf_gradient

    def _tf_pool(tf, x, window):
        return tf.nn.max_pool2d(x, window, window, "VALID").numpy()

    def _expect(got, expected, mistakes=()):
        expect_close(got, expected, what="out", mistakes=mistakes)

    @points(1)
    def test_pool(learner, tf, x):
        wrong = Mistake(partial(_tf_pool, tf, x, 3), "window 3")
        _expect(learner.pool(x), _tf_pool(tf, x, 2), [wrong])

    @points(1)
    def test_worked_example(learner):
        for args, expected in [((1, 2), 0.1 * 0.5**1.5)]:
            expect_close(learner.decay(*args), np.reshape(expected, ()), what="rate")

    @points(1)
    def test_same_seed_same_order(learner, x):
        first = learner.shuffle(x, 1)
        expect_close(learner.shuffle(x, 1), np.asarray(first) * 1, what="order")
        expect_close(learner.identity(x), x, what="x")
"""


def test_the_rule_finds_a_formula_helper_and_what_it_computes():
    provenance = Provenance(textwrap.dedent(FORMULA_HELPER))
    assert provenance.helper_violations() == ["_same_pads (line 5)"]
    assert provenance.expectation_violations() == ["line 12: _same_pads(n, 3, 1)"]


def test_the_rule_finds_an_answer_computed_inside_a_check():
    provenance = Provenance(textwrap.dedent(INLINE_ANSWER))
    assert provenance.expectation_violations() == ["line 7: images.astype(np.float64) / 255.0"]
    assert provenance.helper_violations() == []


def test_the_rule_accepts_tensorflow_worked_examples_and_the_learners_own_outputs():
    provenance = Provenance(textwrap.dedent(TRUSTED))
    assert provenance.expectation_violations() == []
    assert provenance.helper_violations() == []
