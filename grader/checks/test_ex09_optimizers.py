"""Checks for exercise 9: optimizers, step by step against keras.optimizers.

Keras runs on float64 variables. It keeps the learning rate (and some other
hyperparameters) in float32, so the checks draw only values float32 holds
exactly (1/16, 0.875, 127/128, ...): then Keras and a correct float64 NumPy
step agree to rounding, and rtol=1e-6 holds.
"""

from functools import cache

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from grader.checks.checking import CheckFailure, expect_close, hidden, points
from grader.checks.strategies import FLOATS

LEARNING_RATES = st.sampled_from([1 / 16, 1 / 128, 1 / 1024, 0.25])
DECAYS = st.sampled_from([0.5, 0.875, 0.9375])  # momentum, rho, beta_1
BETA_2S = st.sampled_from([127 / 128, 1023 / 1024])
EPSILONS = st.sampled_from([1e-7, 1e-3])
DECAY_RATES = st.sampled_from([0.5, 0.75, 0.875, 0.9375, 0.96875])
TINY = 1e-6
TINY_NOTE = (
    "With gradients near 1e-6 the Keras form and the textbook (CS231n) form differ a lot: "
    "re-read where the docstring puts epsilon (and, for Adam, the bias correction)."
)

values = st.floats(-10, 10, **FLOATS)


