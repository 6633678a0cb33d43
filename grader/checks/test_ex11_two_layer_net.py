"""Checks for exercise 11: a two-layer network, against TensorFlow and on the quadrant task.

The learner's TwoLayerNet lives in the worker: `learner.TwoLayerNet(...)` gives
a remote object whose weights the checks set and read back, and whose methods
run there. Every expectation comes from weights the grader drew: a net that
does not hold what was set fails plainly, and one that ignores its weights
cannot match. The trained net is judged by its weights: the grader repeats the
training from the same start with TensorFlow's gradients, and classifies fresh points
with its own forward pass, so a net that names quadrants by the signs of x, or
writes weights by hand instead of descending, earns nothing for training.
"""

from typing import NamedTuple

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from grader.checks.checking import CheckFailure, expect_close, expect_shape, hidden, points
from grader.checks.strategies import seeds
from grader.engine.oracles import tf_gradient

NAMES = ("W1", "b1", "W2", "b2")
CENTRES = np.array([[1.0, 1.0], [-1.0, 1.0], [-1.0, -1.0], [1.0, -1.0]])
SIGMA = 0.3
QUADRANT_SIZES = (2, 50, 4)
TRAINING = {"lr": 0.1, "epochs": 50, "batch_size": 32}  # the docstring's defaults
TRAINING_SEED = 2
TRAINING_TEXT = ", ".join(f"{k}={v}" for k, v in TRAINING.items())
TRAINING_NOTE = (
    "The grader set the starting weights, repeated the training from them and compares: "
    "train should be mini-batch gradient descent as its docstring says (each epoch, "
    "order = rng.permutation(N), consecutive batches of batch_size samples, the last one "
    "maybe smaller, and train_step(X[batch], y[batch], lr) on each)."
)


@st.composite
def batches(draw):
    """(sizes, weights, X, y): a random network shape, weights and labelled batch."""
    sizes = (draw(st.integers(1, 4)), draw(st.integers(1, 10)), draw(st.integers(2, 5)))
    n = draw(st.integers(1, 16))
    rng = np.random.default_rng(draw(seeds))
    X = 2.0 * rng.standard_normal((n, sizes[0]))
    y = rng.integers(0, sizes[2], n)
    return sizes, random_weights(rng, sizes), X, y


# ------------------------------------------------------------- construction and forward


@points(1)
def test_weights_have_keras_shapes(learner):
    for sizes, net in [
        ((2, 50, 4), learner.TwoLayerNet()),
        ((3, 7, 5), learner.TwoLayerNet(3, 7, 5, rng=np.random.default_rng(3))),
    ]:
        weights = read_weights(net, sizes)
        for name in ("W1", "W2"):
            if np.ptp(weights[name]) == 0:
                raise CheckFailure(f"all of {name} is {weights[name].flat[0]}: draw it at random")
        for name in ("b1", "b2"):
            expect_close(weights[name], np.zeros(weights[name].shape), what=f"the initial {name}")


@points(2)
@given(batch=batches())
def test_forward_gives_probabilities_matching_tensorflow(learner, tf, batch):
    sizes, weights, X, _ = batch
    net = net_with_weights(learner, sizes, weights)
    probs = expect_shape(net.forward(X), (len(X), sizes[2]), "net.forward(X)")
    expect_close(probs.sum(axis=1), np.ones(len(X)), what="the row sums of net.forward(X)")
    expect_close(probs, tf_probabilities(tf, X, weights), what="net.forward(X)")


@hidden
@points(1)
def test_forward_and_loss_stay_finite_for_large_scores(learner, tf, check_seed):
    sizes = (2, 8, 4)
    weights = random_weights(np.random.default_rng(check_seed(5)), sizes)
    weights["W2"] = 300.0 * weights["W2"]
    X = np.array([[2.0, 1.0], [-1.5, 2.5], [-3.0, -3.0], [4.0, -0.5]])
    y = np.array([3, 0, 1, 2])
    net = net_with_weights(learner, sizes, weights)
    # Methods of remote objects take the proxy's float_errors option like learner.call.
    probs = net.forward(X, float_errors="raise")
    expect_close(probs, tf_probabilities(tf, X, weights), what="net.forward(X) for scores near 1e3")
    what = "the loss when some probabilities underflow to 0"
    _expect_loss(tf, net, X, y, weights, what, float_errors="raise")


