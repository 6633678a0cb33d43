"""Checks for exercise 20: the pieces of a GAN, against Keras and TensorFlow in float64.

The losses against `keras.losses.BinaryCrossentropy` (its clip to [1e-7, 1 - 1e-7],
probabilities of exactly 0 and 1 included) and `tf.nn.sigmoid_cross_entropy_with_logits`,
their gradients against tf.GradientTape (zero where the clip holds a value). The two
networks against two float64 Keras Dense layers holding the learner's parameters. The
train step against the same step done with Keras: D's loss on the real and fake images
stacked, its gradients by a tape, one `keras.optimizers.Adam` step; then G's loss through
the updated D under a tape watching G's variables only, one Adam step of G's own optimizer.

Keras' Adam casts Python-float betas through float32 (0.999 becomes 0.99900001), which
moves every step by about 7e-6 of its size. Given as float64 tensors the betas stay exact,
and the learning rates drawn are exact in float32 (Keras keeps lr in a float32 variable):
Keras' step is then the float64 step to rounding (1e-16 measured against a NumPy step in
float64), so parameters are held to rtol 1e-7, atol 1e-9. Adam hardly sees a gradient's
scale (a gradient twice too large takes nearly the same step), so the loss functions' own
checks are the ones that catch a missing 1/n.
"""

from dataclasses import dataclass
from functools import cache, partial

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from grader.checks.checking import (
    CheckFailure,
    expect_close,
    expect_shape,
    hidden,
    naming_overflow,
    points,
)
from grader.checks.mistakes import MATCH_ATOL, MATCH_RTOL, Mistake, Symptom, wrong_reductions
from grader.checks.strategies import seeds, with_examples
from grader.engine.oracles import tf_gradient
from grader.messages import text

EPSILON = 1e-7  # keras.backend.epsilon()
OTHER_EPSILONS = (1e-15, 1e-12, 1e-8, 1e-6)  # scikit-learn's log_loss once used 1e-15
RTOL, ATOL = 1e-7, 1e-9  # float64 on both sides
TOLERANCE = "checked to rtol 1e-7, atol 1e-9"
PARAMS = ("w1", "b1", "w2", "b2")
NETWORKS = ("generator", "discriminator")
# Exact in float32, so Keras' float32 learning-rate variable holds them as they are.
LEARNING_RATES = (1 / 128, 1 / 64, 1 / 1024)
LR_TEXT = {1 / 128: "1/128", 1 / 64: "1/64", 1 / 1024: "1/1024"}
DEFAULT_LR = 0.001
# Keras holds 0.001 as 0.0010000000475 (float32): its steps are 4.7e-8 of their size
# larger; a step is at most about 0.003 here, so atol 1e-9 leaves a wide margin, and a
# wrong default (0.01, 1e-4) moves a parameter by 1e-4 or more.
DEFAULT_LR_ATOL = 1e-9
# Probabilities on and around the clip's bounds, mixed into the drawn ones.
SPECIAL_PROBABILITIES = (0.0, 1.0, EPSILON, 1.0 - EPSILON, 1e-9, 1.0 - 1e-9, 1e-4, 0.5)
HUGE_LOGITS = np.array([[-1000.0], [1000.0], [-40.0], [0.0], [40.0], [-1000.0]])
HUGE_LABELS = np.array([[1.0], [0.0], [1.0], [0.5], [0.0], [0.0]])
# The seed's GAN: noise 100 -> 256 -> 784 pixels; 784 -> 128 -> 1; batches of 64.
SEED_SIZES = (100, 256, 784, 128, 64, 64)
BUILDS_ON = "gan_builds_on_earlier"


@dataclass(frozen=True)
class GanCase:
    """Both networks' parameters, one (real batch, noise) per step, and Adam's lr."""

    gen: dict
    disc: dict
    real: tuple
    noise: tuple
    lr: float

    @property
    def steps(self) -> int:
        return len(self.real)

    def __repr__(self) -> str:
        k, hidden_g = self.gen["w1"].shape
        pixels, hidden_d = self.disc["w1"].shape
        n, m = len(self.real[0]), len(self.noise[0])
        return (
            f"noise {k}, G hidden {hidden_g}, pixels {pixels}, D hidden {hidden_d}, "
            f"N={n} real, M={m} fake, lr={LR_TEXT.get(self.lr, self.lr)}, {self.steps} step(s)"
        )


def drawn_network(rng, n_in: int, hidden: int, n_out: int) -> dict:
    """Dense parameters of these sizes, drawn by rng at a scale where few units saturate."""
    return {
        "w1": rng.normal(0.0, 1.5 / np.sqrt(n_in), (n_in, hidden)),
        "b1": rng.uniform(-0.5, 0.5, hidden),
        "w2": rng.normal(0.0, 1.5 / np.sqrt(hidden), (hidden, n_out)),
        "b2": rng.uniform(-0.5, 0.5, n_out),
    }


def drawn_gan(rng, sizes: tuple, steps: int, lr: float) -> GanCase:
    """A GanCase of sizes (noise, G hidden, pixels, D hidden, N, M), values drawn by rng."""
    k, hidden_g, pixels, hidden_d, n, m = sizes
    return GanCase(
        gen=drawn_network(rng, k, hidden_g, pixels),
        disc=drawn_network(rng, pixels, hidden_d, 1),
        real=tuple(rng.uniform(0.0, 1.0, (n, pixels)) for _ in range(steps)),
        noise=tuple(rng.standard_normal((m, k)) for _ in range(steps)),
        lr=lr,
    )


@st.composite
def gan_cases(draw, steps: int = 1):
    """GanCases of noise 1-4, G hidden 1-6, pixels 1-6, D hidden 1-5, N and M 1-5."""
    sizes = tuple(draw(st.integers(1, top)) for top in (4, 6, 6, 5, 5, 5))
    lr = draw(st.sampled_from(LEARNING_RATES))
    return drawn_gan(np.random.default_rng(draw(seeds)), sizes, steps, lr)


