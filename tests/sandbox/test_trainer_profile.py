"""The trainer's stopwatch (grader/sandbox/trainer.py, `Stopwatch`): every learner function a
training batch calls is timed under the part of the network it works for, the held-out
predictions are not, and every progress message carries the stopwatch so far. The reference
modules are installed as a worker holds them (the `worker_modules` fixture)."""

from __future__ import annotations

import itertools
import time
import types
from collections import Counter

import numpy as np
import pytest
from learner_modules import solution_module, stub_module
from tiny_gan import DISCRIMINATOR, GENERATOR, IMAGE

from grader.engine import gan, oracles
from grader.engine.capstone import progress_record, validate
from grader.engine.profile import Watch
from grader.sandbox import trainer

MODULES = (
    "ex01_tensors",
    "ex02_activations",
    "ex03_softmax_losses",
    "ex04_dense",
    "ex05_convolution",
    "ex06_pooling",
    "ex07_conv_backward",
    "ex08_dropout_init",
    "ex09_optimizers",
    "ex18_recurrent",
    "ex20_gan",
)
LAYERS = [
    {"layer": "conv2d", "filters": 2, "kernel_size": 3, "activation": "relu"},
    {"layer": "max_pool", "pool_size": 2},
    {"layer": "flatten"},
    {"layer": "dropout", "rate": 0.5},
    {"layer": "dense", "units": 10, "activation": "softmax"},
]
TRAINING = {
    "optimizer": "adam",
    "learning_rate": 1e-3,
    "epochs": 2,
    "batch_size": 16,
    "validation_split": 0.0,
    "decay": {"decay_steps": 10, "decay_rate": 0.9},
    "global_clipnorm": 1.0,
}
FIT = 64  # training images: 4 batches of 16 per epoch
BATCHES = TRAINING["epochs"] * FIT // TRAINING["batch_size"]
# What one training batch of LAYERS calls, under which part, how many times.
PER_BATCH = {
    ("layer 1", "conv2d_forward"): 1,
    ("layer 1", "relu"): 1,
    ("layer 1", "relu_backward"): 1,
    ("layer 1", "conv2d_backward"): 1,
    ("layer 2", "max_pool_forward"): 1,
    ("layer 2", "max_pool_backward"): 1,
    ("layer 3", "flatten"): 1,
    ("layer 4", "dropout_forward"): 1,
    ("layer 4", "dropout_backward"): 1,
    ("layer 5", "dense_forward"): 1,
    ("layer 5", "dense_backward"): 1,
    ("", "softmax_cross_entropy"): 1,
    ("optimizer", "exponential_decay"): 1,
    ("optimizer", "clip_gradients"): 1,
    ("optimizer", "adam_step"): 4,  # the conv's and the dense layer's kernel and bias
}


@pytest.fixture(scope="module")
def spec():
    """LAYERS and TRAINING as the trusted side validates them, on 28x28 images."""
    return validate(LAYERS, TRAINING, (28, 28), 10, oracles.keras())


def _data(n: int):
    rng = np.random.default_rng(3)
    return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), rng.integers(0, 10, n)


def _install(worker_modules, **replaced) -> list:
    """The reference modules (or those `replaced`) where the trainer imports them, exercise 20
    last, as it imports exercises 2, 4 and 9 itself; returns the list of progress messages."""

    def module(name: str):
        return replaced.get(name) or solution_module(name)

    *first, last = MODULES
    worker_modules({name: module(name) for name in first})
    return worker_modules({last: module(last)})


def _fit(spec, n: int = FIT, **training) -> dict:
    x, y = _data(n)
    return trainer.fit_and_predict(
        spec.layers, {**spec.training, **training}, spec.input_shape, x, y
    )


def _calls(stopwatch: dict, key: str = "calls") -> dict[tuple[str, str], float]:
    return {(part, function): seconds for part, function, seconds in stopwatch[key]}


@pytest.fixture
def ticking(monkeypatch):
    """The stopwatch's clock made to tick once each time it is read: a timed call then lasts
    exactly 1 "second", so the profile counts the timed calls."""
    ticks = itertools.count()
    clock = types.SimpleNamespace(perf_counter=lambda: float(next(ticks)), monotonic=time.monotonic)
    monkeypatch.setattr(trainer, "time", clock)


# ---------------------------------------------------------------- fit_and_predict


def test_every_learner_function_of_a_batch_is_timed_under_its_part(spec, worker_modules):
    _install(worker_modules)
    stopwatch = _fit(spec)["profile"]
    assert set(stopwatch) == {"batches", "seconds", "calls", "fastest"}
    assert stopwatch["batches"] == BATCHES
    calls = _calls(stopwatch)
    assert set(calls) == set(PER_BATCH)
    assert len(calls) == len(stopwatch["calls"]), "one entry per (part, function)"
    assert all(seconds > 0 for seconds in calls.values())
    assert stopwatch["seconds"] >= sum(calls.values())
    fastest = _calls(stopwatch, "fastest")
    assert set(fastest) == set(calls)
    for key, seconds in fastest.items():  # a batch's seconds per sample, the least of them
        assert 0 < seconds * TRAINING["batch_size"] <= calls[key] / BATCHES * 1.0001
    # the trusted side reads it as the trainer's, with every part and function it expects
    built = Watch(spec.layers, spec.training, spec.input_shape).profile(
        stopwatch, with_reference=False
    )
    assert built is not None and built.batches == BATCHES
    assert {(row.part, row.function) for row in built.rows[:-1]} == set(PER_BATCH)


