"""The sandbox trainer's GAN (exercise 21): the functions it needs and probes, and fit_gan on
a few tiny images with the reference modules installed as a worker holds them."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from learner_modules import solution_module, stub_module
from tiny_gan import DISCRIMINATOR, GENERATOR, IMAGE

from grader.engine import gan, oracles
from grader.engine.capstone import MissingFunction, checked_weights, read_probe, reported_history
from grader.sandbox import trainer

# What fit_gan imports; exercise 20 last, as it imports exercises 2, 4 and 9 itself.
MODULES = (
    "ex01_tensors",
    "ex02_activations",
    "ex04_dense",
    "ex08_dropout_init",
    "ex09_optimizers",
    "ex18_recurrent",
    "ex20_gan",
)
TRAINING = {
    "optimizer": "adam",
    "learning_rate": 1e-3,
    "beta_1": 0.5,
    "epochs": 2,
    "batch_size": 32,
    "noise_dim": 8,
}
EX01, EX02, EX04 = "ex01_tensors", "ex02_activations", "ex04_dense"
EX08, EX09, EX20 = "ex08_dropout_init", "ex09_optimizers", "ex20_gan"


def _install(worker_modules, stubbed=()) -> list:
    """MODULES installed as a worker holds them: the references, or the untouched stubs of
    those named in `stubbed`; exercise 20 last, once the modules it imports are in place.
    Returns the list of progress messages."""

    def module(name: str):
        return stub_module(name) if name in stubbed else solution_module(name)

    *first, last = MODULES
    worker_modules({name: module(name) for name in first})
    return worker_modules({last: module(last)})


@pytest.fixture(scope="module")
def spec():
    """GENERATOR, DISCRIMINATOR and TRAINING as the trusted side validates them."""
    return gan.validate_gan(GENERATOR, DISCRIMINATOR, TRAINING, IMAGE, oracles.keras())


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(1).integers(0, 256, (128, *IMAGE), dtype=np.uint8)


def _fit(spec, images, seed=0, **training) -> dict:
    return trainer.fit_gan(
        spec.generator.layers,
        spec.discriminator.layers,
        {**spec.training, **training},
        images,
        seed=seed,
    )


# ------------------------------------------------------------------ what the GAN needs


def test_a_gan_needs_exercise_20s_losses_and_the_layers_functions(spec):
    needed = trainer.needed_functions(
        spec.generator.layers, spec.training, spec.discriminator.layers
    )
    assert needed == [
        (EX01, "scale_pixels"),
        (EX08, "glorot_uniform"),
        (EX04, "dense_forward"),
        (EX04, "dense_backward"),
        (EX02, "relu"),
        (EX02, "relu_backward"),
        (EX02, "sigmoid"),  # the generator's last layer
        (EX02, "sigmoid_backward"),
        (EX01, "minibatches"),
        (EX20, "discriminator_loss"),
        (EX20, "generator_loss"),
        (EX09, "adam_step"),
    ]


def test_the_discriminators_sigmoid_is_not_tried_it_is_fused_into_the_losses(spec):
    """Only the generator's last layer calls the learner's sigmoid: the discriminator's
    hands its logits to exercise 20's losses."""
    calls = trainer.planned_calls(
        spec.generator.layers, spec.training, np.random.default_rng(0), spec.discriminator.layers
    )
    assert [c.name for c in calls].count("sigmoid") == 1
    assert [c.name for c in calls].count("relu") == 2


def _missing(spec) -> list[MissingFunction]:
    """The missing functions as the grader reads them from the trainer's own probe."""
    networks = (spec.generator.layers, spec.training, spec.discriminator.layers)
    return read_probe(trainer.probe_functions(*networks), trainer.needed_functions(*networks))


def test_the_probe_finds_the_references_ready(spec, worker_modules):
    _install(worker_modules)
    networks = (spec.generator.layers, spec.training, spec.discriminator.layers)
    answer = trainer.probe_functions(*networks)
    assert answer == [trainer.READY] * len(trainer.needed_functions(*networks))


