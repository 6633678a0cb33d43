"""Checks for exercise 18: SimpleRNN and LSTM cells, forward and backward through time.

Every forward pass is compared with `keras.layers.SimpleRNN` / `keras.layers.LSTM` in
float64 holding the same weights (`set_weights([kernel, recurrent_kernel, bias])`,
`initial_state=[h0]` or `[h0, c0]`); every backward pass with tf.GradientTape of
sum(output * dh_all) through that layer, with respect to x, the initial states and the
layer's weights. Hypothesis draws N 1-4, T 1-12, D 1-6, H 1-8 with D == H in about half
the cases (the only shapes where kernel and recurrent_kernel exchanged still run) and
zero initial states in about half; explicit examples put T = 1, D == H and a zero state
first. Both sides compute in float64 (the reference agrees with Keras to 1e-15), so
forward and backward are held to rtol 1e-7, atol 1e-9.

Named mistakes come from Keras too: the gates read in another order are the LSTM
holding its weights' blocks reordered, the kernels exchanged are the layer holding them
exchanged, and a gradient not carried back through time is the tape through Keras' own
cells with tf.stop_gradient on the state between steps. The tanh derivatives taken at
the wrong value have no Keras form: hidden checks name them (NumPy, in the helpers at
the end, which a release leaves out).
"""

from dataclasses import dataclass, replace
from functools import cache, partial

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from grader.checks.checking import (
    CheckFailure,
    expect_close,
    expect_equal,
    expect_shape,
    hidden,
    naming_overflow,
    points,
)
from grader.checks.mistakes import Mistake
from grader.checks.strategies import float_arrays, seeds, with_examples
from grader.messages import text
from grader.sandbox import LearnerError

RTOL, ATOL = 1e-7, 1e-9  # float64 on both sides
TOLERANCE = "checked to rtol 1e-7, atol 1e-9"
FD_STEP = 1e-6
FD_RTOL, FD_ATOL = 1e-6, 1e-8  # central differences of a loss about 1: errors near 1e-10
KERAS_GATES = ("i", "f", "c", "o")
WRONG_GATE_ORDERS = (("i", "f", "o", "c"), ("f", "i", "c", "o"), ("i", "c", "f", "o"))
RNN_GRADIENTS = ("dx", "dh0", "dkernel", "drecurrent_kernel", "dbias")
LSTM_GRADIENTS = ("dx", "dh0", "dc0", "dkernel", "drecurrent_kernel", "dbias")
RNN_BACKWARD = "rnn_backward(dh_all, x, h0, h_all, kernel, recurrent_kernel)"
LSTM_BACKWARD = "lstm_backward(dh_all, x, h0, c0, kernel, recurrent_kernel, bias)"

# The seed's recurrent network: SimpleRNN(16) + Dense(1), Adam on the MSE, here over its four
# 2-feature points read as one sequence, with a target after every step.
SEED_POINTS = np.array([[[0.1, 0.2], [0.2, 0.3], [0.3, 0.4], [0.4, 0.5]]])
SEED_TARGETS = np.array([[[0.9], [1.0], [1.1], [1.2]]])
SEED_UNITS, SEED_STEPS, SEED_LR = 16, 100, 0.01
SEED_MSE = 1e-4  # the reference reaches 8.5e-6; predicting the targets' mean scores 0.0125
SEED_RTOL = 1e-6  # the loss after each step, against the same training with Keras' gradients


@dataclass(frozen=True)
class Case:
    """One recurrent layer's call: inputs, initial states, weights and an upstream gradient.

    gates is 1 for SimpleRNN, 4 for the LSTM (whose c0 is then used).
    """

    x: np.ndarray
    h0: np.ndarray
    c0: np.ndarray
    kernel: np.ndarray
    recurrent_kernel: np.ndarray
    bias: np.ndarray
    dh_all: np.ndarray
    gates: int

    @property
    def units(self) -> int:
        return self.h0.shape[1]

    @property
    def states(self) -> list[np.ndarray]:
        """The initial states as Keras takes them: [h0], or [h0, c0] for the LSTM."""
        return [self.h0, self.c0] if self.gates == 4 else [self.h0]

    @property
    def weights(self) -> list[np.ndarray]:
        return [self.kernel, self.recurrent_kernel, self.bias]

    def __repr__(self) -> str:
        n, steps, d = self.x.shape
        zero = ", zero initial state" if not self.h0.any() else ""
        return f"N={n}, T={steps}, D={d}, H={self.units}{zero}"


def drawn_case(rng, n: int, steps: int, d: int, units: int, gates: int, zero_state: bool) -> Case:
    """A Case of these sizes with values drawn by rng, scaled so that few units saturate."""
    width = gates * units
    return Case(
        x=rng.standard_normal((n, steps, d)),
        h0=np.zeros((n, units)) if zero_state else rng.uniform(-0.9, 0.9, (n, units)),
        c0=np.zeros((n, units)) if zero_state else rng.standard_normal((n, units)),
        kernel=rng.uniform(-1.0, 1.0, (d, width)) / np.sqrt(d),
        recurrent_kernel=rng.uniform(-1.0, 1.0, (units, width)) / np.sqrt(units),
        bias=rng.uniform(-0.5, 0.5, width),
        dh_all=rng.standard_normal((n, steps, units)),
        gates=gates,
    )