@st.composite
def trajectories(draw, max_steps=20):
    """(w, grads): a parameter and 1..max_steps gradients of its shape, at scale 1, 1e-3 or 1e-6."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=2, max_side=4))
    w = draw(hnp.arrays(np.float64, shape, elements=values))
    scale = draw(st.sampled_from([1.0, 1e-3, TINY]))
    steps = draw(st.integers(1, max_steps))
    grads = [draw(hnp.arrays(np.float64, shape, elements=values)) * scale for _ in range(steps)]
    return w, grads


# A learning rate: a constant, or (initial, decay_steps, decay_rate, staircase) for
# ExponentialDecay, so that the rate changes from step to step.
learning_rates = LEARNING_RATES | st.tuples(
    LEARNING_RATES, st.integers(1, 5), DECAY_RATES, st.booleans()
)


@st.composite
def schedule_points(draw):
    """(step, initial_lr, decay_steps, decay_rate, staircase), step in 0 .. 10 periods."""
    decay_steps = draw(st.integers(1, 1000))
    step = draw(st.integers(0, 10 * decay_steps))
    return step, draw(LEARNING_RATES), decay_steps, draw(DECAY_RATES), draw(st.booleans())


# (step function, its keras.optimizers class, settings: the learner's names are Keras')
STATEFUL = [
    ("momentum_step", "SGD", {"lr": 1 / 16, "momentum": 0.875, "nesterov": True}),
    ("rmsprop_step", "RMSprop", {"lr": 1 / 16, "rho": 0.875}),
    ("adam_step", "Adam", {"lr": 1 / 16, "beta_1": 0.875, "beta_2": 127 / 128}),
]

# Keras' defaults, which the step functions' own defaults are (Keras' SGD has no
# momentum unless given one: momentum_step's is 0.9).
DEFAULTS = [
    ("momentum_step", "SGD", {"lr": 0.01, "momentum": 0.9}, "SGD(0.01, momentum=0.9)"),
    ("rmsprop_step", "RMSprop", {"lr": 0.001}, "RMSprop() (rho=0.9, epsilon=1e-7)"),
    ("adam_step", "Adam", {"lr": 0.001}, "Adam() (beta_1=0.9, beta_2=0.999, epsilon=1e-7)"),
]

# What each step function's state holds: its key -> the end of the name of the
# Keras optimizer's variable that holds the same array.
SLOTS = {
    "momentum_step": {"v": "momentum"},
    "rmsprop_step": {"s": "velocity"},
    "adam_step": {"m": "momentum", "v": "velocity"},
}


# ------------------------------------------------------------- gradient descent


@points(1)
def test_gradient_descent_worked_example(learner):
    got = learner.gradient_descent_step(0.38, -0.55, 0.01)
    expect_close(got, 0.3855, what="gradient_descent_step(0.38, grad=-0.55, lr=0.01)")


@points(1)
@given(data=trajectories(max_steps=1), lr=LEARNING_RATES)
def test_gradient_descent_step_matches_keras_sgd(learner, keras, data, lr):
    w, (grad,) = data
    expected, _ = keras_trajectory(keras, keras.optimizers.SGD(lr), w, [grad])
    got = learner.gradient_descent_step(w, grad, lr)
    expect_close(got, expected, what=f"gradient_descent_step(w, grad, lr={lr:g})")


# ------------------------------------------------------------- momentum


@points(2)
@given(data=trajectories(), lr=learning_rates, momentum=DECAYS)
def test_momentum_step_matches_keras_sgd_with_momentum(learner, keras, data, lr, momentum):
    w, grads = data
    optimizer = keras.optimizers.SGD(keras_rate(keras, lr), momentum=momentum)
    _expect_steps(learner, keras, optimizer, "momentum_step", w, grads, lr, momentum=momentum)


@hidden
@points(2)
@given(data=trajectories(), lr=learning_rates, momentum=DECAYS)
def test_nesterov_momentum_matches_keras_sgd_with_nesterov(learner, keras, data, lr, momentum):
    w, grads = data
    optimizer = keras.optimizers.SGD(keras_rate(keras, lr), momentum=momentum, nesterov=True)
    hyper = {"momentum": momentum, "nesterov": True}
    _expect_steps(learner, keras, optimizer, "momentum_step", w, grads, lr, **hyper)


# ------------------------------------------------------------- RMSprop


@points(2)
@given(data=trajectories(), lr=LEARNING_RATES, rho=DECAYS, epsilon=EPSILONS)
def test_rmsprop_step_matches_keras_rmsprop(learner, keras, data, lr, rho, epsilon):
    w, grads = data
    optimizer = keras.optimizers.RMSprop(lr, rho=rho, epsilon=epsilon)
    hyper = {"rho": rho, "epsilon": epsilon}
    _expect_steps(learner, keras, optimizer, "rmsprop_step", w, grads, lr, **hyper)


@hidden
@points(1)
def test_rmsprop_with_tiny_gradients_puts_epsilon_inside_the_root(learner, keras):
    optimizer = keras.optimizers.RMSprop(1 / 16, rho=0.875)
    what = "w after 5 rmsprop steps with gradients of 1e-6"
    _expect_tiny_steps(learner, keras, optimizer, "rmsprop_step", what, rho=0.875)


# ------------------------------------------------------------- Adam


@points(2)
@given(data=trajectories(), lr=LEARNING_RATES, beta_1=DECAYS, beta_2=BETA_2S, epsilon=EPSILONS)
def test_adam_step_matches_keras_adam(learner, keras, data, lr, beta_1, beta_2, epsilon):
    w, grads = data
    optimizer = keras.optimizers.Adam(lr, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon)
    hyper = {"beta_1": beta_1, "beta_2": beta_2, "epsilon": epsilon}
    _expect_steps(learner, keras, optimizer, "adam_step", w, grads, lr, **hyper)


@hidden
@points(1)
def test_adam_with_tiny_gradients_matches_keras(learner, keras):
    optimizer = keras.optimizers.Adam(1 / 16, beta_1=0.875, beta_2=1023 / 1024)
    hyper = {"beta_1": 0.875, "beta_2": 1023 / 1024}
    what = "w after 5 adam steps with gradients of 1e-6"
    _expect_tiny_steps(learner, keras, optimizer, "adam_step", what, **hyper)


# ------------------------------------------------------------- schedules


@points(2)
@given(point=schedule_points())
def test_exponential_decay_matches_keras_schedule(learner, keras, point):
    step, initial, decay_steps, rate, staircase = point
    expected = float(_schedule(keras, initial, decay_steps, rate, staircase)(step))
    got = learner.exponential_decay(step, initial, decay_steps, rate, staircase=staircase)
    what = (
        f"exponential_decay(step={step}, initial_lr={initial:g}, decay_steps={decay_steps}, "
        f"decay_rate={rate:g}, staircase={staircase})"
    )
    expect_close(got, expected, what=what)


@points(1)
def test_exponential_decay_worked_example(learner):
    expect_close(
        learner.exponential_decay(0, 0.1, 100, 0.5), 0.1, what="the rate at step 0 (initial_lr)"
    )
    expect_close(
        learner.exponential_decay(150, 0.1, 100, 0.5),
        0.1 * 0.5**1.5,
        what="exponential_decay(150, 0.1, 100, 0.5) (= 0.0354)",
    )
    expect_close(
        learner.exponential_decay(150, 0.1, 100, 0.5, staircase=True),
        0.05,
        what="exponential_decay(150, 0.1, 100, 0.5, staircase=True) (= 0.05)",
    )


# ------------------------------------------------------------- the interface


@hidden
@points(1)
def test_step_functions_do_not_change_their_inputs(learner, keras, check_seed):
    rng = np.random.default_rng(check_seed(9))
    w, grad = rng.standard_normal((3, 2)), rng.standard_normal((3, 2))
    new_w, args, _ = learner.call("gradient_descent_step", w, grad, 0.5, echo_args=True)
    calls = [("gradient_descent_step", (w, grad, 0.5), args)]
    expected, _ = keras_trajectory(keras, keras.optimizers.SGD(0.5), w, [grad])
    results = [(new_w, expected, "gradient_descent_step(w, grad, lr=0.5)")]
    for name, kind, hyper in STATEFUL:
        w_1, state = unpack(learner.call(name, w, grad, {}, **hyper), name)
        sent = (w_1, rng.standard_normal((3, 2)), state)
        result, args, _ = learner.call(name, *sent, echo_args=True, **hyper)
        calls.append((name, sent, args))
        optimizer = keras_optimizer(keras, kind, hyper)
        expected, _ = keras_trajectory(keras, optimizer, w, [grad, sent[1]])
        results.append((unpack(result, name)[0], expected, describe(name, 2, **hyper)))
    for name, sent, args in calls:
        for label, before, after in zip(("w", "grad", "state"), sent, args, strict=True):
            changed = _differences(before, after, label)
            if changed:
                raise CheckFailure(
                    f"{name} changed its argument {changed[0]} in place: build new arrays "
                    f"(w - lr * grad, not w -= ...) and return a new state dict"
                )
    # Leaving the inputs alone counts only for a step that also computes the update.
    for got, expected, what in results:
        expect_close(got, expected, what=what)


@hidden
@points(1)
def test_each_parameter_keeps_its_own_state(learner, keras, check_seed):
    rng = np.random.default_rng(check_seed(11))
    weights, bias = rng.standard_normal((3, 2)), rng.standard_normal(2)
    steps = [(rng.standard_normal((3, 2)), rng.standard_normal(2)) for _ in range(4)]
    for name, kind, hyper in STATEFUL:
        optimizer = keras_optimizer(keras, kind, hyper)
        expected_w, expected_b = keras_model_steps(keras, optimizer, [weights, bias], steps)
        w, b, state_w, state_b = weights, bias, {}, {}
        for grad_w, grad_b in steps:
            w, state_w = unpack(learner.call(name, w, grad_w, state_w, **hyper), name)
            b, state_b = unpack(learner.call(name, b, grad_b, state_b, **hyper), name)
        note = "stepping two parameters in turn, each with its own state, as a model does"
        expect_close(w, expected_w, what=f"the first parameter after 4 {name}s, {note}")
        expect_close(b, expected_b, what=f"the second parameter after 4 {name}s, {note}")


@hidden
@points(1)
def test_step_functions_default_to_keras_settings(learner, keras, check_seed):
    rng = np.random.default_rng(check_seed(12))
    w = rng.standard_normal((3, 2))
    for scale in (1.0, TINY):  # tiny gradients show the default epsilon
        grads = [scale * rng.standard_normal((3, 2)) for _ in range(4)]
        for name, kind, settings, keras_text in DEFAULTS:
            expected, _ = keras_trajectory(keras, keras_optimizer(keras, kind, settings), w, grads)
            got, state = w, {}
            for grad in grads:
                got, state = unpack(learner.call(name, got, grad, state), name)
            what = f"w after 4 steps of {name}(w, grad, state), its defaults as Keras' {keras_text}"
            # Keras keeps 0.9, 0.999 and 0.001 in float32: a correct step is off by up to
            # about 2e-8 here, a wrong default by 1e-3 or more.
            expect_close(got, expected, what=what, atol=1e-7)


@points(1)
def test_step_states_hold_what_keras_optimizers_keep(learner, keras, check_seed):
    rng = np.random.default_rng(check_seed(13))
    w = rng.standard_normal((3, 2))
    grads = [rng.standard_normal((3, 2)) for _ in range(3)]
    for name, kind, hyper in STATEFUL:
        optimizer = keras_optimizer(keras, kind, hyper)
        keras_trajectory(keras, optimizer, w, grads)
        slots = keras_slots(optimizer)
        got, state = w, {}
        for grad in grads:
            got, state = unpack(learner.call(name, got, grad, state, **hyper), name)
        keys = {**SLOTS[name], **({"t": "steps"} if name == "adam_step" else {})}
        if set(state) != set(keys):
            raise CheckFailure(
                f"after 3 steps, {name} returned a state with the keys {sorted(state)}: the "
                f"docstring's state holds exactly {sorted(keys)}"
            )
        for key, slot in SLOTS[name].items():
            what = f'state["{key}"] after 3 steps of {name} (Keras\' {kind} keeps it as its {slot})'
            expect_close(state[key], slots[slot], what=what)
        if name == "adam_step":
            t = state["t"]
            if isinstance(t, bool) or not isinstance(t, int | np.integer) or t != len(grads):
                raise CheckFailure(
                    f'after 3 steps adam_step\'s state["t"] is {t!r}: it counts the steps taken '
                    "so far, an int (3 here)"
                )


# ---------------------------------------------------------------- helpers


@cache
def _schedule(keras, initial, decay_steps, decay_rate, staircase):
    return keras.optimizers.schedules.ExponentialDecay(
        initial, decay_steps, decay_rate, staircase=staircase
    )


def keras_rate(keras, lr):
    """What Keras' optimizers take as learning_rate: the constant or the schedule object."""
    return _schedule(keras, *lr) if isinstance(lr, tuple) else lr