def explicit_gans(rng, steps: int) -> list[GanCase]:
    """Two cases of `steps` steps, tried before the drawn ones: N != M (where one mean over
    the stacked batch differs from the average of the halves' means), then N == M; small
    enough for a failure's report to print the call."""
    return [
        drawn_gan(rng, (2, 3, 3, 2, 3, 2), steps, 1 / 128),
        drawn_gan(rng, (2, 4, 3, 4, 2, 2), steps, 1 / 64),
    ]


ONE_STEP = explicit_gans(np.random.default_rng(21), 1)
TWO_STEPS = explicit_gans(np.random.default_rng(22), 2)
THREE_STEPS = explicit_gans(np.random.default_rng(23), 3)


@st.composite
def probabilities(draw):
    """(y_true, y_pred) of one shape: hard or soft labels; probabilities uniform in [0, 1]
    with about a third of them on or around the clip's bounds (0, 1, 1e-7, 1 - 1e-7, ...)."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=2, max_side=5))
    rng = np.random.default_rng(draw(seeds))
    special = rng.choice(SPECIAL_PROBABILITIES, shape)
    y_pred = np.where(rng.random(shape) < 0.35, special, rng.uniform(0.0, 1.0, shape))
    hard = draw(st.booleans())
    y_true = rng.integers(0, 2, shape).astype(np.float64) if hard else rng.uniform(0, 1, shape)
    return y_true, y_pred


@st.composite
def logits_and_labels(draw):
    """(y_true, logits) of one shape: hard or soft labels, logits in [-30, 30]."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=2, max_side=5))
    rng = np.random.default_rng(draw(seeds))
    hard = draw(st.booleans())
    y_true = rng.integers(0, 2, shape).astype(np.float64) if hard else rng.uniform(0, 1, shape)
    return y_true, rng.uniform(-30.0, 30.0, shape)


@st.composite
def logit_batches(draw):
    """(real_logits (N, 1), fake_logits (M, 1)), N and M 1-6, logits in [-8, 8]."""
    rng = np.random.default_rng(draw(seeds))
    n, m = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    return rng.uniform(-8.0, 8.0, (n, 1)), rng.uniform(-8.0, 8.0, (m, 1))


UNEQUAL_BATCHES = (np.array([[2.0], [-1.5], [0.3]]), np.array([[-0.7]]))
EQUAL_BATCHES = (np.array([[1.2], [-0.4]]), np.array([[0.9], [-2.5]]))


# ---------------------------------------------------------------- binary cross-entropy


@points(2)
@given(data=probabilities())
def test_binary_crossentropy_matches_keras(learner, tf, keras, data):
    y_true, y_pred = data
    expected = keras.losses.BinaryCrossentropy(dtype="float64")(y_true, y_pred)
    got = learner.binary_crossentropy(y_true, y_pred)
    mistakes = partial(_bce_mistakes, tf, keras, y_true, y_pred)
    expect_close(got, expected, what="binary_crossentropy(y_true, y_pred)", mistakes=mistakes)


@points(1)
def test_binary_crossentropy_clips_probabilities_of_0_and_1_as_keras(learner, tf, keras):
    loss = keras.losses.BinaryCrossentropy(dtype="float64")
    # The docstring's example (0.1643); a real image given 0 (-log(1e-7) = 16.118, not
    # inf); 0 and 1 clipped to [1e-7, 1 - 1e-7] on both labels.
    examples = [
        ([1.0, 0.0], [0.9, 0.2]),
        ([1.0], [0.0]),
        ([1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 1.0, 0.0]),
    ]
    for y_true, y_pred in examples:
        y_true, y_pred = np.array(y_true), np.array(y_pred)
        got = learner.binary_crossentropy(y_true, y_pred)
        what = f"binary_crossentropy({y_true.tolist()}, {y_pred.tolist()})"
        mistakes = partial(_bce_mistakes, tf, keras, y_true, y_pred)
        expect_close(got, loss(y_true, y_pred), what=what, mistakes=mistakes)


@points(2)
@given(data=probabilities())
def test_binary_crossentropy_backward_matches_gradient_tape(learner, tf, keras, data):
    y_true, y_pred = data
    _expect_bce_backward(learner, tf, keras, y_true, y_pred)


@hidden
@points(2)
def test_binary_crossentropy_backward_is_zero_exactly_where_the_clip_holds(learner, tf, keras):
    y_pred = np.array([0.0, 1e-9, EPSILON, 0.3, 1.0 - EPSILON, 1.0 - 1e-9, 1.0])
    for y_true in (np.ones(7), np.zeros(7), np.full(7, 0.25)):
        _expect_bce_backward(learner, tf, keras, y_true, y_pred)


# ---------------------------------------------------------------- from logits


@points(2)
@given(data=logits_and_labels())
def test_binary_crossentropy_from_logits_matches_tensorflow(learner, tf, data):
    y_true, logits = data
    terms = tf.nn.sigmoid_cross_entropy_with_logits(labels=y_true, logits=logits)
    got = learner.binary_crossentropy_from_logits(y_true, logits)
    naive = Mistake(partial(_naive_logits_loss, tf, y_true, logits), "bce_logits_unstable")
    mistakes = [naive, *wrong_reductions(terms, ("mean",) * logits.ndim)]
    what = "binary_crossentropy_from_logits(y_true, logits)"
    expect_close(got, tf.reduce_mean(terms), what=what, mistakes=mistakes)