@st.composite
def cases(draw, gates: int):
    """Cases of N 1-4, T 1-12, D 1-6, H 1-8 (H = D about half the time), zero states or not."""
    n, steps, d = draw(st.integers(1, 4)), draw(st.integers(1, 12)), draw(st.integers(1, 6))
    units = d if draw(st.booleans()) else draw(st.integers(1, 8))
    zero_state = draw(st.booleans())
    return drawn_case(np.random.default_rng(draw(seeds)), n, steps, d, units, gates, zero_state)


def explicit_cases(rng, gates: int) -> list[Case]:
    """Tried before the drawn ones: T = 1 with D == H and zero states, D == H, D != H; small
    enough for a failure's report to print the call."""
    return [
        drawn_case(rng, 2, 1, 3, 3, gates, zero_state=True),
        drawn_case(rng, 2, 3, 2, 2, gates, zero_state=False),
        drawn_case(rng, 2, 4, 3, 2, gates, zero_state=False),
    ]


RNN_EXAMPLES = explicit_cases(np.random.default_rng(19), gates=1)
LSTM_EXAMPLES = explicit_cases(np.random.default_rng(22), gates=4)


@st.composite
def gradient_lists(draw):
    """(grads, max_norm): 1-4 float arrays, not all zero (a zero norm has its own check), and
    max_norm from a tenth to three times their global norm."""
    arrays = st.lists(float_arrays(bound=5.0), min_size=1, max_size=4)
    grads = draw(arrays.filter(lambda drawn: any(np.any(g) for g in drawn)))
    norm = np.sqrt(sum(float(np.sum(g**2)) for g in grads))
    return grads, float(draw(st.sampled_from([0.1, 0.5, 0.9, 1.5, 3.0])) * norm)


# ---------------------------------------------------------------- SimpleRNN


@points(2)
@given(case=cases(gates=1))
@with_examples(RNN_EXAMPLES)
def test_rnn_step_forward_matches_keras_simple_rnn(learner, keras, case):
    step = replace(case, x=case.x[:, :1])
    got = learner.rnn_step_forward(step.x[:, 0], step.h0, *step.weights)
    expected = _keras_forward(keras, step)[1]
    what = f"rnn_step_forward(x_t, h_prev, kernel, recurrent_kernel, bias) ({TOLERANCE})"
    expect_close(
        got, expected, what=what, rtol=RTOL, atol=ATOL, mistakes=_forward_mistakes(keras, step, 1)
    )


@points(2)
@given(case=cases(gates=1))
@with_examples(RNN_EXAMPLES)
def test_rnn_forward_matches_keras_simple_rnn(learner, keras, case):
    got = _unpack(learner.rnn_forward(case.x, case.h0, *case.weights), "rnn_forward", 2)
    expected = _keras_forward(keras, case)
    names = ("h_all (return_sequences=True)", "h_last")
    for index, (value, want, name) in enumerate(zip(got, expected, names, strict=True)):
        what = f"{name} of rnn_forward(x, h0, kernel, recurrent_kernel, bias) ({TOLERANCE})"
        mistakes = _forward_mistakes(keras, case, index)
        expect_close(value, want, what=what, rtol=RTOL, atol=ATOL, mistakes=mistakes)


@points(4)
@given(case=cases(gates=1))
@with_examples(RNN_EXAMPLES)
def test_rnn_backward_matches_gradient_tape(learner, tf, keras, case):
    _expect_rnn_backward(learner, tf, keras, case)


@hidden
@points(1)
@given(case=cases(gates=1))
@with_examples(RNN_EXAMPLES)
def test_rnn_backward_with_only_the_last_state_used_matches_gradient_tape(learner, tf, keras, case):
    _expect_rnn_backward(learner, tf, keras, _last_state_only(case))


@points(1)
def test_rnn_backward_agrees_with_finite_differences_of_your_rnn_forward(learner):
    case = drawn_case(np.random.default_rng(7), 2, 3, 2, 3, gates=1, zero_state=False)
    arrays = [case.x, case.h0, *case.weights]
    h_all = _unpack(learner.rnn_forward(*arrays), "rnn_forward", 2)[0]
    got = _unpack(
        learner.rnn_backward(case.dh_all, case.x, case.h0, h_all, *case.weights[:2]),
        "rnn_backward",
        5,
    )
    expected = _finite_differences(learner, "rnn_forward", arrays, case.dh_all, 2)
    _expect_finite_differences(got, expected, RNN_GRADIENTS, RNN_BACKWARD, "rnn_forward")