def keras_trajectory(keras, optimizer, w, grads):
    """Keras' parameter after all steps, and the learning rate each step used."""
    variable = keras.Variable(w, dtype="float64")
    rates = []
    for grad in grads:
        rates.append(float(optimizer.learning_rate))  # the schedule at iterations, from 0
        optimizer.apply_gradients([(grad, variable)])
    return variable.numpy(), rates


def keras_model_steps(keras, optimizer, params, steps) -> list[np.ndarray]:
    """Keras' parameters after stepping them together, as a model's fit does.

    params: the starting arrays; steps: per step, one gradient per parameter.
    One optimizer keeps each parameter's state apart.
    """
    variables = [keras.Variable(p, dtype="float64") for p in params]
    for grads in steps:
        optimizer.apply_gradients(list(zip(grads, variables, strict=True)))
    return [v.numpy() for v in variables]


def unpack(result, name: str):
    """The (new_w, new_state) a step function returned, or a CheckFailure saying what it was."""
    if not isinstance(result, tuple | list) or len(result) != 2:
        raise CheckFailure(
            f"{name} should return a tuple (new_w, new_state), got {type(result).__name__}"
        )
    new_w, new_state = result
    if not isinstance(new_state, dict):
        raise CheckFailure(f"{name} should return a dict as new_state, got {new_state!r}")
    return new_w, new_state