def test_the_stopwatch_counts_each_call_of_the_training_batches_once(spec, worker_modules, ticking):
    _install(worker_modules)
    stopwatch = _fit(spec)["profile"]
    assert _calls(stopwatch) == {key: count * BATCHES for key, count in PER_BATCH.items()}
    per_sample = {key: count / TRAINING["batch_size"] for key, count in PER_BATCH.items()}
    assert _calls(stopwatch, "fastest") == pytest.approx(per_sample)
    assert stopwatch["seconds"] >= sum(PER_BATCH.values()) * BATCHES


def test_the_held_out_predictions_are_not_timed(spec, worker_modules, ticking):
    """The same 64 training images, then with 32 more held out: the held-out forward passes
    (every layer's forward function, once an epoch) add nothing to the stopwatch."""
    _install(worker_modules)
    alone = _fit(spec)["profile"]
    split = 32 / (FIT + 32)
    held_out = _fit(spec, FIT + 32, validation_split=split)["profile"]
    assert trainer.held_out_size(FIT + 32, split) == 32
    assert held_out["batches"] == alone["batches"] == BATCHES
    assert _calls(held_out) == _calls(alone)


def test_the_held_out_forward_passes_do_run(spec, worker_modules):
    """What the test above relies on: a held-out split calls dense_forward more often."""
    counted = Counter()
    ex04 = solution_module("ex04_dense")
    forward = ex04.dense_forward

    def dense_forward(*args):
        counted["calls"] += 1
        return forward(*args)

    ex04.dense_forward = dense_forward
    _install(worker_modules, ex04_dense=ex04)
    _fit(spec)
    alone = counted["calls"]
    counted.clear()
    _fit(spec, FIT + 32, validation_split=32 / (FIT + 32))
    assert alone == BATCHES and counted["calls"] == BATCHES + TRAINING["epochs"]


def test_every_progress_message_carries_the_batch_and_the_stopwatch_so_far(spec, worker_modules):
    reports = _install(worker_modules)
    _fit(spec)
    per_epoch = FIT // TRAINING["batch_size"]
    progress = [message for message in reports if not message.get("done")]
    assert [(m["epoch"], m["batch"]) for m in progress] == [(1, 1), (1, 4), (2, 1), (2, 4)]
    for message in progress:
        assert message["batches"] == per_epoch
        stopwatch = message["profile"]
        assert stopwatch["batches"] == (message["epoch"] - 1) * per_epoch + message["batch"]
        assert set(_calls(stopwatch)) == set(PER_BATCH)
        record = progress_record(message, TRAINING["epochs"])
        assert (record["batch"], record["batches"]) == (message["batch"], per_epoch)


def test_the_trial_run_still_names_where_not_implemented_was_raised(spec, worker_modules):
    """The stopwatch wraps the learner's functions: the probe still names the stub itself."""
    _install(worker_modules, ex04_dense=stub_module("ex04_dense"))
    needed = trainer.needed_functions(spec.layers, spec.training)
    verdicts = dict(zip(needed, trainer.probe_functions(spec.layers, spec.training), strict=True))
    for function in ("dense_forward", "dense_backward"):
        assert verdicts["ex04_dense", function] == [trainer.NOT_IMPLEMENTED, "ex04_dense", function]
    assert verdicts["ex07_conv_backward", "conv2d_backward"] == trainer.READY


# ---------------------------------------------------------------- fit_gan


def test_a_gans_stopwatch_names_each_networks_layers(worker_modules):
    keras = oracles.keras()
    training = {"optimizer": "adam", "learning_rate": 1e-3, "epochs": 1, "batch_size": 32}
    spec = gan.validate_gan(GENERATOR, DISCRIMINATOR, {**training, "noise_dim": 8}, IMAGE, keras)
    reports = _install(worker_modules)
    images = np.random.default_rng(1).integers(0, 256, (64, *IMAGE), dtype=np.uint8)
    generator, discriminator = spec.generator.layers, spec.discriminator.layers
    stopwatch = trainer.fit_gan(generator, discriminator, spec.training, images)["profile"]
    dense = ["dense_forward", "dense_backward"]
    expected = {
        **dict.fromkeys(("generator layer 1", name) for name in [*dense, "relu", "relu_backward"]),
        **dict.fromkeys(
            ("generator layer 2", name) for name in [*dense, "sigmoid", "sigmoid_backward"]
        ),
        **dict.fromkeys(
            ("discriminator layer 1", name) for name in [*dense, "relu", "relu_backward"]
        ),
        **dict.fromkeys(("discriminator layer 2", name) for name in dense),  # logits
        ("generator optimizer", "adam_step"): None,
        ("discriminator optimizer", "adam_step"): None,
        ("", "discriminator_loss"): None,
        ("", "generator_loss"): None,
    }
    assert stopwatch["batches"] == 2 and set(_calls(stopwatch)) == set(expected)
    progress = [message for message in reports if not message.get("done")]
    assert [(m["batch"], m["batches"], m["profile"]["batches"]) for m in progress] == [
        (1, 2, 1),
        (2, 2, 2),
    ]
    watch = Watch(generator, spec.training, (8,), discriminator=discriminator)
    built = watch.profile(stopwatch, with_reference=False)
    assert built is not None and built.rows[0].part == "generator layer 1"