@hidden
@points(1)
@given(case=cases(gates=1))
@with_examples(RNN_EXAMPLES)
def test_rnn_backward_takes_the_tanh_derivative_at_the_steps_output(learner, tf, keras, case):
    tanh_mistakes = partial(_rnn_backward_tanh_mistakes, case)
    _expect_rnn_backward(learner, tf, keras, case, extra=tanh_mistakes)


# ---------------------------------------------------------------- sigmoid


@points(1)
@given(z=float_arrays(bound=30.0))
def test_gate_sigmoid_matches_tensorflow(learner, tf, z):
    expect_close(learner.sigmoid(z), tf.nn.sigmoid(z), what="sigmoid(z)")


@hidden
@points(1)
def test_gate_sigmoid_is_stable_for_huge_inputs(learner, tf):
    z = np.array([[-1000.0, -710.0, -40.0, 0.0], [40.0, 710.0, 1000.0, -1e4]])
    with naming_overflow("sigmoid_overflow"):
        got = learner.call("sigmoid", z, float_errors="raise")
    expect_close(got, tf.nn.sigmoid(z), what="sigmoid(z) for |z| up to 1e4")


# ---------------------------------------------------------------- LSTM


@points(2)
@given(case=cases(gates=4))
@with_examples(LSTM_EXAMPLES)
def test_lstm_step_forward_matches_keras_lstm(learner, keras, case):
    step = replace(case, x=case.x[:, :1])
    got = _unpack(
        learner.lstm_step_forward(step.x[:, 0], step.h0, step.c0, *step.weights),
        "lstm_step_forward",
        2,
    )
    expected = _keras_forward(keras, step)[1:]
    for index, (value, want, name) in enumerate(zip(got, expected, ("h_t", "c_t"), strict=True)):
        what = (
            f"{name} of lstm_step_forward(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias) "
            f"({TOLERANCE})"
        )
        mistakes = _forward_mistakes(keras, step, index + 1)
        expect_close(value, want, what=what, rtol=RTOL, atol=ATOL, mistakes=mistakes)


@points(2)
@given(case=cases(gates=4))
@with_examples(LSTM_EXAMPLES)
def test_lstm_forward_matches_keras_lstm(learner, keras, case):
    got = _unpack(learner.lstm_forward(case.x, case.h0, case.c0, *case.weights), "lstm_forward", 3)
    expected = _keras_forward(keras, case)
    names = ("h_all (return_sequences=True)", "h_last", "c_last")
    for index, (value, want, name) in enumerate(zip(got, expected, names, strict=True)):
        what = f"{name} of lstm_forward(x, h0, c0, kernel, recurrent_kernel, bias) ({TOLERANCE})"
        mistakes = _forward_mistakes(keras, case, index)
        expect_close(value, want, what=what, rtol=RTOL, atol=ATOL, mistakes=mistakes)


@points(4)
@given(case=cases(gates=4))
@with_examples(LSTM_EXAMPLES)
def test_lstm_backward_matches_gradient_tape(learner, tf, keras, case):
    _expect_lstm_backward(learner, tf, keras, case)


@hidden
@points(1)
@given(case=cases(gates=4))
@with_examples(LSTM_EXAMPLES)
def test_lstm_backward_with_only_the_last_state_used_matches_gradient_tape(
    learner, tf, keras, case
):
    _expect_lstm_backward(learner, tf, keras, _last_state_only(case))


@points(1)
def test_lstm_backward_agrees_with_finite_differences_of_your_lstm_forward(learner):
    case = drawn_case(np.random.default_rng(8), 2, 3, 2, 2, gates=4, zero_state=False)
    arrays = [case.x, case.h0, case.c0, *case.weights]
    got = _unpack(learner.lstm_backward(case.dh_all, *arrays), "lstm_backward", 6)
    expected = _finite_differences(learner, "lstm_forward", arrays, case.dh_all, 3)
    _expect_finite_differences(got, expected, LSTM_GRADIENTS, LSTM_BACKWARD, "lstm_forward")


@hidden
@points(1)
@given(case=cases(gates=4))
@with_examples(LSTM_EXAMPLES)
def test_lstm_backward_takes_tanh_derivatives_at_the_tanh_outputs(learner, tf, keras, case):
    tanh_mistakes = partial(_lstm_backward_tanh_mistakes, case)
    _expect_lstm_backward(learner, tf, keras, case, extra=tanh_mistakes)


@hidden
@points(1)
def test_lstm_forward_is_stable_when_its_gates_saturate(learner, keras, check_seed):
    rng = np.random.default_rng(check_seed(18))
    case = drawn_case(rng, 3, 6, 4, 5, gates=4, zero_state=False)
    case = replace(case, kernel=2000.0 * case.kernel, bias=2000.0 * case.bias)
    with naming_overflow("sigmoid_overflow"):
        got = learner.call(
            "lstm_forward", case.x, case.h0, case.c0, *case.weights, float_errors="raise"
        )
    got = _unpack(got, "lstm_forward", 3)
    what = "h_all of lstm_forward with pre-activations in the thousands"
    expect_close(got[0], _keras_forward(keras, case)[0], what=what, rtol=RTOL, atol=ATOL)


