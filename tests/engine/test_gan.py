"""grader.engine.gan, exercise 21's trusted side: the GAN's spec, the samples drawn from the
returned weights, the variety score and the pictures (no GAN is trained here)."""

from __future__ import annotations

import runpy

import numpy as np
import pytest
from grade_cli import KIT_ROOT
from tiny_gan import DISCRIMINATOR as TINY_DISCRIMINATOR
from tiny_gan import GENERATOR as TINY_GENERATOR
from tiny_gan import IMAGE as TINY_IMAGE

from grader.engine import gan, oracles
from grader.engine.capstone import SpecError
from grader.engine.judge import Anchors, NearestStats

REFERENCE = runpy.run_path(str(KIT_ROOT / "solutions" / "ex21_gan_mnist.py"))
GENERATOR, DISCRIMINATOR, TRAINING = (REFERENCE[name] for name in gan.NAMES)
MNIST = (28, 28)
TINY_TRAINING = {**TRAINING, "noise_dim": 4}


@pytest.fixture(scope="module")
def keras():
    return oracles.keras()


def _keras_count(keras, inputs: int, dense: list[tuple[int, str]]) -> int:
    """count_params of Keras' own Sequential of Dense(units, activation) layers."""
    layers = [keras.layers.Dense(units, activation=activation) for units, activation in dense]
    return keras.Sequential([keras.Input((inputs,)), *layers]).count_params()


# ------------------------------------------------------------------ the spec


def test_the_seeds_gan_is_valid_and_counted_as_keras_counts_it(keras):
    spec = gan.validate_gan(GENERATOR, DISCRIMINATOR, TRAINING, MNIST, keras)
    assert spec.noise_dim == 100 and spec.training["loss"] == "gan"
    assert spec.generator.input_shape == (100,) and spec.discriminator.input_shape == (784,)
    seed_generator = _keras_count(keras, 100, [(256, "relu"), (784, "sigmoid")])
    seed_discriminator = _keras_count(keras, 784, [(128, "relu"), (1, "sigmoid")])
    assert spec.generator.parameter_count == seed_generator == 227_344
    assert spec.discriminator.parameter_count == seed_discriminator == 100_609
    assert spec.generator.weight_shapes == [
        {"w": (100, 256), "b": (256,)},
        {"w": (256, 784), "b": (784,)},
    ]


def test_the_noise_is_100_numbers_unless_training_says_otherwise(keras):
    training = {key: value for key, value in TRAINING.items() if key != "noise_dim"}
    assert gan.validate_gan(GENERATOR, DISCRIMINATOR, training, MNIST, keras).noise_dim == 100
    spec = gan.validate_gan(GENERATOR, DISCRIMINATOR, {**training, "noise_dim": 7}, MNIST, keras)
    assert spec.noise_dim == 7 and spec.generator.input_shape == (7,)


def _last(layers: list[dict], **changes) -> list[dict]:
    return [*layers[:-1], {**layers[-1], **changes}]