@points(1)
@given(batch=batches())
def test_predict_gives_the_most_probable_class(learner, tf, batch):
    sizes, weights, X, _ = batch
    net = net_with_weights(learner, sizes, weights)
    labels = predicted_labels(net, X)
    expected, clear = most_probable_classes(tf, weights, X)
    wrong = np.flatnonzero(clear & (labels != expected))
    if wrong.size:
        i = int(wrong[0])
        raise CheckFailure(
            f"net.predict(X) gives class {labels[i]:g} for row {i} of X, but the most probable "
            f"class of the network's forward pass there is {expected[i]}: predict should be "
            f"the argmax of forward(X), row by row ({wrong.size} of {len(X)} rows differ)"
        )


# ------------------------------------------------------------- backward


@points(1)
@given(batch=batches())
def test_loss_matches_tensorflow(learner, tf, batch):
    sizes, weights, X, y = batch
    net = net_with_weights(learner, sizes, weights)
    _expect_loss(tf, net, X, y, weights, "the loss of net.loss_and_grads(X, y)")


@points(3)
@given(batch=batches())
def test_gradients_match_gradient_tape(learner, tf, batch):
    sizes, weights, X, y = batch
    net = net_with_weights(learner, sizes, weights)
    _, grads = unpack_loss_and_grads(net.loss_and_grads(X, y))
    _, expected = tf_loss_and_grads(tf, X, y, weights)
    for name in NAMES:
        expect_close(grads[name], expected[name], what=f'grads["{name}"] of net.loss_and_grads')
    changed = first_changed_weight(net, sizes, weights)
    if changed:
        raise CheckFailure(
            f"net.loss_and_grads(X, y) changed net.{changed}: it computes the loss and the "
            "gradients only, the weights are not changed (train_step moves them)"
        )


@hidden
@points(1)
def test_gradients_agree_with_a_numerical_gradient(learner, check_seed):
    sizes = (3, 6, 4)
    rng = np.random.default_rng(check_seed(7))
    while True:  # keep every hidden unit away from ReLU's kink, where differences mislead
        weights = random_weights(rng, sizes)
        X, y = rng.standard_normal((5, 3)), rng.integers(0, 4, 5)
        if np.abs(X @ weights["W1"] + weights["b1"]).min() > 1e-2:
            break
    net = net_with_weights(learner, sizes, weights)
    _, grads = unpack_loss_and_grads(net.loss_and_grads(X, y))
    expected = numerical_gradients(weights, X, y)
    for name in NAMES:
        what = f'grads["{name}"] against central differences of the loss'
        expect_close(grads[name], expected[name], what=what, rtol=1e-5, atol=1e-7)


# ------------------------------------------------------------- training


@hidden
@points(1)
def test_train_step_returns_the_loss_before_the_update(learner, tf):
    net, X, y, _, loss, _ = train_step_case(learner, tf)
    got = net.train_step(X, y, 0.5)
    expect_close(got, loss, what="the loss net.train_step(X, y, lr=0.5) returned (before updating)")


@points(2)
def test_train_step_moves_each_weight_by_minus_lr_times_its_gradient(learner, tf):
    net, X, y, weights, _, grads = train_step_case(learner, tf)
    net.train_step(X, y, 0.5)
    for name in NAMES:
        expect_close(
            getattr(net, name),
            weights[name] - 0.5 * grads[name],
            what=f"net.{name} after train_step(X, y, lr=0.5) (= {name} - 0.5 * d{name})",
        )


@points(2)
def test_trained_net_gets_99_percent_of_fresh_points_right(learner, tf, keras, descent):
    weights, _ = trained_net(learner, keras, descent)
    X, y = quadrant_points(250, np.random.default_rng(7777))
    accuracy = float(np.mean(most_probable_classes(tf, weights, X)[0] == y))
    if accuracy < 0.99:
        raise CheckFailure(
            f"after net.train(X, y, rng, {TRAINING_TEXT}), the network's weights put "
            f"{accuracy:.1%} of 1000 fresh points in the right quadrant; at least 99% should be"
        )


@hidden
@points(1)
def test_trained_net_puts_2_2_in_quadrant_one(learner, tf, keras, descent):
    weights, _ = trained_net(learner, keras, descent)
    label = most_probable_classes(tf, weights, np.array([[2.0, 2.0]]))[0][0]
    if label != 0:
        raise CheckFailure(f"the trained net puts (2, 2) in class {label}, not 0 (quadrant I)")