@hidden
@points(1)
def test_binary_crossentropy_from_logits_is_stable_for_logits_of_1000(learner, tf):
    expected = tf.reduce_mean(
        tf.nn.sigmoid_cross_entropy_with_logits(labels=HUGE_LABELS, logits=HUGE_LOGITS)
    )
    with naming_overflow("bce_logits_unstable"):
        got = learner.call(
            "binary_crossentropy_from_logits", HUGE_LABELS, HUGE_LOGITS, float_errors="raise"
        )
    what = "binary_crossentropy_from_logits(y_true, logits) for logits of +-1000"
    expect_close(got, expected, what=what, mistakes=[_unstable()])


@points(2)
@given(data=logits_and_labels())
def test_binary_crossentropy_from_logits_backward_matches_gradient_tape(learner, tf, data):
    y_true, logits = data
    expected = _logits_gradient(tf, y_true, logits)
    got = learner.binary_crossentropy_from_logits_backward(y_true, logits)
    what = "binary_crossentropy_from_logits_backward(y_true, logits)"
    expect_close(got, expected, what=what, mistakes=[_not_averaged(tf, expected, logits.size)])


@hidden
@points(1)
def test_binary_crossentropy_from_logits_backward_is_stable_for_logits_of_1000(learner, tf):
    with naming_overflow("sigmoid_overflow"):
        got = learner.call(
            "binary_crossentropy_from_logits_backward",
            HUGE_LABELS,
            HUGE_LOGITS,
            float_errors="raise",
        )
    what = "binary_crossentropy_from_logits_backward(y_true, logits) for logits of +-1000"
    expected = _logits_gradient(tf, HUGE_LABELS, HUGE_LOGITS)
    mistakes = [_unstable(), _not_averaged(tf, expected, HUGE_LOGITS.size)]
    expect_close(got, expected, what=what, mistakes=mistakes)


# ---------------------------------------------------------------- the two losses


@points(2)
@given(batches=logit_batches())
@example(batches=UNEQUAL_BATCHES)
@example(batches=EQUAL_BATCHES)
def test_discriminator_loss_matches_keras_on_the_stacked_batch(learner, tf, keras, batches):
    real, fake = batches
    got = _unpack(learner.discriminator_loss(real, fake), "discriminator_loss", 3)[0]
    expected, *_ = _discriminator_loss_and_gradients(tf, keras, real, fake, "")
    mistakes = partial(_discriminator_loss_mistakes, tf, keras, real, fake, 0)
    what = "discriminator_loss(real_logits, fake_logits)[0] (the loss)"
    expect_close(got, expected, what=what, mistakes=mistakes)


@points(2)
@given(batches=logit_batches())
@example(batches=UNEQUAL_BATCHES)
@example(batches=EQUAL_BATCHES)
def test_discriminator_loss_gradients_match_gradient_tape(learner, tf, keras, batches):
    real, fake = batches
    got = _unpack(learner.discriminator_loss(real, fake), "discriminator_loss", 3)
    expected = _discriminator_loss_and_gradients(tf, keras, real, fake, "")
    for index, name in ((1, "d_real_logits"), (2, "d_fake_logits")):
        mistakes = partial(_discriminator_loss_mistakes, tf, keras, real, fake, index)
        what = f"discriminator_loss(real_logits, fake_logits)[{index}] ({name})"
        expect_close(got[index], expected[index], what=what, mistakes=mistakes)


@points(2)
@given(batches=logit_batches())
def test_generator_loss_is_the_non_saturating_loss(learner, tf, keras, batches):
    _, fake = batches
    got = _unpack(learner.generator_loss(fake), "generator_loss", 2)
    expected = _generator_loss_and_gradient(tf, keras, fake, "")
    names = (
        "generator_loss(fake_logits)[0] (the loss)",
        "generator_loss(fake_logits)[1] (d_fake_logits)",
    )
    for index, what in enumerate(names):
        mistakes = partial(_generator_loss_mistakes, tf, keras, fake, index)
        expect_close(got[index], expected[index], what=what, mistakes=mistakes)


@hidden
@points(1)
def test_gan_losses_are_stable_for_logits_of_1000(learner, tf, keras):
    real, fake = HUGE_LOGITS[:3], HUGE_LOGITS[3:]
    with naming_overflow("bce_logits_unstable"):
        d_got = learner.call("discriminator_loss", real, fake, float_errors="raise")
        g_got = learner.call("generator_loss", HUGE_LOGITS, float_errors="raise")
    d_got = _unpack(d_got, "discriminator_loss", 3)
    g_got = _unpack(g_got, "generator_loss", 2)
    d_expected = _discriminator_loss_and_gradients(tf, keras, real, fake, "")
    g_expected = _generator_loss_and_gradient(tf, keras, HUGE_LOGITS, "")
    d_mistakes = partial(_discriminator_loss_mistakes, tf, keras, real, fake)
    g_mistakes = partial(_generator_loss_mistakes, tf, keras, HUGE_LOGITS)
    checked = [
        (
            d_got,
            d_expected,
            d_mistakes,
            ("loss", "d_real_logits", "d_fake_logits"),
            "discriminator",
        ),
        (g_got, g_expected, g_mistakes, ("loss", "d_fake_logits"), "generator"),
    ]
    for got, expected, mistakes, names, network in checked:
        for index, name in enumerate(names):
            what = f"the {name} of {network}_loss for logits of +-1000"
            found = partial(_with_unstable, partial(mistakes, index))
            expect_close(got[index], expected[index], what=what, mistakes=found)


# ---------------------------------------------------------------- the two networks


@points(1)
@given(case=gan_cases())
@with_examples(ONE_STEP)
def test_generator_forward_matches_a_keras_dense_model(learner, keras, case):
    noise = case.noise[0]
    got = learner.generator_forward(case.gen, noise)
    expected = _keras_net(keras, case.gen, "sigmoid")(noise)
    no_sigmoid = partial(_keras_output, keras, case.gen, "relu", None, noise)
    mistakes = [Mistake(no_sigmoid, "gan_generator_no_sigmoid")]
    what = f"generator_forward(gen_params, noise) ({TOLERANCE})"
    expect_close(got, expected, what=what, rtol=RTOL, atol=ATOL, mistakes=mistakes)