CONV = {"layer": "conv2d", "filters": 2, "kernel_size": 3, "activation": "relu"}
LSTM = {"layer": "lstm", "units": 4}
# (GENERATOR, DISCRIMINATOR, TRAINING, the catalogue key, words the message must say)
BAD_GANS = {
    "generator-ends-in-relu": (
        _last(GENERATOR, activation="relu"),
        DISCRIMINATOR,
        TRAINING,
        "spec_last_layer_image",
        ["GENERATOR's last layer", "'units': 784", "'activation': 'sigmoid'"],
    ),
    "generator-makes-10-numbers": (
        _last(GENERATOR, units=10),
        DISCRIMINATOR,
        TRAINING,
        "spec_last_layer_image",
        ["GENERATOR's last layer", "'units': 784", "per pixel"],
    ),
    "discriminator-without-sigmoid": (
        GENERATOR,
        _last(DISCRIMINATOR, activation=None),
        TRAINING,
        "spec_last_layer_verdict",
        ["DISCRIMINATOR's last layer", "'units': 1", "'activation': 'sigmoid'", "probability"],
    ),
    "discriminator-with-2-units": (
        GENERATOR,
        _last(DISCRIMINATOR, units=2),
        TRAINING,
        "spec_last_layer_verdict",
        ["DISCRIMINATOR's last layer", "'units': 1"],
    ),
    "discriminator-with-2-softmax-units": (
        GENERATOR,
        _last(DISCRIMINATOR, units=2, activation="softmax"),
        TRAINING,
        "spec_last_layer_verdict",
        ["DISCRIMINATOR's last layer", "'units': 1"],
    ),
    "no-noise": (
        GENERATOR,
        DISCRIMINATOR,
        {**TRAINING, "noise_dim": 0},
        "spec_positive_int",
        ["TRAINING", "noise_dim", "positive whole number", "got 0"],
    ),
    "too-much-noise": (
        GENERATOR,
        DISCRIMINATOR,
        {**TRAINING, "noise_dim": 5000},
        "spec_noise_dim",
        ["TRAINING['noise_dim']", "at most 1000", "100"],
    ),
    "noise-of-a-float": (
        GENERATOR,
        DISCRIMINATOR,
        {**TRAINING, "noise_dim": 100.0},
        "spec_positive_int",
        ["noise_dim", "positive whole number", "got 100.0"],
    ),
    "a-validation-split": (
        GENERATOR,
        DISCRIMINATOR,
        {**TRAINING, "validation_split": 0.1},
        "spec_gan_validation_split",
        ["TRAINING has a validation_split", "Remove the key"],
    ),
    "a-convolution-in-the-discriminator": (
        GENERATOR,
        [CONV, {"layer": "flatten"}, *DISCRIMINATOR],
        TRAINING,
        "spec_gan_vectors",
        ["DISCRIMINATOR[0] (conv2d)", "vectors", "dense"],
    ),
    "a-recurrent-layer-in-the-generator": (
        [LSTM, *GENERATOR],
        DISCRIMINATOR,
        TRAINING,
        "spec_gan_vectors",
        ["GENERATOR[0] (lstm)", "vectors", "dense"],
    ),
    "generator-not-a-list": (
        GENERATOR[0],
        DISCRIMINATOR,
        TRAINING,
        "spec_layers_empty",
        ["GENERATOR must be a non-empty list of layer dicts"],
    ),
}


@pytest.mark.parametrize(
    ("generator", "discriminator", "training", "key", "words"),
    BAD_GANS.values(),
    ids=list(BAD_GANS),
)
def test_a_broken_gan_is_refused_with_a_plain_message(
    keras, generator, discriminator, training, key, words
):
    with pytest.raises(SpecError) as caught:
        gan.validate_gan(generator, discriminator, training, MNIST, keras)
    assert caught.value.key == key, str(caught.value)
    for word in words:
        assert word in str(caught.value), str(caught.value)


# ------------------------------------------------------------------ the variety score


@pytest.mark.parametrize(
    ("coverage", "digits"),
    [
        ([0.1] * 10, 10.0),
        ([0, 0, 0, 1.0, 0, 0, 0, 0, 0, 0], 1.0),
        ([0.5, 0, 0, 0, 0, 0, 0, 0.5, 0, 0], 2.0),
        ([0.0] * 10, 0.0),
    ],
    ids=["an-even-spread", "one-digit", "two-equal-digits", "no-confident-sample"],
)
def test_effective_digits_counts_equally_common_digits(coverage, digits):
    assert gan.effective_digits(coverage) == pytest.approx(digits)


# ------------------------------------------------------------------ the samples


@pytest.fixture(scope="module")
def tiny_spec(keras):
    return gan.validate_gan(TINY_GENERATOR, TINY_DISCRIMINATOR, TINY_TRAINING, TINY_IMAGE, keras)


def _hand_made_weights(spec: gan.GanSpec) -> list[dict[str, np.ndarray]]:
    rng = np.random.default_rng(5)
    return [
        {name: rng.normal(0, 1, shape).astype(np.float32) for name, shape in shapes.items()}
        for shapes in spec.generator.weight_shapes
    ]


