"""A mistake in a capstone's LAYERS or TRAINING in the learner's language: each one is a
catalogue sentence, English in reports and Chinese on a `--lang zh` screen."""

from __future__ import annotations

import json

import pytest
from grade_cli import grade

from grader.engine import gan, oracles
from grader.engine.capstone import SpecError, validate
from grader.messages import CATALOGUE, keys_in, text, translate

OUT = {"layer": "dense", "units": 10, "activation": "softmax"}
CONV = {"layer": "conv2d", "filters": 2, "kernel_size": 3, "activation": "relu"}
TRAINING = {"optimizer": "adam", "learning_rate": 0.01, "epochs": 1, "batch_size": 1024}
BOGUS = [{**OUT, "bogus": 1}]
LSTM = {"layer": "lstm", "units": 4}

# (LAYERS, TRAINING, image shape, the catalogue key of the mistake): one per sentence.
BAD_SPECS = [
    ([], TRAINING, (28, 28), "spec_layers_empty"),
    (["dense", OUT], TRAINING, (28, 28), "spec_not_a_layer"),
    (BOGUS, TRAINING, (28, 28), "spec_unknown_layer_keys"),
    ([{"layer": "flatten", "units": 3}, OUT], TRAINING, (28, 28), "spec_unknown_layer_keys_none"),
    ([{**OUT, "activation": "elu"}], TRAINING, (28, 28), "spec_activation_last"),
    ([{**CONV, "activation": "softmax"}, OUT], TRAINING, (28, 28), "spec_activation"),
    ([{**CONV, "kernel_initializer": "zeros"}, OUT], TRAINING, (28, 28), "spec_initializer"),
    ([{**CONV, "kernel_size": 0}, OUT], TRAINING, (28, 28), "spec_pair"),
    ([{**CONV, "filters": 0}, OUT], TRAINING, (28, 28), "spec_positive_int"),
    ([{**CONV, "padding": "full"}, OUT], TRAINING, (28, 28), "spec_padding"),
    ([{"layer": "dropout", "rate": 1}, OUT], TRAINING, (28, 28), "spec_dropout_rate"),
    ([{"layer": "flatten"}], TRAINING, (28, 28), "spec_last_layer"),
    ([{**OUT, "units": 7}], TRAINING, (28, 28), "spec_last_units"),
    ([{"layer": "flatten"}, CONV, OUT], TRAINING, (28, 28), "spec_needs_images"),
    ([CONV, OUT], TRAINING, (28, 28), "spec_needs_vectors"),
    ([{**CONV, "kernel_size": 5}, {"layer": "flatten"}, OUT], TRAINING, (3, 3), "spec_keras"),
    ([OUT], [TRAINING], (28, 28), "spec_training_not_dict"),
    ([OUT], {**TRAINING, "optimizer": "adagrad"}, (28, 28), "spec_optimizer"),
    ([OUT], {**TRAINING, "rho": 0.9}, (28, 28), "spec_training_unknown_keys"),
    ([OUT], {**TRAINING, "learning_rate": 0}, (28, 28), "spec_learning_rate"),
    ([OUT], {**TRAINING, "validation_split": 0.5}, (28, 28), "spec_validation_split"),
    ([OUT], {**TRAINING, "epochs": 101}, (28, 28), "spec_training_limits"),
    ([OUT], {**TRAINING, "decay": {"decay_steps": 10}}, (28, 28), "spec_decay"),
    ([OUT], {**TRAINING, "global_clipnorm": 0}, (28, 28), "spec_clipnorm"),
    ([{"layer": "dense", "units": 3}] * 64 + [OUT], TRAINING, (28, 28), "spec_too_many_layers"),
    ([{"layer": "lstm", "units": 10**5}, OUT], TRAINING, (28, 28), "spec_too_large"),
    ([{**LSTM, "return_sequences": 1}, OUT], TRAINING, (28, 28), "spec_return_sequences"),
    ([{"layer": "flatten"}, LSTM, OUT], TRAINING, (28, 28), "spec_needs_sequences"),
    ([{**LSTM, "return_sequences": True}, OUT], TRAINING, (28, 28), "spec_sequence_to_dense"),
]
# The same for the sentences of exercise 19's rules: (..., validate's keyword arguments).
SEQUENCE_SPECS = [
    ([OUT], TRAINING, (28, 28), "spec_recurrent_required", {"recurrent": True}),
    (
        [LSTM, {"layer": "flatten"}, OUT],
        TRAINING,
        (28, 28),
        "spec_flatten_in_sequences",
        {"recurrent": True},
    ),
    (
        [LSTM, {"layer": "dense", "units": 1, "activation": "sigmoid"}],
        TRAINING,
        (50, 2),
        "spec_last_layer_regression",
        {"n_classes": None},
    ),
]


# The same for exercise 21's GAN (gan.validate_gan): (GENERATOR, DISCRIMINATOR, TRAINING, key).
PIXELS = {"layer": "dense", "units": 784, "activation": "sigmoid"}
VERDICT = {"layer": "dense", "units": 1, "activation": "sigmoid"}
GAN_TRAINING = {**TRAINING, "noise_dim": 100}
GAN_SPECS = [
    ([{**PIXELS, "activation": "relu"}], [VERDICT], GAN_TRAINING, "spec_last_layer_image"),
    ([PIXELS], [{**VERDICT, "units": 2}], GAN_TRAINING, "spec_last_layer_verdict"),
    ([PIXELS], [VERDICT], {**GAN_TRAINING, "noise_dim": 5000}, "spec_noise_dim"),
    ([PIXELS], [VERDICT], {**GAN_TRAINING, "validation_split": 0.1}, "spec_gan_validation_split"),
    ([PIXELS], [CONV, {"layer": "flatten"}, VERDICT], GAN_TRAINING, "spec_gan_vectors"),
]