@points(1)
@given(case=gan_cases())
@with_examples(ONE_STEP)
def test_discriminator_forward_matches_a_keras_dense_model(learner, keras, case):
    images = case.real[0]
    got = learner.discriminator_forward(case.disc, images)
    expected = _keras_net(keras, case.disc, None)(images)
    probability = partial(_keras_output, keras, case.disc, "relu", "sigmoid", images)
    mistakes = [Mistake(probability, "gan_discriminator_returns_probability")]
    what = f"discriminator_forward(disc_params, images) ({TOLERANCE})"
    expect_close(got, expected, what=what, rtol=RTOL, atol=ATOL, mistakes=mistakes)


# ---------------------------------------------------------------- the train step


@points(3)
@settings(max_examples=15)
@given(case=gan_cases())
@with_examples(ONE_STEP)
def test_gan_train_step_matches_keras_for_one_step(learner, tf, keras, case):
    _expect_steps(learner, tf, keras, case, {})


@points(2)
@settings(max_examples=8)
@given(case=gan_cases(steps=3))
@with_examples(THREE_STEPS)
def test_gan_train_step_carries_the_adam_states_over_three_steps(learner, tf, keras, case):
    _expect_steps(learner, tf, keras, case, {network: {} for network in NETWORKS})


@points(1)
def test_discriminator_does_not_move_in_the_generator_step(learner, tf, keras):
    # One step from the case's start: D's parameters then depend on D's own step alone,
    # whatever the generator step does with G.
    for case in ONE_STEP:
        expected = _keras_gan(tf, keras, case, "")[0]["disc"]
        variants = cache(partial(_keras_variants, tf, keras, case))
        result = learner.gan_train_step(
            case.gen, case.disc, case.real[0], case.noise[0], {}, case.lr
        )
        _, disc, _, _, _ = _unpack_step(result, case.gen, case.disc)
        for name in PARAMS:
            what = (
                f"the new discriminator's {name} of gan_train_step: D as its own Adam step "
                f"left it, unmoved by the generator step ({TOLERANCE})"
            )
            mistakes = partial(_step_mistakes, variants, case, 0, "disc", name, None)
            _expect_step_value(disc[name], expected[name], what, mistakes)


@hidden
@points(1)
def test_gan_train_step_returns_adam_states_per_network_and_parameter(learner, tf, keras):
    case = TWO_STEPS[1]
    keras_steps = _keras_gan(tf, keras, case, "")
    gen, disc, states = case.gen, case.disc, {}
    for step in range(case.steps):
        result = learner.gan_train_step(
            gen, disc, case.real[step], case.noise[step], states, case.lr
        )
        gen, disc, states, _, _ = _unpack_step(result, gen, disc)
    _expect_states(states, keras_steps[-1]["states"], case.steps)


@hidden
@points(1)
def test_gan_train_step_defaults_to_keras_adam_learning_rate(learner, tf, keras):
    case = ONE_STEP[0]
    inputs = (case.gen, case.disc, case.real[0], case.noise[0], {})
    explicit = _unpack_step(learner.gan_train_step(*inputs, DEFAULT_LR), case.gen, case.disc)
    default = _unpack_step(learner.gan_train_step(*inputs), case.gen, case.disc)
    for index, network in enumerate(NETWORKS):
        for name in PARAMS:
            what = (
                f"the new {network}'s {name} of gan_train_step with lr left out, against your "
                f"gan_train_step with lr={DEFAULT_LR:g} (Keras' Adam default)"
            )
            expect_close(default[index][name], explicit[index][name], what=what, rtol=RTOL, atol=0)
    # The default counts only for a step that also steps D as Keras does at that rate.
    expected = _keras_gan(tf, keras, case, "", lr=DEFAULT_LR)[0]["disc"]
    for name in PARAMS:
        what = f"the new discriminator's {name} of gan_train_step with lr={DEFAULT_LR:g}"
        expect_close(explicit[1][name], expected[name], what=what, rtol=RTOL, atol=DEFAULT_LR_ATOL)


@hidden
@points(1)
def test_gan_train_step_at_the_seeds_sizes_matches_keras(learner, tf, keras, check_seed):
    rng = np.random.default_rng(check_seed(784))
    case = drawn_gan(rng, SEED_SIZES, 1, 1 / 1024)
    _expect_steps(learner, tf, keras, case, {})


@hidden
@points(1)
def test_gan_functions_leave_their_inputs_unchanged(learner, tf, keras):
    case = TWO_STEPS[0]
    first = _unpack_step(
        learner.gan_train_step(case.gen, case.disc, case.real[0], case.noise[0], {}, case.lr),
        case.gen,
        case.disc,
    )
    y_true, y_pred = np.array([1.0, 0.0, 1.0]), np.array([0.0, 0.4, 0.9])
    real, fake = UNEQUAL_BATCHES
    calls = [
        ("binary_crossentropy", (y_true, y_pred)),
        ("binary_crossentropy_backward", (y_true, y_pred)),
        ("binary_crossentropy_from_logits", (y_true, y_pred - 0.5)),
        ("binary_crossentropy_from_logits_backward", (y_true, y_pred - 0.5)),
        ("discriminator_loss", (real, fake)),
        ("generator_loss", (fake,)),
        ("generator_forward", (case.gen, case.noise[0])),
        ("discriminator_forward", (case.disc, case.real[0])),
        ("gan_train_step", (*first[:2], case.real[1], case.noise[1], first[2], case.lr)),
    ]
    for name, args in calls:
        # The worker gets copies: what it echoes back is what the call left in them.
        _, after, _ = learner.call(name, *args, echo_args=True)
        for position, (before, now) in enumerate(zip(args, after, strict=True)):
            changed = _differences(before, now, f"argument {position + 1}")
            if changed:
                raise CheckFailure(
                    f"{name} changed {changed[0]} in place: build new arrays and dicts "
                    "(new_params = {...}, p = np.clip(...)), never write into the inputs"
                )
    # Leaving the inputs alone counts only for functions that also compute their answers.
    try:
        _expect_steps(learner, tf, keras, case, {})
    except CheckFailure as failure:
        raise CheckFailure(
            "no input was changed in place, but this point also needs the right answers:\n"
            f"{failure}"
        ) from None