@hidden
@points(1)
def test_train_returns_each_epochs_mean_batch_loss(learner, keras, descent):
    _, losses = trained_net(learner, keras, descent)
    what = f"the losses net.train(X, y, rng, {TRAINING_TEXT}) returned"
    try:
        expect_close(losses, descent.losses, what=what, rtol=1e-5, atol=1e-7)
    except CheckFailure as failure:
        raise CheckFailure(
            f"{failure}\neach epoch's loss is the mean over its samples of the batch losses "
            "(the loss train_step returns, a batch of 16 counting half as much as one of 32), "
            "as Keras' progress bar shows it"
        ) from None


@hidden
@points(1)
def test_initial_weights_are_he_normal_float64_drawn_from_rng(learner):
    sizes = (50, 200, 100)
    net = learner.TwoLayerNet(*sizes, rng=np.random.default_rng(11))
    shapes = {"W1": sizes[:2], "b1": sizes[1:2], "W2": sizes[1:], "b2": sizes[2:]}
    for name, shape in shapes.items():
        value = expect_shape(getattr(net, name), shape, f"net.{name} of TwoLayerNet{sizes}")
        if value.dtype != np.float64:
            raise CheckFailure(f"net.{name} is a {value.dtype} array: the weights are float64")
    for name, fan_in in (("W1", sizes[0]), ("W2", sizes[1])):
        value = np.asarray(getattr(net, name))
        expected = np.sqrt(2.0 / fan_in)
        # Over 10,000 draws the sample std is within 0.7% of the true one (one standard
        # error), the mean within 1% of it: 5% and 6% are more than six of them.
        if abs(np.std(value) / expected - 1) > 0.05 or abs(np.mean(value)) > 0.06 * expected:
            raise CheckFailure(
                f"net.{name} of TwoLayerNet{sizes} has mean {np.mean(value):.3g} and standard "
                f"deviation {np.std(value):.4g}: He initialisation draws a normal with mean 0 "
                f"and standard deviation sqrt(2 / fan_in) = {expected:.4g} (fan_in = {fan_in})"
            )
    default = read_weights(learner.TwoLayerNet(2, 50, 4), (2, 50, 4))
    seeded = read_weights(learner.TwoLayerNet(2, 50, 4, rng=np.random.default_rng(0)), (2, 50, 4))
    if any(not np.array_equal(default[name], seeded[name]) for name in NAMES):
        raise CheckFailure(
            "TwoLayerNet(2, 50, 4) and TwoLayerNet(2, 50, 4, rng=np.random.default_rng(0)) "
            "have different weights: rng=None means np.random.default_rng(0)"
        )


# ---------------------------------------------------------------- helpers


def read_weights(net, sizes) -> dict[str, np.ndarray]:
    """The net's W1, b1, W2, b2, after checking they have Keras' shapes."""
    n_in, n_hidden, n_out = sizes
    shapes = {"W1": (n_in, n_hidden), "b1": (n_hidden,), "W2": (n_hidden, n_out), "b2": (n_out,)}
    weights = {}
    for name, shape in shapes.items():
        value = expect_shape(getattr(net, name), shape, f"net.{name} of TwoLayerNet{sizes}")
        weights[name] = value.astype(np.float64)
    return weights


def random_weights(rng, sizes) -> dict[str, np.ndarray]:
    n_in, n_hidden, n_out = sizes
    return {
        "W1": rng.standard_normal((n_in, n_hidden)),
        "b1": 0.5 * rng.standard_normal(n_hidden),
        "W2": rng.standard_normal((n_hidden, n_out)),
        "b2": 0.5 * rng.standard_normal(n_out),
    }


def keras_he_weights(keras, sizes, seed: int) -> dict[str, np.ndarray]:
    """Starting weights drawn by Keras' HeNormal (seeded) for W1 and W2, zero biases."""
    n_in, n_hidden, n_out = sizes

    def he(shape, offset):
        return np.asarray(keras.initializers.HeNormal(seed + offset)(shape, dtype="float64"))

    return {
        "W1": he((n_in, n_hidden), 0),
        "b1": np.zeros(n_hidden),
        "W2": he((n_hidden, n_out), 1),
        "b2": np.zeros(n_out),
    }