@points(1)
def test_lstm_bias_init_matches_keras_unit_forget_bias(learner, keras):
    for units in (1, 3, 8):
        got = learner.lstm_bias_init(units)
        layer = keras.layers.LSTM(units, dtype="float64")
        layer.build((None, None, 2))
        expected = np.asarray(layer.get_weights()[2])
        what = f"lstm_bias_init({units})"
        expect_close(got, expected, what=what, mistakes=_forget_bias_mistakes(units))
        expect_equal(str(np.asarray(got).dtype), "float64", what=f"the dtype of {what}")


# ---------------------------------------------------------------- clip_gradients


@points(2)
@given(drawn=gradient_lists())
def test_clip_gradients_matches_tf_clip_by_global_norm(learner, tf, drawn):
    grads, max_norm = drawn
    _expect_clipped(learner, tf, grads, max_norm)


@hidden
@points(1)
def test_clip_gradients_keeps_none_entries_in_their_places(learner, tf):
    grads = [np.array([3.0, 4.0]), None, np.array([[12.0]]), None]
    try:
        _expect_clipped(learner, tf, grads, 6.5)
    except LearnerError as error:
        raise CheckFailure(f"{error}\n{text('clip_none_not_kept')}") from None


@hidden
@points(1)
def test_clip_gradients_with_a_zero_or_non_finite_norm_matches_tensorflow(learner, tf):
    zero = [np.zeros((2, 2)), np.zeros(3)]
    try:
        _expect_clipped(learner, tf, zero, 1.0, "a zero global norm (nothing to scale)")
    except LearnerError as error:
        raise CheckFailure(f"{error}\n{text('clip_scaled_up')}") from None
    for bad in (np.inf, np.nan):
        grads = [np.array([1.0, bad]), np.array([[2.0, 3.0]])]
        _expect_clipped(learner, tf, grads, 1.0, f"a global norm of {bad} (all NaN, as TensorFlow)")


# ---------------------------------------------------------------- every function


@hidden
@points(1)
def test_recurrent_functions_leave_their_inputs_unchanged(learner, tf, keras):
    rnn, lstm = RNN_EXAMPLES[1], LSTM_EXAMPLES[1]
    h_all = _keras_forward(keras, rnn)[0]
    calls = [
        ("rnn_step_forward", (rnn.x[:, 0], rnn.h0, *rnn.weights)),
        ("rnn_forward", (rnn.x, rnn.h0, *rnn.weights)),
        ("rnn_backward", (rnn.dh_all, rnn.x, rnn.h0, h_all, *rnn.weights[:2])),
        ("sigmoid", (lstm.x,)),
        ("lstm_step_forward", (lstm.x[:, 0], lstm.h0, lstm.c0, *lstm.weights)),
        ("lstm_forward", (lstm.x, lstm.h0, lstm.c0, *lstm.weights)),
        ("lstm_backward", (lstm.dh_all, lstm.x, lstm.h0, lstm.c0, *lstm.weights)),
        ("clip_gradients", ([rnn.kernel, None, rnn.bias], 0.5)),
    ]
    for name, args in calls:
        # The worker gets copies: what it echoes back is what the call left in them.
        _, after, _ = learner.call(name, *args, echo_args=True)
        for position, (before, now) in enumerate(zip(args, after, strict=True)):
            if not _unchanged(before, now):
                raise CheckFailure(
                    f"{name} changed its argument {position + 1} in place: build new "
                    "arrays (h = np.tanh(...), g * scale), never write into the inputs"
                )
    # Leaving the inputs alone counts only for functions that also compute their answers.
    try:
        _expect_rnn_backward(learner, tf, keras, rnn)
        _expect_lstm_backward(learner, tf, keras, lstm)
        _expect_clipped(learner, tf, [rnn.kernel, None, rnn.bias], 0.5)
    except CheckFailure as failure:
        raise CheckFailure(
            "no input was changed in place, but this point also needs the right answers:\n"
            f"{failure}"
        ) from None


# ---------------------------------------------------------------- the seed's example


@points(2)
def test_simple_rnn_with_a_dense_readout_fits_the_seed_example(learner, tf, keras, note):
    losses = _train_on_seed_points(tf, keras, learner)
    keras_losses = _train_on_seed_points(tf, keras, None)
    note(
        f"SimpleRNN({SEED_UNITS}) + Dense(1), {SEED_STEPS} Adam steps of lr {SEED_LR}: "
        f"MSE {losses[-1]:.3g} with your cell, {keras_losses[-1]:.3g} with Keras' "
        f"(the bar: below {SEED_MSE:g})"
    )
    if not losses[-1] < SEED_MSE:
        raise CheckFailure(
            f"after {SEED_STEPS} Adam steps the MSE is {losses[-1]:.3g}, not below {SEED_MSE:g}"
        )
    # Sixteen units can fit four targets through the readout alone: the cell's gradients
    # must also be Keras' for the training to take Keras' path.
    expect_close(
        losses,
        keras_losses,
        what=f"the MSE before each of the {SEED_STEPS} Adam steps and after the last, with "
        f"your cell against Keras' own gradients from the same start (rtol {SEED_RTOL:g})",
        rtol=SEED_RTOL,
        atol=0.0,
    )