# ---------------------------------------------------------------- helpers

# The wrong train steps the checks name: (variant of _keras_gan, catalogue key).
STEP_VARIANTS = (
    ("old_disc", "gan_generator_through_old_discriminator"),
    ("disc_moves", "gan_discriminator_moved_in_generator_step"),
    ("disc_moves_combined", "gan_discriminator_moved_in_generator_step"),
    ("saturating", "gan_saturating_generator_loss"),
    ("labels_zero", "gan_generator_labels_zero"),
    ("labels_swapped", "gan_labels_swapped"),
    ("halves_summed", "gan_halves_summed"),
    ("halves_averaged", "gan_halves_averaged"),
    ("states_not_carried", "gan_states_not_carried"),
)
# Named on d_loss only: they weigh D's gradients differently, and Adam's step is about
# lr * sign(gradient) whatever the weights, so the parameters hardly tell them apart.
LOSS_ONLY_VARIANTS = ("halves_summed", "halves_averaged")


def _unpack(result, function: str, count: int) -> tuple:
    """The learner's `count` results as a tuple; a plain message when it returned another thing."""
    if not isinstance(result, tuple | list) or len(result) != count:
        got = f"{len(result)} values" if isinstance(result, tuple | list) else type(result).__name__
        raise CheckFailure(f"{function} should return a tuple of {count} values, got {got}")
    return tuple(result)


def _unstable() -> Symptom:
    """NaN or inf where the answer is finite, named as the logs of a rounded sigmoid."""
    return Symptom(lambda got, expected: None if np.isfinite(got).all() else "bce_logits_unstable")


def _with_unstable(mistakes) -> list:
    """_unstable() and the Mistakes `mistakes()` gives."""
    return [_unstable(), *mistakes()]


def _not_averaged(tf, expected, n: int) -> Mistake:
    """The gradient of a loss summed over its n elements instead of averaged."""
    return Mistake(lambda: tf.multiply(expected, float(n)), text("gradient_not_averaged", n=n))


def _bce_terms(tf, y_true, p):
    """-(y log p + (1 - y) log(1 - p)) element by element, for a tensor p."""
    return -(y_true * tf.math.log(p) + (1.0 - y_true) * tf.math.log(1.0 - p))


def _clipped_bce(tf, y_true, y_pred, epsilon):
    """The mean of _bce_terms with y_pred clipped to [epsilon, 1 - epsilon] (epsilon None:
    not clipped, so log(0) gives inf and 0 * inf NaN)."""
    p = tf.constant(y_pred)
    if epsilon is not None:
        p = tf.clip_by_value(p, epsilon, 1.0 - epsilon)
    return tf.reduce_mean(_bce_terms(tf, y_true, p))


def _bce_mistakes(tf, keras, y_true, y_pred) -> list:
    """binary_crossentropy's wrong answers: not clipped, clipped at another epsilon, and
    the per-element losses summed or not reduced (Keras' own terms)."""
    terms = keras.ops.binary_crossentropy(y_true, y_pred)
    found = [Mistake(partial(_clipped_bce, tf, y_true, y_pred, None), "not_clipped")]
    for epsilon in OTHER_EPSILONS:
        other = partial(_clipped_bce, tf, y_true, y_pred, epsilon)
        found.append(Mistake(other, "bce_other_epsilon"))
    return found + wrong_reductions(terms, ("mean",) * y_pred.ndim)


def _expect_bce_backward(learner, tf, keras, y_true, y_pred) -> None:
    """Fail unless the learner's binary_crossentropy_backward is the tape's gradient of
    Keras' loss, naming the gradient's known wrong forms."""
    loss = keras.losses.BinaryCrossentropy(dtype="float64")
    (expected,) = tf_gradient(lambda p: loss(y_true, p), [y_pred], np.float64(1.0))
    got = learner.binary_crossentropy_backward(y_true, y_pred)
    mistakes = partial(_bce_gradient_mistakes, tf, y_true, y_pred, expected)
    what = "binary_crossentropy_backward(y_true, y_pred)"
    expect_close(got, expected, what=what, mistakes=mistakes)


def _bce_gradient_mistakes(tf, y_true, y_pred, expected) -> list:
    """binary_crossentropy_backward's wrong answers: flowing where the clip holds, cut at
    the clip's bounds too, the gradient of the loss without a clip, and without its 1/n."""

    def unmasked(p):
        # The clipped value with the identity's gradient: nothing is zeroed where it holds.
        held = p + tf.stop_gradient(tf.clip_by_value(p, EPSILON, 1.0 - EPSILON) - p)
        return tf.reduce_mean(_bce_terms(tf, y_true, held))

    def unclipped(p):
        return tf.reduce_mean(_bce_terms(tf, y_true, p))

    on_bounds = tf.logical_or(tf.equal(y_pred, EPSILON), tf.equal(y_pred, 1.0 - EPSILON))
    return [
        Mistake(partial(_first_gradient, unmasked, y_pred), "bce_gradient_not_masked"),
        Mistake(lambda: tf.where(on_bounds, 0.0, expected), "bce_gradient_mask_strict"),
        Mistake(partial(_first_gradient, unclipped, y_pred), "not_clipped"),
        _not_averaged(tf, expected, y_pred.size),
    ]


def _first_gradient(function, value):
    """The tape's gradient of the scalar function(value) with respect to value."""
    return tf_gradient(function, [value], np.float64(1.0))[0]