@pytest.fixture(scope="module")
def keras():
    return oracles.keras()


@pytest.mark.parametrize(
    ("layers", "training", "shape", "key", "options"),
    [(*spec, {}) for spec in BAD_SPECS] + SEQUENCE_SPECS,
)
def test_each_spec_mistake_is_a_catalogue_sentence_that_translates(
    keras, layers, training, shape, key, options
):
    n_classes, recurrent = options.get("n_classes", 10), options.get("recurrent", False)
    with pytest.raises(SpecError) as caught:
        validate(layers, training, shape, n_classes, keras, recurrent=recurrent)
    assert caught.value.key == key, str(caught.value)
    assert_translates(caught.value)


@pytest.mark.parametrize(("generator", "discriminator", "training", "key"), GAN_SPECS)
def test_each_gan_spec_mistake_is_a_catalogue_sentence_that_translates(
    keras, generator, discriminator, training, key
):
    with pytest.raises(SpecError) as caught:
        gan.validate_gan(generator, discriminator, training, (28, 28), keras)
    assert caught.value.key == key, str(caught.value)
    assert_translates(caught.value)


def test_an_empty_output_is_a_catalogue_sentence_that_translates():
    """Keras 3 refuses a layer whose output would be empty (spec_keras) before validate's
    own check of the output shapes can: that sentence is tried on its own."""
    assert_translates(SpecError("spec_empty_output", kind="max_pool", shape=(0, 0, 1)))


def assert_translates(mistake: SpecError) -> None:
    """`mistake` is its English catalogue sentence, and the learner's screen line that
    says it ("your network cannot be built: ...") translates whole into Chinese."""
    assert str(mistake) == text(mistake.key, **mistake.fields)
    said = text("spec_cannot_build", mistake=str(mistake))
    assert keys_in(said) == ["spec_cannot_build", mistake.key]
    chinese = text("spec_cannot_build", "zh", mistake=text(mistake.key, "zh", **mistake.fields))
    assert translate(said, "zh") == chinese


def test_every_spec_sentence_is_tried_above():
    sentences = {key for key in CATALOGUE if key.startswith("spec_")}
    tried = {key for *_, key in BAD_SPECS} | {key for *_, key, _ in SEQUENCE_SPECS}
    tried |= {key for *_, key in GAN_SPECS}
    tried |= {"spec_cannot_build", "spec_empty_output"}
    assert sentences == tried


def test_a_chinese_screen_says_why_the_network_cannot_be_built_and_the_report_stays_english(
    tmp_path,
):
    (tmp_path / "ex12_mnist_mlp.py").write_text(
        f"LAYERS = {BOGUS!r}\nTRAINING = {TRAINING!r}\n", encoding="utf-8"
    )
    fields = {
        "where": "LAYERS[0]",
        "kind": "dense",
        "keys": "['bogus']",
        "allowed": "activation, kernel_initializer, units",
    }
    mistake = text("spec_unknown_layer_keys", **fields)
    zh = text("spec_cannot_build", "zh", mistake=text("spec_unknown_layer_keys", "zh", **fields))

    screen = grade(tmp_path, 12, env={"NNLAB_LANG": "zh"})
    assert zh in screen.stdout, screen.stdout + screen.stderr
    assert "cannot be built" not in screen.stdout and "unknown keys" not in screen.stdout

    report = grade(tmp_path, 12, "--format", "json", env={"NNLAB_LANG": "zh"})
    assert report.stdout.startswith("{"), report.stdout + report.stderr
    (check,) = [
        c
        for c in json.loads(report.stdout)["checks"]
        if c["name"] == "network_and_training_settings_are_valid"
    ]
    assert check["message"] == text("spec_cannot_build", mistake=mistake), check


def test_a_gan_with_a_convolution_is_told_its_networks_work_on_vectors(tmp_path, kit_root):
    """A layer that needs images in a GAN's network: the report says why no place would do."""
    source = (kit_root / "solutions" / "ex21_gan_mnist.py").read_text("utf-8")
    hidden = '    {"layer": "dense", "units": 128, "activation": "relu"},\n'
    assert source.count(hidden) == 1, "the reference discriminator changed"
    convolution = f"    {CONV!r},\n    {{'layer': 'flatten'}},\n"
    (tmp_path / "ex21_gan_mnist.py").write_text(source.replace(hidden, convolution), "utf-8")

    report = grade(tmp_path, 21, "--format", "json")
    assert report.stdout.startswith("{"), report.stdout + report.stderr
    (check,) = [
        c
        for c in json.loads(report.stdout)["checks"]
        if c["name"] == "gan_networks_and_training_settings_are_valid"
    ]
    mistake = text("spec_gan_vectors", where="DISCRIMINATOR[0]", kind="conv2d")
    assert check["message"] == text("spec_cannot_build", mistake=mistake), check