# ---------------------------------------------------------------- helpers


def _unpack(result, function: str, count: int) -> tuple:
    """The learner's `count` results as a tuple; a plain message when it returned another thing."""
    if not isinstance(result, tuple | list) or len(result) != count:
        got = f"{len(result)} values" if isinstance(result, tuple | list) else type(result).__name__
        raise CheckFailure(f"{function} should return a tuple of {count} arrays, got {got}")
    return tuple(result)


def _layer(keras, case: Case, return_sequences: bool = True):
    """keras.layers.SimpleRNN (gates 1) or LSTM (gates 4) in float64 with the case's weights."""
    kind = keras.layers.LSTM if case.gates == 4 else keras.layers.SimpleRNN
    layer = kind(case.units, dtype="float64", return_sequences=return_sequences, return_state=True)
    layer.build((None, None, case.x.shape[2]))
    layer.set_weights(case.weights)
    return layer


def _keras_forward(keras, case: Case) -> list[np.ndarray]:
    """Keras' [h_all, h_last] (SimpleRNN) or [h_all, h_last, c_last] (LSTM) for the case."""
    layer = _layer(keras, case)
    return [np.asarray(v) for v in layer(case.x, initial_state=case.states)]


def _keras_gradients(tf, keras, case: Case) -> list[np.ndarray]:
    """tf.GradientTape of sum(h_all * dh_all) through the Keras layer: gradients with respect
    to x, the initial states, kernel, recurrent_kernel and bias, in that order."""
    layer = _layer(keras, case)
    inputs = [tf.constant(a) for a in [case.x, *case.states]]
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        h_all = layer(inputs[0], initial_state=inputs[1:])[0]
    wrt = [*inputs, *layer.trainable_variables]
    gradients = tape.gradient(h_all, wrt, output_gradients=tf.constant(case.dh_all))
    return [np.asarray(g) for g in gradients]


def _keras_gradients_not_carried(tf, keras, case: Case, carried: tuple[bool, ...]):
    """The gradients of _keras_gradients with some of the state not carried back in time.

    Keras' own cell (SimpleRNNCell / LSTMCell, the layer's step) runs step by step under
    the tape; carried[k] False puts tf.stop_gradient on state k (h, then c) between steps,
    so each step's gradient into it stays at that step (it still reaches h0 and c0).
    """
    kind = keras.layers.LSTMCell if case.gates == 4 else keras.layers.SimpleRNNCell
    cell = kind(case.units, dtype="float64")
    cell.build((None, case.x.shape[2]))
    cell.set_weights(case.weights)
    inputs = [tf.constant(a) for a in [case.x, *case.states]]
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        states, outputs = inputs[1:], []
        for t in range(case.x.shape[1]):
            output, states = cell(inputs[0][:, t], states)
            states = [
                s if keep else tf.stop_gradient(s) for s, keep in zip(states, carried, strict=True)
            ]
            outputs.append(output)
        h_all = tf.stack(outputs, axis=1)
    wrt = [*inputs, *cell.trainable_variables]
    gradients = tape.gradient(h_all, wrt, output_gradients=tf.constant(case.dh_all))
    return [
        np.zeros(w.shape) if g is None else np.asarray(g)
        for g, w in zip(gradients, wrt, strict=True)
    ]


def _forward_mistakes(keras, case: Case, index: int):
    """A callable giving output `index`'s named mistakes (computed only when it is wrong)."""

    def mistakes() -> list[Mistake]:
        exchanged = replace(case, kernel=case.recurrent_kernel, recurrent_kernel=case.kernel)
        found = [Mistake(partial(_keras_output, keras, exchanged, index), "kernels_swapped")]
        for order in WRONG_GATE_ORDERS if case.gates == 4 else ():
            reordered = replace(
                case,
                kernel=_reorder_gates(case.kernel, order),
                recurrent_kernel=_reorder_gates(case.recurrent_kernel, order),
                bias=_reorder_gates(case.bias, order),
            )
            name = text("lstm_gate_order", order=", ".join(order))
            found.append(Mistake(partial(_keras_output, keras, reordered, index), name))
        return found

    return mistakes


def _keras_output(keras, case: Case, index: int) -> np.ndarray:
    return _keras_forward(keras, case)[index]


def _reorder_gates(weights: np.ndarray, order: tuple[str, ...]) -> np.ndarray:
    """Weights whose blocks Keras reads as i, f, c, o where a learner reads them in `order`.

    A learner taking block k as gate order[k] computes what Keras computes from these.
    """
    blocks = np.reshape(weights, (*weights.shape[:-1], 4, -1))
    taken = [order.index(gate) for gate in KERAS_GATES]
    return np.reshape(blocks[..., taken, :], weights.shape)