def _logits_gradient(tf, y_true, logits):
    """The tape's gradient of the mean of tf.nn.sigmoid_cross_entropy_with_logits."""

    def mean_loss(z):
        return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=y_true, logits=z))

    return _first_gradient(mean_loss, logits)


def _naive_logits_loss(tf, y_true, logits):
    """The cross-entropy as the logs of sigmoid(z) and 1 - sigmoid(z), computed as a learner
    writes it (1 / (1 + exp(-z))): inaccurate, or inf, for a large |z|."""
    sigmoid = tf.math.reciprocal(1.0 + tf.exp(-tf.constant(logits)))
    return tf.reduce_mean(_bce_terms(tf, y_true, sigmoid))


def _discriminator_loss_and_gradients(tf, keras, real, fake, variant: str) -> list:
    """[loss, d_real, d_fake] of D's loss by a tape: Keras' BinaryCrossentropy(from_logits)
    on the stacked logits, real labelled 1 and fake 0; or a variant: "labels_swapped",
    "halves_summed" (the two halves' means added), "halves_averaged" (their average)."""
    bce = keras.losses.BinaryCrossentropy(from_logits=True, dtype="float64")
    real_label, fake_label = np.ones(real.shape), np.zeros(fake.shape)
    if variant == "labels_swapped":
        real_label, fake_label = np.zeros(real.shape), np.ones(fake.shape)

    def loss(r, f):
        if variant in ("halves_summed", "halves_averaged"):
            total = bce(real_label, r) + bce(fake_label, f)
            return total if variant == "halves_summed" else total / 2.0
        return bce(tf.concat([real_label, fake_label], 0), tf.concat([r, f], 0))

    value = loss(tf.constant(real), tf.constant(fake))
    return [value, *tf_gradient(loss, [real, fake], np.float64(1.0))]


def _discriminator_loss_mistakes(tf, keras, real, fake, index: int) -> list:
    """Result `index` (loss, d_real, d_fake) of discriminator_loss's wrong forms: labels
    swapped, the halves' means added or averaged; the terms summed (the loss) or the
    gradient without its 1/n."""
    found = [
        Mistake(
            partial(
                _item, partial(_discriminator_loss_and_gradients, tf, keras, real, fake, v), index
            ),
            name,
        )
        for v, name in (
            ("labels_swapped", "gan_labels_swapped"),
            ("halves_summed", "gan_halves_summed"),
            ("halves_averaged", "gan_halves_averaged"),
        )
    ]
    right = _discriminator_loss_and_gradients(tf, keras, real, fake, "")
    if index == 0:
        labels = np.concatenate([np.ones(real.shape), np.zeros(fake.shape)])
        logits = np.concatenate([real, fake])
        terms = tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits)
        return found + wrong_reductions(terms, ("mean", "mean"))
    return [*found, _not_averaged(tf, right[index], len(real) + len(fake))]


def _generator_loss_and_gradient(tf, keras, fake, variant: str) -> list:
    """[loss, d_fake] by a tape: Keras' BinaryCrossentropy(from_logits) with labels 1; or
    "saturating", mean(log(1 - sigmoid(z))); or "labels_zero", the loss with labels 0."""
    bce = keras.losses.BinaryCrossentropy(from_logits=True, dtype="float64")

    def loss(z):
        if variant == "saturating":
            return tf.reduce_mean(tf.math.log_sigmoid(-z))
        return bce(np.zeros(fake.shape) if variant == "labels_zero" else np.ones(fake.shape), z)

    return [loss(tf.constant(fake)), *tf_gradient(loss, [fake], np.float64(1.0))]


def _generator_loss_mistakes(tf, keras, fake, index: int) -> list:
    """Result `index` (loss, d_fake) of generator_loss's wrong forms: saturating, labels 0;
    the terms summed (the loss) or the gradient without its 1/n."""
    found = [
        Mistake(
            partial(_item, partial(_generator_loss_and_gradient, tf, keras, fake, v), index), name
        )
        for v, name in (
            ("saturating", "gan_saturating_generator_loss"),
            ("labels_zero", "gan_generator_labels_zero"),
        )
    ]
    if index == 0:
        terms = tf.nn.sigmoid_cross_entropy_with_logits(labels=np.ones(fake.shape), logits=fake)
        return found + wrong_reductions(terms, ("mean", "mean"))
    right = _generator_loss_and_gradient(tf, keras, fake, "")
    return [*found, _not_averaged(tf, right[1], len(fake))]


def _item(compute, index: int):
    return compute()[index]


def _keras_net(keras, params: dict, output, hidden_activation="relu"):
    """keras.Sequential of two float64 Dense layers (`hidden_activation`, then `output`)
    holding `params` (w1, b1, w2, b2)."""
    w1, w2 = params["w1"], params["w2"]
    model = keras.Sequential(
        [
            keras.Input((w1.shape[0],), dtype="float64"),
            keras.layers.Dense(w1.shape[1], activation=hidden_activation, dtype="float64"),
            keras.layers.Dense(w2.shape[1], activation=output, dtype="float64"),
        ]
    )
    model.set_weights([params[name] for name in PARAMS])
    return model


def _keras_output(keras, params: dict, hidden_activation, output, inputs):
    return _keras_net(keras, params, output, hidden_activation)(inputs)


def _keras_adam(tf, keras, lr: float):
    """keras.optimizers.Adam(lr) with Keras' default betas as float64 tensors (see the
    module's docstring: as Python floats Keras would round them through float32)."""
    return keras.optimizers.Adam(
        lr,
        beta_1=tf.constant(0.9, tf.float64),
        beta_2=tf.constant(0.999, tf.float64),
        epsilon=EPSILON,
    )


def _weights(model) -> dict:
    return {name: np.asarray(v) for name, v in zip(PARAMS, model.get_weights(), strict=True)}