def test_samples_are_the_generator_on_the_kits_own_noise(tiny_spec, keras):
    weights = _hand_made_weights(tiny_spec)
    samples = gan.draw_samples(tiny_spec, weights, keras, seed=3, count=50)
    assert samples.shape == (50, 64)
    assert samples.min() >= 0 and samples.max() <= 1

    noise = np.random.default_rng(3).standard_normal((50, tiny_spec.noise_dim))
    hidden = np.maximum(noise @ weights[0]["w"] + weights[0]["b"], 0)
    by_hand = 1 / (1 + np.exp(-(hidden @ weights[1]["w"] + weights[1]["b"])))
    np.testing.assert_allclose(samples, by_hand, atol=1e-5)

    again = gan.draw_samples(tiny_spec, weights, keras, seed=3, count=50)
    np.testing.assert_array_equal(samples, again)
    other = gan.draw_samples(tiny_spec, weights, keras, seed=4, count=50)
    assert not np.allclose(samples, other)


# ------------------------------------------------------------------ the pictures


def _outcome(samples: int = 100) -> gan.GanOutcome:
    """A hand-made GanOutcome: random 28x28 samples, half of them confident digits."""
    rng = np.random.default_rng(0)
    probabilities = np.full((samples, 10), 0.1)
    probabilities[::2] = (
        np.eye(10)[rng.integers(0, 10, samples // 2)] * 0.9 + 0.01
    )  # 0.91 and nine 0.01
    coverage = np.full(10, 0.1)
    history = [
        {"epoch": 1, "loss": 1.2, "generator_loss": 0.8, "accuracy": 0.7, "seconds": 3.0},
        {"epoch": 2, "loss": 1.3, "generator_loss": None, "accuracy": None, "seconds": 3.0},
    ]
    return gan.GanOutcome(
        history=history,
        parameter_count=1,
        seconds=6.0,
        epochs=2,
        samples=rng.uniform(0, 1, (samples, 784)),
        probabilities=probabilities,
        scores=gan.Scores(
            0.5, coverage, gan.effective_digits(coverage), 40.0, NearestStats(6.0, 5.0)
        ),
        anchors=Anchors(2.0, 350.0),
        test_nearest=NearestStats(6.5, 3.0),
    )


def test_the_pictures_are_written_into_the_report_folder(tmp_path):
    folder = tmp_path / "nnlab-report" / "ex21"
    paths = gan.save_gan_plots(_outcome(), folder, "Exercise 21")
    assert [path.name for path in paths] == ["samples.png", "losses.png", "digits.png"]
    for path in paths:
        assert path.parent == folder
        assert path.read_bytes().startswith(b"\x89PNG"), path


def test_the_judges_training_is_shown_as_labelled_epochs(monkeypatch):
    """When the judge must be trained first (minutes, once), the learner sees its epochs in
    the capstone's progress lines, labelled, not a silent wait."""
    from grader.engine import judge as judging
    from grader.engine.capstone import describe_finished_epoch

    def training_judge(*, on_epoch=None, mnist=None, **_):
        for epoch in (1, 2):
            on_epoch(epoch, 2, 0.5 / epoch, 30.0)
        raise judging.JudgeTooWeak("stop here: only the progress is under test")

    monkeypatch.setattr(judging, "load_judge", training_judge)
    shown = []
    with pytest.raises(judging.JudgeTooWeak):
        gan.reference(((None, None), (None, None)), shown.append)
    assert [describe_finished_epoch(record) for record in shown] == [
        "the judge (trained once): epoch 1/2  loss 0.5000  30.0 s",
        "the judge (trained once): epoch 2/2  loss 0.2500  30.0 s",
    ]


def test_the_untouched_stub_is_told_about_generator_first(keras):
    """The module declares GENERATOR first: an empty stub is told about it first."""
    with pytest.raises(SpecError) as caught:
        gan.validate_gan([], [], {}, MNIST, keras)
    assert caught.value.key == "spec_layers_empty"
    assert caught.value.fields["layers"] == "GENERATOR"