def _carry_mistakes(tf, keras, case: Case) -> list[tuple]:
    """(lazy gradients, name) of the gradients not carried back through time."""
    if case.gates == 1:
        variants = [((False,), "bptt_h_not_carried")]
    else:
        variants = [
            ((False, True), "lstm_dh_not_carried"),
            ((True, False), "lstm_dc_not_carried"),
            ((False, False), "lstm_nothing_carried"),
        ]
    return [
        (cache(partial(_keras_gradients_not_carried, tf, keras, case, carried)), name)
        for carried, name in variants
    ]


def _expect_gradients(got, expected, names, what, variants) -> None:
    """expect_close on each gradient, naming the wrong gradients it matches.

    variants: a callable giving (lazy gradients, name) pairs, called only on a failure.
    """
    for index, (value, want, name) in enumerate(zip(got, expected, names, strict=True)):
        mistakes = partial(_mistakes_of_gradient, variants, index)
        expect_close(
            value,
            want,
            what=f"{name} of {what} ({TOLERANCE})",
            rtol=RTOL,
            atol=ATOL,
            mistakes=mistakes,
        )


def _mistakes_of_gradient(variants, index: int) -> list[Mistake]:
    return [Mistake(partial(_item, lazy, index), name) for lazy, name in variants()]


def _item(lazy, index: int):
    return lazy()[index]


def _backward_variants(tf, keras, case: Case, extra) -> list[tuple]:
    """The carry mistakes of the case, then those `extra()` gives (when extra is not None)."""
    return _carry_mistakes(tf, keras, case) + (extra() if extra else [])


def _expect_rnn_backward(learner, tf, keras, case: Case, extra=None) -> None:
    """Fail unless the learner's rnn_backward on the case is the tape's, naming the mistakes
    of _carry_mistakes and those `extra()` gives."""
    h_all = _keras_forward(keras, case)[0]
    result = learner.rnn_backward(case.dh_all, case.x, case.h0, h_all, *case.weights[:2])
    got = _unpack(result, "rnn_backward", 5)
    variants = cache(partial(_backward_variants, tf, keras, case, extra))
    expected = _keras_gradients(tf, keras, case)
    _expect_gradients(got, expected, RNN_GRADIENTS, RNN_BACKWARD, variants)


def _expect_lstm_backward(learner, tf, keras, case: Case, extra=None) -> None:
    """Fail unless the learner's lstm_backward on the case is the tape's (as above)."""
    result = learner.lstm_backward(case.dh_all, case.x, case.h0, case.c0, *case.weights)
    got = _unpack(result, "lstm_backward", 6)
    variants = cache(partial(_backward_variants, tf, keras, case, extra))
    expected = _keras_gradients(tf, keras, case)
    _expect_gradients(got, expected, LSTM_GRADIENTS, LSTM_BACKWARD, variants)


def _last_state_only(case: Case) -> Case:
    """The case with dh_all zero but at the last step: a layer whose last state alone is used."""
    dh_all = np.zeros_like(case.dh_all)
    dh_all[:, -1] = case.dh_all[:, -1]
    return replace(case, dh_all=dh_all)


def _finite_differences(learner, forward: str, arrays: list, dh_all, count: int):
    """Central differences of sum(h_all * dh_all), h_all the first of the `count` results of
    the learner's `forward`, with respect to every element of every array of `arrays` (its
    arguments); a list of arrays shaped like them."""
    gradients = []
    for position, array in enumerate(arrays):
        gradient = np.zeros(array.shape)
        for index in np.ndindex(array.shape):
            losses, moved_by = [], []
            for sign in (1.0, -1.0):
                moved = list(arrays)
                moved[position] = array.copy()
                moved[position][index] += sign * FD_STEP
                moved_by.append(moved[position][index])
                h_all = _unpack(learner.call(forward, *moved), forward, count)[0]
                losses.append(np.sum(np.asarray(h_all) * dh_all))
            gradient[index] = (losses[0] - losses[1]) / (moved_by[0] - moved_by[1])
        gradients.append(gradient)
    return gradients


def _expect_finite_differences(got, expected, names, what, forward: str) -> None:
    """expect_close on each of the learner's gradients against its finite differences."""
    for value, want, name in zip(got, expected, names, strict=True):
        expect_close(
            value,
            want,
            what=f"{name} of {what} against central differences of your own {forward} "
            f"(step {FD_STEP:g}, rtol {FD_RTOL:g}, atol {FD_ATOL:g}; if {forward} fails its "
            "check, mend it first)",
            rtol=FD_RTOL,
            atol=FD_ATOL,
        )