def _slots(optimizer) -> dict:
    """{param name: {"m", "v", "t"}} of a Keras Adam that stepped one network's variables."""
    momentums = [v for v in optimizer.variables if v.path.endswith("_momentum")]
    velocities = [v for v in optimizer.variables if v.path.endswith("_velocity")]
    steps = int(optimizer.iterations.numpy())
    return {
        name: {"m": np.asarray(m), "v": np.asarray(v), "t": steps}
        for name, m, v in zip(PARAMS, momentums, velocities, strict=False)
    }


def _discriminator_step_loss(tf, bce, variant: str, real, fake, logits):
    """D's loss on its logits for the stacked batch (real first): Keras' BinaryCrossentropy,
    real 1 and fake 0, or the variant's ("labels_swapped", "halves_summed",
    "halves_averaged")."""
    n = len(real)
    real_labels, fake_labels = np.ones((n, 1)), np.zeros((len(fake), 1))
    if variant == "labels_swapped":
        real_labels, fake_labels = np.zeros((n, 1)), np.ones((len(fake), 1))
    if variant in ("halves_summed", "halves_averaged"):
        total = tf.add(bce(real_labels, logits[:n]), bce(fake_labels, logits[n:]))
        return total if variant == "halves_summed" else total / 2.0
    return bce(tf.concat([real_labels, fake_labels], 0), logits)


def _generator_step_loss(tf, bce, variant: str, logits):
    """G's loss on D's logits for its images: Keras' BinaryCrossentropy with labels 1, or
    the variant's ("saturating": mean(log(1 - D(G(z)))), "labels_zero")."""
    if variant == "saturating":
        return tf.reduce_mean(tf.math.log_sigmoid(-logits))
    labels = np.zeros(logits.shape) if variant == "labels_zero" else np.ones(logits.shape)
    return bce(labels, logits)


def _keras_gan(tf, keras, case: GanCase, variant: str, lr: float | None = None) -> list[dict]:
    """The case's steps done with Keras: per step {"gen", "disc": params after the step,
    "d_loss", "g_loss": each before its step, "d_loss_after", "g_loss_after": after it,
    "states": the two optimizers' slots}.

    variant "" is the seed's step: D's Adam on the stacked batch (real 1, fake 0), then G's
    Adam on the loss through the updated D (labels 1), the tape watching G's variables
    only. The wrong ones (STEP_VARIANTS): "old_disc" (G through D before its step),
    "disc_moves" (D's Adam also steps D on G's loss), "disc_moves_combined" (G's Adam
    steps D's variables too), "states_not_carried" (fresh optimizers at every step), and
    the wrong losses of _discriminator_step_loss and _generator_step_loss.
    """
    lr = case.lr if lr is None else lr
    gen, disc = _keras_net(keras, case.gen, "sigmoid"), _keras_net(keras, case.disc, None)
    bce = keras.losses.BinaryCrossentropy(from_logits=True, dtype="float64")
    trajectory = []
    for step in range(case.steps):
        if step == 0 or variant == "states_not_carried":
            opt_g, opt_d = _keras_adam(tf, keras, lr), _keras_adam(tf, keras, lr)
        real, noise = case.real[step], case.noise[step]
        fake = gen(noise)
        stacked = tf.concat([real, fake], 0)
        old_disc = _weights(disc)
        d_vars, g_vars = disc.trainable_variables, gen.trainable_variables
        with tf.GradientTape() as tape:
            d_loss = _discriminator_step_loss(tf, bce, variant, real, fake, disc(stacked))
        opt_d.apply_gradients(zip(tape.gradient(d_loss, d_vars), d_vars, strict=True))
        d_loss_after = _discriminator_step_loss(tf, bce, variant, real, fake, disc(stacked))
        through = _keras_net(keras, old_disc, None) if variant == "old_disc" else disc
        with tf.GradientTape(persistent=True) as tape:
            g_loss = _generator_step_loss(tf, bce, variant, through(gen(noise)))
        if variant == "disc_moves_combined":
            both = [*g_vars, *d_vars]
            opt_g.apply_gradients(zip(tape.gradient(g_loss, both), both, strict=True))
        else:
            opt_g.apply_gradients(zip(tape.gradient(g_loss, g_vars), g_vars, strict=True))
            if variant == "disc_moves":
                opt_d.apply_gradients(zip(tape.gradient(g_loss, d_vars), d_vars, strict=True))
        trajectory.append(
            {
                "gen": _weights(gen),
                "disc": _weights(disc),
                "d_loss": float(d_loss),
                "g_loss": float(g_loss),
                "d_loss_after": float(d_loss_after),
                "g_loss_after": float(_generator_step_loss(tf, bce, variant, through(gen(noise)))),
                "states": {"generator": _slots(opt_g), "discriminator": _slots(opt_d)},
            }
        )
    return trajectory


def _keras_variants(tf, keras, case: GanCase) -> dict:
    """{variant: _keras_gan's trajectory} of the right step ("") and the wrong ones of
    STEP_VARIANTS (states not carried only over several steps, where it differs)."""
    return {
        variant: _keras_gan(tf, keras, case, variant)
        for variant in ("", *(v for v, _ in STEP_VARIANTS))
        if case.steps > 1 or variant != "states_not_carried"
    }


