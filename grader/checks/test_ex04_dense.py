"""Checks for exercise 4: the dense layer, against TensorFlow and Keras."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from grader.checks.checking import CheckFailure, expect_close, expect_equal, hidden, points
from grader.checks.mistakes import Mistake
from grader.checks.strategies import seeds
from grader.engine.oracles import tf_gradient


class DenseCase:
    """A dense layer's inputs; shown to the learner by its shapes when a check fails."""

    def __init__(self, x, w, b, dout):
        self.x, self.w, self.b, self.dout = x, w, b, dout

    def __repr__(self) -> str:
        return f"x of shape {self.x.shape}, w of shape {self.w.shape}, b of shape {self.b.shape}"


@st.composite
def dense_cases(draw, max_batch=4, max_units=12):
    """Random float64 x (N, n_in), w (n_in, n_out), b (n_out,) and dout (N, n_out)."""
    n = draw(st.integers(1, max_batch))
    n_in, n_out = draw(st.integers(1, max_units)), draw(st.integers(1, max_units))
    rng = np.random.default_rng(draw(seeds))
    return DenseCase(
        x=rng.standard_normal((n, n_in)),
        w=rng.standard_normal((n_in, n_out)),
        b=rng.standard_normal(n_out),
        dout=rng.standard_normal((n, n_out)),
    )


@points(2)
@given(case=dense_cases())
def test_dense_forward_matches_tensorflow(learner, tf, case):
    product = tf.matmul(tf.constant(case.x), tf.constant(case.w)).numpy()
    got = learner.dense_forward(case.x, case.w, case.b)
    expect_close(
        got,
        product + case.b,
        what="dense_forward(x, w, b)",
        mistakes=[Mistake(product, "looks like the bias b was not added")],
    )


@points(1)
def test_dense_forward_worked_example(learner):
    x, w, b = np.array([[1.0, 2.0]]), np.array([[1.0, 0, 1], [0, 1, 1]]), np.array([0.0, 0, 10])
    got = learner.dense_forward(x, w, b)
    expect_close(got, [[1.0, 2.0, 13.0]], what="dense_forward([[1, 2]], [[1, 0, 1], [0, 1, 1]], b)")


@points(2)
@given(case=dense_cases())
def test_dense_backward_input_gradient_matches_gradient_tape(learner, tf, case):
    _expect_gradient(learner, tf, case, 0, "dx of dense_backward(dout, x, w)")


@points(2)
@given(case=dense_cases())
def test_dense_backward_weight_gradient_matches_gradient_tape(learner, tf, case):
    _expect_gradient(learner, tf, case, 1, "dw of dense_backward(dout, x, w)")


@hidden
@points(1)
@given(case=dense_cases())
def test_dense_backward_bias_gradient_is_summed_over_the_batch(learner, tf, case):
    _, _, expected = _tape(tf, case)
    got = np.asarray(_backward(learner, case, 2))
    n = case.x.shape[0]
    if got.shape == case.dout.shape and n > 1:
        raise CheckFailure(
            f"db has shape {got.shape}, one row per sample: sum dout over the batch "
            f"(axis 0) to get shape {expected.shape}"
        )
    try:
        expect_close(got, expected, what="db of dense_backward(dout, x, w)")
    except CheckFailure as failure:
        if got.shape == expected.shape and n > 1 and np.allclose(got * n, expected):
            raise CheckFailure(
                f"{failure}\ndb looks like the mean over the batch: sum it"
            ) from None
        raise


@hidden
@points(1)
@given(n_in=st.integers(1, 5000), n_out=st.integers(1, 5000))
def test_dense_param_count_is_weights_plus_biases(learner, n_in, n_out):
    got = learner.dense_param_count(n_in, n_out)
    expect_equal(got, n_in * n_out + n_out, what=f"dense_param_count({n_in}, {n_out})")


@points(2)
def test_mlp_param_count_of_the_mnist_network_matches_keras_summary(learner, keras):
    sizes = [784, 128, 128, 10]
    model = keras.Sequential(
        [keras.Input((sizes[0],))] + [keras.layers.Dense(units) for units in sizes[1:]]
    )
    expected = int(model.count_params())
    got = learner.mlp_param_count(sizes)
    if got == sum(a * b for a, b in zip(sizes[:-1], sizes[1:], strict=False)):
        raise CheckFailure(f"mlp_param_count({sizes}) is {got!r}: the biases are missing")
    expect_equal(got, expected, what=f"mlp_param_count({sizes}) (Keras' model.summary() says)")


@hidden
@points(1)
@given(sizes=st.lists(st.integers(1, 300), min_size=2, max_size=6))
def test_mlp_param_count_adds_up_every_layer(learner, sizes):
    expected = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:], strict=False))
    expect_equal(learner.mlp_param_count(sizes), expected, what=f"mlp_param_count({sizes})")


# ---------------------------------------------------------------- helpers


def _expect_gradient(learner, tf, case, which, what):
    """Fail unless gradient `which` (0, 1, 2: dx, dw, db) of the learner's dense_backward
    is tf.GradientTape's."""
    expected = _tape(tf, case)[which]
    got = _backward(learner, case, which)
    expect_close(got, expected, what=what)


def _tape(tf, case):
    """(dx, dw, db) of sum((x @ w + b) * dout), by tf.GradientTape in float64."""
    return tf_gradient(lambda x, w, b: tf.matmul(x, w) + b, [case.x, case.w, case.b], case.dout)


def _backward(learner, case, which):
    """The learner's dense_backward as a 3-tuple; `which` in 0, 1, 2 picks dx, dw, db."""
    result = learner.dense_backward(case.dout, case.x, case.w)
    if not isinstance(result, tuple | list) or len(result) != 3:
        raise CheckFailure(
            f"dense_backward should return a tuple (dx, dw, db), got {type(result).__name__}"
            + (f" of length {len(result)}" if isinstance(result, tuple | list) else "")
        )
    return result[which]