def _forget_bias_mistakes(units: int) -> list[Mistake]:
    """lstm_bias_init's wrong answers: all zeros, all ones, the ones in another gate's block."""
    found = [
        Mistake(np.reshape(np.zeros((4, units)), -1), "forget_bias_not_one"),
        Mistake(np.reshape(np.ones((4, units)), -1), "forget_bias_everywhere"),
    ]
    for block in (0, 2, 3):  # i, c, o
        wrong = np.zeros((4, units))
        wrong[block] = 1.0
        found.append(Mistake(np.reshape(wrong, -1), "forget_bias_in_another_block"))
    return found


def _expect_clipped(learner, tf, grads: list, max_norm: float, what: str = "") -> None:
    """Fail unless the learner's clip_gradients(grads, max_norm) is tf.clip_by_global_norm's."""
    call = f"clip_gradients(grads, max_norm={max_norm:g})" + (f" for {what}" if what else "")
    tensors = [None if g is None else tf.constant(g, tf.float64) for g in grads]
    expected, norm = tf.clip_by_global_norm(tensors, max_norm)
    present = [t for t in tensors if t is not None]
    got = _unpack(learner.clip_gradients(grads, max_norm), "clip_gradients", 2)
    clipped, got_norm = got
    if not isinstance(clipped, list | tuple) or len(clipped) != len(grads):
        size = len(clipped) if isinstance(clipped, list | tuple) else type(clipped).__name__
        raise CheckFailure(
            f"the first result of {call} should be a list of {len(grads)} entries, got {size}"
            + (f"\n{text('clip_none_not_kept')}" if any(g is None for g in grads) else "")
        )
    for position, (value, want) in enumerate(zip(clipped, expected, strict=True)):
        if want is None or value is None:
            if value is not want:
                kinds = ["None" if v is None else "an array" for v in (value, want)]
                raise CheckFailure(
                    f"entry {position} of the list {call} returns is {kinds[0]}, expected "
                    f"{kinds[1]}\n{text('clip_none_not_kept')}"
                )
            continue
        source = tensors[position]
        mistakes = [
            Mistake(tf.clip_by_norm(source, max_norm), "clip_per_array"),
            Mistake(source * (max_norm / tf.linalg.global_norm(present)), "clip_scaled_up"),
        ]
        expect_close(
            value, want, what=f"entry {position} of the list {call} returns", mistakes=mistakes
        )
    mistakes = [Mistake(tf.linalg.global_norm(expected), "clip_norm_after_clipping")]
    expect_close(got_norm, norm, what=f"the global norm {call} returns", mistakes=mistakes)


def _unchanged(before, after) -> bool:
    """Whether an argument (an array, a list of arrays and None, a number) came back as sent."""
    if isinstance(before, list):
        return (
            isinstance(after, list)
            and len(after) == len(before)
            and all(_unchanged(b, a) for b, a in zip(before, after, strict=True))
        )
    if before is None or after is None:
        return before is after
    return bool(np.array_equal(np.asarray(after), before, equal_nan=True))


def _train_on_seed_points(tf, keras, learner) -> list[float]:
    """The MSE before each of SEED_STEPS Adam steps and after the last one, training
    SimpleRNN(SEED_UNITS, return_sequences=True) + Dense(1) on the seed's points from a
    fixed start: through Keras' layer under a tape (learner None), or with the learner's
    rnn_forward and rnn_backward for the SimpleRNN and the tape for the Dense readout."""
    rnn = keras.layers.SimpleRNN(
        SEED_UNITS,
        return_sequences=True,
        dtype="float64",
        kernel_initializer=keras.initializers.GlorotUniform(seed=1),
        recurrent_initializer=keras.initializers.Orthogonal(seed=2),
    )
    dense = keras.layers.Dense(
        1, dtype="float64", kernel_initializer=keras.initializers.GlorotUniform(seed=3)
    )
    rnn.build((None, None, SEED_POINTS.shape[2]))
    dense.build((None, None, SEED_UNITS))
    variables = [*rnn.trainable_variables, *dense.trainable_variables]
    optimizer = keras.optimizers.Adam(SEED_LR)
    h0 = np.zeros((1, SEED_UNITS))
    losses = []
    for step in range(SEED_STEPS + 1):
        weights = [np.asarray(v) for v in rnn.trainable_variables]
        with tf.GradientTape() as tape:
            if learner is None:
                h_all = rnn(SEED_POINTS)
            else:
                got = _unpack(learner.rnn_forward(SEED_POINTS, h0, *weights), "rnn_forward", 2)
                h_all = tf.constant(expect_shape(got[0], (1, 4, SEED_UNITS), "h_all"))
                tape.watch(h_all)
            loss = tf.reduce_mean(tf.square(dense(h_all) - SEED_TARGETS))
        losses.append(float(loss))
        if step == SEED_STEPS:
            break
        if learner is None:
            gradients = tape.gradient(loss, variables)
        else:
            dh_all, *readout = tape.gradient(loss, [h_all, *dense.trainable_variables])
            result = learner.rnn_backward(
                np.asarray(dh_all), SEED_POINTS, h0, np.asarray(h_all), *weights[:2]
            )
            _, _, *cell = _unpack(result, "rnn_backward", 5)
            for value, weight, name in zip(cell, weights, RNN_GRADIENTS[2:], strict=True):
                expect_shape(value, weight.shape, f"{name} of rnn_backward")
            gradients = [*(tf.constant(np.asarray(g, dtype=np.float64)) for g in cell), *readout]
        optimizer.apply_gradients(zip(gradients, variables, strict=True))
    return losses