def _step_mistakes(variants, case: GanCase, step: int, key: str, name, before) -> list:
    """The named wrong values of one result of step `step`: key "gen" or "disc" with a
    parameter `name`, or "d_loss" / "g_loss" (name None). `before`: the parameter as it
    went into the step (a G that did not move), or None.

    A variant names nothing where ten times the mistakes' match tolerance cannot tell it
    from the right value: Adam takes nearly the same step from a gradient of another
    scale, so a wrong scale would otherwise match every variant that changes only that.
    """
    computed = variants()
    right = computed[""][step]
    found = []
    for variant, mistake in STEP_VARIANTS:
        if variant not in computed or (name and variant in LOSS_ONLY_VARIANTS):
            continue
        value = computed[variant][step][key]
        value, want = (value[name], right[key][name]) if name else (value, right[key])
        if not np.allclose(value, want, rtol=10 * MATCH_RTOL, atol=10 * MATCH_ATOL):
            found.append(Mistake(value, mistake))
    if key in ("d_loss", "g_loss"):
        count = len(case.noise[step]) + (len(case.real[step]) if key == "d_loss" else 0)
        found.append(Mistake(right[f"{key}_after"], "gan_loss_after_step"))
        found.append(Mistake(np.multiply(right[key], count), "summed_everywhere"))
    if before is not None:
        found.append(Mistake(before, "gan_generator_did_not_move"))
    return found


def _expect_step_value(got, expected, what: str, mistakes) -> None:
    expect_close(got, expected, what=what, rtol=RTOL, atol=ATOL, mistakes=mistakes)


def _unpack_step(result, gen: dict, disc: dict) -> tuple:
    """gan_train_step's (new_gen, new_disc, new_states, d_loss, g_loss), checked for their
    kinds: dicts holding the parameters of `gen` and `disc`, in their shapes."""
    new_gen, new_disc, states, d_loss, g_loss = _unpack(result, "gan_train_step", 5)
    for position, (got, params, network) in enumerate(
        ((new_gen, gen, "generator"), (new_disc, disc, "discriminator")), start=1
    ):
        if not isinstance(got, dict) or set(got) != set(PARAMS):
            kind = sorted(got) if isinstance(got, dict) else type(got).__name__
            raise CheckFailure(
                f"result {position} of gan_train_step should be the new {network} parameters, "
                f"a dict with the keys {list(PARAMS)}, got {kind}"
            )
        for name in PARAMS:
            expect_shape(got[name], np.shape(params[name]), f"the new {network}'s {name}")
    if not isinstance(states, dict):
        raise CheckFailure(
            "result 3 of gan_train_step should be the new opt_states, a dict, got "
            f"{type(states).__name__}"
        )
    return new_gen, new_disc, states, d_loss, g_loss


def _expect_steps(learner, tf, keras, case: GanCase, states: dict) -> None:
    """Fail unless the learner's gan_train_step, called case.steps times from the case's
    parameters and `states` (each call continuing from the last one's results), gives
    Keras' losses and parameters at every step, naming the wrong steps of STEP_VARIANTS."""
    expected = _keras_gan(tf, keras, case, "")
    variants = cache(partial(_keras_variants, tf, keras, case))
    gen, disc = case.gen, case.disc
    for step in range(case.steps):
        call = "gan_train_step"
        if case.steps > 1:
            call = f"gan_train_step call {step + 1} of {case.steps}"
        result = learner.gan_train_step(
            gen, disc, case.real[step], case.noise[step], states, case.lr
        )
        new_gen, new_disc, states, d_loss, g_loss = _unpack_step(result, gen, disc)
        want = expected[step]
        checked = [
            (d_loss, "d_loss", None, None, "d_loss (result 4)"),
            *((new_disc[n], "disc", n, None, f"the new discriminator's {n}") for n in PARAMS),
            (g_loss, "g_loss", None, None, "g_loss (result 5)"),
            *((new_gen[n], "gen", n, gen[n], f"the new generator's {n}") for n in PARAMS),
        ]
        try:
            for got, key, name, before, label in checked:
                value = want[key][name] if name else want[key]
                mistakes = partial(_step_mistakes, variants, case, step, key, name, before)
                _expect_step_value(got, value, f"{label} of {call} ({TOLERANCE})", mistakes)
        except CheckFailure as failure:
            raise CheckFailure(f"{failure}\n{text(BUILDS_ON)}") from None
        gen, disc = new_gen, new_disc


def _expect_states(states: dict, expected: dict, steps: int) -> None:
    """Fail unless the learner's opt_states are {network: {param: adam state}} holding
    Keras' Adam slots (m its momentum, v its velocity, t the steps taken)."""
    if set(states) != set(NETWORKS):
        raise CheckFailure(
            f"after {steps} steps the opt_states gan_train_step returns have the keys "
            f"{sorted(states)}: the docstring's are {list(NETWORKS)}"
        )
    for network in NETWORKS:
        per_param = states[network]
        if not isinstance(per_param, dict) or set(per_param) != set(PARAMS):
            kind = sorted(per_param) if isinstance(per_param, dict) else type(per_param).__name__
            raise CheckFailure(
                f'opt_states["{network}"] should hold one Adam state per parameter, '
                f"{list(PARAMS)}, got {kind}"
            )
        for name in PARAMS:
            state, want = per_param[name], expected[network][name]
            where = f'opt_states["{network}"]["{name}"]'
            if not isinstance(state, dict) or state.get("t") != steps:
                t = state.get("t") if isinstance(state, dict) else state
                raise CheckFailure(
                    f'{where} after {steps} steps should be adam_step\'s state with "t" '
                    f"{steps}, got {t!r}"
                )
            for key, slot in (("m", "momentum"), ("v", "velocity")):
                what = f'{where}["{key}"] after {steps} steps (Keras\' Adam keeps it as its {slot})'
                expect_close(state.get(key), want[key], what=what, rtol=RTOL, atol=ATOL)


def _differences(before, after, path: str) -> list[str]:
    """Where `after` differs from `before` (nested dicts, arrays, numbers)."""
    if isinstance(before, dict):
        if not isinstance(after, dict) or set(before) != set(after):
            return [path]
        return [d for k in before for d in _differences(before[k], after[k], f"{path}[{k!r}]")]
    same = np.shape(before) == np.shape(after) and np.array_equal(before, after, equal_nan=True)
    return [] if same else [path]