def test_the_probe_names_exercise_20s_stub(spec, worker_modules):
    _install(worker_modules, stubbed=(EX20,))
    assert _missing(spec) == [
        MissingFunction(EX20, "discriminator_loss", trainer.NOT_IMPLEMENTED),
        MissingFunction(EX20, "generator_loss", trainer.NOT_IMPLEMENTED),
    ]


# ------------------------------------------------------------------ fit_gan


def test_only_the_generators_weights_come_back_in_the_specs_shapes(spec, images, worker_modules):
    reports = _install(worker_modules)
    result = _fit(spec, images)
    assert set(result) == {"weights", "history", "profile"}
    weights = result["weights"]
    assert [{k: a.shape for k, a in layer.items()} for layer in weights] == (
        spec.generator.weight_shapes
    )
    assert all(a.dtype == np.float32 for layer in weights for a in layer.values())
    assert checked_weights(spec.generator, weights), "the trusted side reads them"

    history = result["history"]
    assert [h["epoch"] for h in history] == [1, 2]
    assert all(
        set(h) == {"epoch", "loss", "generator_loss", "accuracy", "seconds"} for h in history
    )
    assert all(0 <= h["accuracy"] <= 1 and min(h["loss"], h["generator_loss"]) > 0 for h in history)
    assert reported_history(history, 2)[-1]["generator_loss"] == history[-1]["generator_loss"]
    assert [r["epoch"] for r in reports if r.get("done")] == [1, 2]


@pytest.mark.parametrize("clipnorm", [None, 1.0], ids=["plain", "clipped"])
def test_one_seed_trains_the_same_gan(spec, images, worker_modules, clipnorm):
    _install(worker_modules)
    options = {"global_clipnorm": clipnorm} if clipnorm else {}
    first, again = _fit(spec, images, **options), _fit(spec, images, **options)
    other = _fit(spec, images, seed=1, **options)
    for mine, twin, theirs in zip(
        first["weights"], again["weights"], other["weights"], strict=True
    ):
        np.testing.assert_array_equal(mine["w"], twin["w"])
        assert not np.array_equal(mine["w"], theirs["w"])

    def losses(result):
        return [{k: v for k, v in h.items() if k != "seconds"} for h in result["history"]]

    assert losses(first) == losses(again)


def _params(network: trainer.Network) -> list[dict[str, np.ndarray]]:
    return [{name: p.copy() for name, p in layer.params.items()} for layer in network.layers]


def _same(a: list[dict], b: list[dict]) -> bool:
    return all(np.array_equal(x[name], y[name]) for x, y in zip(a, b, strict=True) for name in x)


def test_the_discriminator_does_not_move_in_the_generators_step(
    spec, images, worker_modules, monkeypatch
):
    """Every step is watched: they alternate D, G; each moves its own network only, and
    nothing moves either network between steps (G's pass back through D leaves D as it is)."""
    built: list[trainer.Network] = []
    steps: list[tuple[int, list, list]] = []  # (who, both networks before, both after)

    class Watched(trainer.Network):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            built.append(self)

        def step(self, *args):
            before = [_params(network) for network in built]
            super().step(*args)
            steps.append((built.index(self), before, [_params(network) for network in built]))

    monkeypatch.setattr(trainer, "Network", Watched)
    _install(worker_modules)
    _fit(spec, images)
    generator, discriminator = 0, 1  # in the order fit_gan builds them
    batches = TRAINING["epochs"] * len(images) // TRAINING["batch_size"]
    assert [who for who, _, _ in steps] == [discriminator, generator] * batches
    for who, before, after in steps:
        assert not _same(before[who], after[who]), "the stepping network moves"
        assert _same(before[1 - who], after[1 - who]), "the other one does not"
    for (_, _, after), (_, before, _) in itertools.pairwise(steps):
        assert _same(after[generator], before[generator]), "G moved outside its step"
        assert _same(after[discriminator], before[discriminator]), "D moved outside its step"