# ---- hidden checks' helpers: the tanh derivatives taken at the wrong value, in NumPy


def _rnn_backward_tanh_mistakes(case: Case) -> list[tuple]:
    """(lazy gradients, name) of rnn_backward with the tanh derivative at h_prev, and at
    the pre-activation a (1 - a**2)."""
    h_all, pre = _numpy_rnn_forward(case)
    previous = np.concatenate([case.h0[:, None], h_all[:, :-1]], axis=1)
    return [
        (
            cache(partial(_numpy_rnn_backward, case, h_all, 1.0 - previous**2)),
            "tanh_derivative_at_h_prev",
        ),
        (
            cache(partial(_numpy_rnn_backward, case, h_all, 1.0 - pre**2)),
            "tanh_derivative_at_pre_activation",
        ),
    ]


def _numpy_rnn_forward(case: Case):
    """(h_all, pre-activations), both (N, T, H)."""
    h, states, pre = case.h0, [], []
    for t in range(case.x.shape[1]):
        a = case.x[:, t] @ case.kernel + h @ case.recurrent_kernel + case.bias
        h = np.tanh(a)
        states.append(h)
        pre.append(a)
    return np.stack(states, axis=1), np.stack(pre, axis=1)


def _numpy_rnn_backward(case: Case, h_all, derivative) -> list[np.ndarray]:
    """Backpropagation through time with the tanh's derivative at each step given."""
    dx, dh_next = np.zeros(case.x.shape), np.zeros(case.h0.shape)
    dweights = [np.zeros(w.shape) for w in case.weights]
    for t in reversed(range(case.x.shape[1])):
        previous = h_all[:, t - 1] if t > 0 else case.h0
        da = (case.dh_all[:, t] + dh_next) * derivative[:, t]
        dx[:, t] = da @ case.kernel.T
        steps = (case.x[:, t].T @ da, previous.T @ da, da.sum(0))
        for dweight, value in zip(dweights, steps, strict=True):
            dweight += value
        dh_next = da @ case.recurrent_kernel.T
    return [dx, dh_next, *dweights]


def _lstm_backward_tanh_mistakes(case: Case) -> list[tuple]:
    """(lazy gradients, name) of lstm_backward with tanh's derivative taken as 1 - c_t**2
    instead of 1 - tanh(c_t)**2, and as 1 - z_g**2 instead of 1 - g**2."""
    return [
        (
            cache(partial(_numpy_lstm_backward, case, wrong_c=True)),
            "tanh_derivative_at_pre_activation",
        ),
        (
            cache(partial(_numpy_lstm_backward, case, wrong_g=True)),
            "tanh_derivative_at_pre_activation",
        ),
    ]


def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _numpy_lstm_backward(case: Case, wrong_c: bool = False, wrong_g: bool = False):
    """lstm_backward with the tanh derivative of c_t (wrong_c) or of the candidate (wrong_g)
    taken at the tanh's input."""
    units, h, c, saved = case.units, case.h0, case.c0, []
    for t in range(case.x.shape[1]):
        z = case.x[:, t] @ case.kernel + h @ case.recurrent_kernel + case.bias
        i, f, o = (_sigmoid(z[:, k * units : (k + 1) * units]) for k in (0, 1, 3))
        zg = z[:, 2 * units : 3 * units]
        g = np.tanh(zg)
        c_new = f * c + i * g
        saved.append((h, c, i, f, g, zg, o, c_new))
        h, c = o * np.tanh(c_new), c_new
    dx = np.zeros(case.x.shape)
    dweights = [np.zeros(w.shape) for w in case.weights]
    dh_next, dc_next = np.zeros(case.h0.shape), np.zeros(case.c0.shape)
    for t in reversed(range(case.x.shape[1])):
        h_prev, c_prev, i, f, g, zg, o, c_t = saved[t]
        dh = case.dh_all[:, t] + dh_next
        tanh_c = np.tanh(c_t)
        dc = dc_next + dh * o * (1.0 - (c_t if wrong_c else tanh_c) ** 2)
        dg = dc * i * (1.0 - (zg if wrong_g else g) ** 2)
        dz = np.concatenate(
            [dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dg, dh * tanh_c * o * (1 - o)], axis=1
        )
        dx[:, t] = dz @ case.kernel.T
        steps = (case.x[:, t].T @ dz, h_prev.T @ dz, dz.sum(0))
        for dweight, value in zip(dweights, steps, strict=True):
            dweight += value
        dh_next, dc_next = dz @ case.recurrent_kernel.T, dc * f
    return [dx, dh_next, dc_next, *dweights]