def net_with_weights(learner, sizes, weights):
    """A learner's TwoLayerNet of `sizes` holding the grader's `weights`.

    The weights are read back: a net that does not hold exactly what was set
    fails here, plainly, so every expectation can come from `weights`.
    """
    net = learner.TwoLayerNet(*sizes, rng=np.random.default_rng(0))
    for name in NAMES:
        setattr(net, name, weights[name])
    name = first_changed_weight(net, sizes, weights)
    if name:
        raise CheckFailure(
            f"after `net.{name} = array` the net's {name} is not that array: keep the "
            "weights in the attributes W1, b1, W2, b2 that forward, loss_and_grads and "
            "train_step use, so that whatever is assigned to them is what the net computes with"
        )
    return net


def first_changed_weight(net, sizes, weights) -> str:
    """The name of the first of the net's weights that no longer equals `weights`, or ""."""
    held = read_weights(net, sizes)
    return next((n for n in NAMES if not np.array_equal(held[n], weights[n])), "")


def tf_loss_function(tf, X, y):
    """The mean softmax cross-entropy of Dense(relu) -> Dense, as a function of the weights."""

    def loss(W1, b1, W2, b2):
        hidden = tf.nn.relu(tf.matmul(tf.constant(X), W1) + b1)
        logits = tf.matmul(hidden, W2) + b2
        return tf.reduce_mean(
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)
        )

    return loss


def tf_scores(tf, X, weights) -> np.ndarray:
    """The logits of the network with `weights`, by TensorFlow: relu(X @ W1 + b1) @ W2 + b2."""
    hidden = tf.nn.relu(tf.matmul(tf.constant(X), weights["W1"]) + weights["b1"])
    return (tf.matmul(hidden, weights["W2"]) + weights["b2"]).numpy()


def most_probable_classes(tf, weights, X) -> tuple[np.ndarray, np.ndarray]:
    """(class, clear): the argmax of the network's scores per row, and whether it
    leads the runner-up by more than rounding (1e-9), so that any correct argmax agrees."""
    scores = tf_scores(tf, X, weights)
    top_two = tf.math.top_k(scores, k=min(2, scores.shape[1])).values.numpy()
    return tf.argmax(scores, axis=1).numpy(), top_two[:, 0] - top_two[:, -1] > 1e-9


def tf_probabilities(tf, X, weights):
    return tf.nn.softmax(tf_scores(tf, X, weights)).numpy()


def tf_loss_and_grads(tf, X, y, weights):
    function = tf_loss_function(tf, X, y)
    inputs = [weights[name] for name in NAMES]
    loss = float(function(*(tf.constant(w) for w in inputs)))
    return loss, dict(zip(NAMES, tf_gradient(function, inputs, np.float64(1.0)), strict=True))


def _expect_loss(tf, net, X, y, weights, what, **options):
    """Fail unless the loss of net.loss_and_grads(X, y, **options) is TensorFlow's for the
    `weights` the net holds (options: the proxy's, e.g. float_errors="raise")."""
    loss, _ = unpack_loss_and_grads(net.loss_and_grads(X, y, **options))
    expected, _ = tf_loss_and_grads(tf, X, y, weights)
    expect_close(loss, expected, what=what)


def unpack_loss_and_grads(result):
    if not isinstance(result, tuple | list) or len(result) != 2:
        raise CheckFailure(f"loss_and_grads should return (loss, grads), got {result!r}")
    loss, grads = result
    if not isinstance(grads, dict) or set(grads) != set(NAMES):
        keys = sorted(grads) if isinstance(grads, dict) else type(grads).__name__
        raise CheckFailure(f"grads should be a dict with keys W1, b1, W2, b2, got {keys}")
    return loss, grads


def quadrant_of(X: np.ndarray) -> np.ndarray:
    """Quadrant I, II, III, IV as 0, 1, 2, 3."""
    right, up = X[:, 0] > 0, X[:, 1] > 0
    return np.select([right & up, ~right & up, ~right & ~up], [0, 1, 2], 3)