def learner_trajectory(learner, name: str, w, grads, rates, **hyper):
    """The learner's parameter after stepping through `grads` from state {}."""
    state = {}
    for grad, lr in zip(grads, rates, strict=True):
        w, state = unpack(learner.call(name, w, grad, state, lr=lr, **hyper), name)
    return w


def describe(name: str, steps: int, lr, **hyper) -> str:
    """How a message names the parameter at the end of a trajectory."""
    if isinstance(lr, tuple):
        initial, decay_steps, decay_rate, staircase = lr
        rate = (
            f"lr=exponential_decay(step, {initial:g}, decay_steps={decay_steps}, "
            f"decay_rate={decay_rate:g}, staircase={staircase}) at step 0, 1, ..."
        )
    else:
        rate = f"lr={lr:g}"
    settings = [f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in hyper.items()]
    return f"w after {steps} step(s) of {name}({', '.join([rate, *settings])})"


def tiny_gradients(steps: int = 5) -> tuple[np.ndarray, list[np.ndarray]]:
    w = np.array([0.5, -0.25, 0.0, 1.0])
    return w, [TINY * np.array([1.0, -1.0, 0.5, 2.0])] * steps


def _expect_steps(learner, keras, optimizer, name, w, grads, lr, **hyper):
    """Fail unless the learner's step function `name`, stepped from w through `grads`
    (state {} first, each step at the rate Keras used), ends where Keras' `optimizer` does.

    lr: the learning rate as drawn (a constant or a schedule's tuple), for the message.
    """
    expected, rates = keras_trajectory(keras, optimizer, w, grads)
    got = learner_trajectory(learner, name, w, grads, rates, **hyper)
    expect_close(got, expected, what=describe(name, len(grads), lr, **hyper))


def _expect_tiny_steps(learner, keras, optimizer, name, what: str, **hyper) -> None:
    """As _expect_steps, on tiny_gradients() and to atol=1e-12; a failure adds TINY_NOTE."""
    w, grads = tiny_gradients()
    expected, rates = keras_trajectory(keras, optimizer, w, grads)
    got = learner_trajectory(learner, name, w, grads, rates, **hyper)
    try:
        expect_close(got, expected, what=what, atol=1e-12)
    except CheckFailure as failure:
        raise CheckFailure(f"{failure}\n{TINY_NOTE}") from None


def _differences(before, after, path: str) -> list[str]:
    """Where `after` differs from `before` (nested dicts, lists, arrays, numbers)."""
    if isinstance(before, dict):
        if not isinstance(after, dict) or set(before) != set(after):
            return [path]
        pairs = [(before[k], after[k], f"{path}[{k!r}]") for k in before]
    elif isinstance(before, list | tuple):
        if not isinstance(after, list | tuple) or len(before) != len(after):
            return [path]
        pairs = [(b, a, f"{path}[{i}]") for i, (b, a) in enumerate(zip(before, after, strict=True))]
    else:
        numeric = all(np.asarray(v).dtype.kind in "biuf" for v in (before, after))
        if numeric:
            same = np.shape(before) == np.shape(after) and np.array_equal(
                before, after, equal_nan=True
            )
        else:
            same = type(before) is type(after) and before == after
        return [] if same else [path]
    return [d for b, a, where in pairs for d in _differences(b, a, where)]


def keras_optimizer(keras, kind: str, hyper: dict):
    """A fresh keras.optimizers.<kind> with the settings of a STATEFUL entry."""
    settings = {k: v for k, v in hyper.items() if k != "lr"}
    return getattr(keras.optimizers, kind)(hyper["lr"], **settings)


def keras_slots(optimizer) -> dict[str, np.ndarray]:
    """A Keras optimizer's per-variable arrays, by the end of their names (momentum, velocity)."""
    ends = ("_momentum", "_velocity")
    return {
        v.path.rsplit("_", 1)[1]: v.numpy() for v in optimizer.variables if v.path.endswith(ends)
    }