def quadrant_points(per_quadrant: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """Noisy points around (1,1), (-1,1), (-1,-1), (1,-1), labelled by the quadrant they are in."""
    X = np.concatenate([c + SIGMA * rng.standard_normal((per_quadrant, 2)) for c in CENTRES])
    return X, quadrant_of(X)


def training_case(keras):
    """(X, y, start): the quadrant training set and the starting weights the grader draws."""
    X, y = quadrant_points(100, np.random.default_rng(2024))
    return X, y, keras_he_weights(keras, QUADRANT_SIZES, seed=1)


class Descent(NamedTuple):
    """Where mini-batch gradient descent goes from training_case()'s start.

    weights: the weights it reaches; losses: per epoch, the mean over the
    epoch's samples of the batch losses (each batch's loss before its step).
    """

    weights: dict[str, np.ndarray]
    losses: list[float]


@pytest.fixture(scope="module")
def descent(tf, keras) -> Descent:
    """Mini-batch gradient descent from training_case()'s start, stepping with
    TensorFlow's losses and gradients and shuffling as the docstring says."""
    X, y, weights = training_case(keras)
    rng = np.random.default_rng(TRAINING_SEED)
    lr, size = TRAINING["lr"], TRAINING["batch_size"]
    losses = []
    for _ in range(TRAINING["epochs"]):
        order = rng.permutation(len(X))
        total = 0.0
        for start in range(0, len(X), size):
            batch = order[start : start + size]
            loss, grads = tf_loss_and_grads(tf, X[batch], y[batch], weights)
            total += loss * len(batch)
            weights = {name: weights[name] - lr * grads[name] for name in NAMES}
        losses.append(total / len(X))
    return Descent(weights, losses)


def trained_net(learner, keras, descent) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """(weights, losses) of a learner's TwoLayerNet(2, 50, 4) after net.train on the quadrants.

    It starts from weights the grader drew; the weights it reaches must be where
    gradient descent goes from there (descent.weights), step by step.
    """
    X, y, start = training_case(keras)
    net = net_with_weights(learner, QUADRANT_SIZES, start)
    losses = net.train(X, y, np.random.default_rng(TRAINING_SEED), **TRAINING)
    try:
        losses = np.asarray(losses, dtype=np.float64)
    except (TypeError, ValueError):
        raise CheckFailure(f"train should return a list of losses, got {losses!r}") from None
    if losses.ndim != 1 or losses.size == 0 or not np.all(np.isfinite(losses)):
        raise CheckFailure(f"train should return a list of finite losses, got {losses}")
    weights = read_weights(net, QUADRANT_SIZES)
    for name, expected in descent.weights.items():
        what = f"net.{name} after net.train(X, y, rng, {TRAINING_TEXT})"
        try:
            expect_close(weights[name], expected, what=what, rtol=1e-5, atol=1e-7)
        except CheckFailure as failure:
            raise CheckFailure(f"{failure}\n{TRAINING_NOTE}") from None
    return weights, losses


def predicted_labels(net, X) -> np.ndarray:
    """What net.predict(X) returned, after checking it is one integer label per row."""
    labels = expect_shape(net.predict(X), (len(X),), "net.predict(X)")
    if not np.array_equal(labels, np.round(labels)):
        raise CheckFailure("net.predict should return integer class labels (argmax of forward)")
    if labels.dtype.kind not in "iu":
        raise CheckFailure(
            f"net.predict returned labels of dtype {labels.dtype}: return an int array "
            "(np.argmax gives one)"
        )
    return labels


def numpy_loss(weights, X, y) -> float:
    """The mean softmax cross-entropy of the network with `weights`, in NumPy (float64)."""
    hidden = np.maximum(0.0, X @ weights["W1"] + weights["b1"])
    scores = hidden @ weights["W2"] + weights["b2"]
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-np.mean(log_probs[np.arange(len(y)), y]))


def numerical_gradients(weights, X, y, h=1e-6) -> dict[str, np.ndarray]:
    """Central differences of numpy_loss, one weight element at a time."""
    gradients = {}
    for name in NAMES:
        gradient = np.zeros_like(weights[name])
        for index in np.ndindex(gradient.shape):
            shifted = {k: v.copy() for k, v in weights.items()}
            shifted[name][index] += h
            up = numpy_loss(shifted, X, y)
            shifted[name][index] -= 2 * h
            gradient[index] = (up - numpy_loss(shifted, X, y)) / (2 * h)
        gradients[name] = gradient
    return gradients


def train_step_case(learner, tf):
    sizes = (2, 5, 4)
    rng = np.random.default_rng(8)
    X, y = rng.standard_normal((12, 2)), rng.integers(0, 4, 12)
    weights = random_weights(rng, sizes)
    net = net_with_weights(learner, sizes, weights)
    loss, grads = tf_loss_and_grads(tf, X, y, weights)
    return net, X, y, weights, loss, grads
