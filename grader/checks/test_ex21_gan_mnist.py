"""Checks of exercise 21 (capstone): the seed's GAN on MNIST, from the learner's pieces.

GENERATOR and DISCRIMINATOR are trained once (module-scoped fixtures) in the
sandbox from the learner's exercise 20 losses and exercises 1-9, on MNIST's
training images only; the worker returns the generator's weights. Here, in the
trusted process, the generator is built in Keras with them and draws 1,000
images from the kit's own noise, and the judge (grader/engine/judge.py), a
fixed MNIST classifier, scores those images (grader/engine/gan.py): how many
are digits it is sure of, how varied those digits are, how far their features
are from real test digits (Frechet distance), and whether they are copies of
training images. The bars are the registry's, from the reference.
"""

from functools import partial

import pytest

from grader.checks.checking import CheckFailure, points
from grader.engine import gan
from grader.engine.capstone import (
    NotRun,
    expect_keras_asked_for,
    expect_parameter_count,
    needed,
)
from grader.engine.judge import CONFIDENCE, JudgeTooWeak
from grader.messages import text


@pytest.fixture(scope="module")
def mnist(exercise, dataset_or_failure):
    """MNIST as keras.datasets returns it; only the training images reach the worker."""
    return dataset_or_failure(exercise.dataset)


@pytest.fixture(scope="module")
def gan_spec(learner, keras, mnist):
    """GENERATOR, DISCRIMINATOR and TRAINING, validated."""
    (x_train, _), _ = mnist
    return gan.declared_gan(learner, x_train.shape[1:], keras)


@pytest.fixture(scope="module")
def judged_against(mnist, collector):
    """The judge and its measures of real digits (trained once and cached if needed)."""
    try:
        return gan.reference(mnist, collector.on_training)
    except JudgeTooWeak as problem:
        raise NotRun(str(problem)) from None


@pytest.fixture(scope="module")
def gan_outcome(learner, gan_spec, mnist, exercise, collector, keras, request):
    """The GAN trained in the sandbox; its generator's samples drawn and judged here (the
    judge is asked for only once the training succeeded)."""
    judged_against = partial(request.getfixturevalue, "judged_against")
    outcome = gan.trained_gan(learner, gan_spec, mnist, exercise, collector, keras, judged_against)
    title = f"Exercise {exercise.number}"
    outcome.plots = gan.save_gan_plots(outcome, collector.report_dir, title)
    collector.artifacts.extend(outcome.plots)
    return outcome


def _not_copies(outcome) -> None:
    """CheckFailure for a generator whose samples are copies of training images: the judge
    would score the copies, not what the generator learnt."""
    if outcome.memorised:
        raise CheckFailure(text("gan_copies_not_judged"))


@points(1)
def test_gan_networks_and_training_settings_are_valid(gan_spec):
    assert gan_spec.generator.parameter_count > 0
    assert gan_spec.discriminator.parameter_count > 0


@points(1)
def test_generator_parameter_count_matches_the_same_model_in_keras(gan_spec, gan_outcome):
    """Counted from the returned weights, each checked against Keras' shapes as it was read."""
    expect_parameter_count(gan_spec.generator, gan_outcome)


@points(7)
def test_samples_are_digits_the_judge_is_sure_of(exercise, gan_outcome, note):
    _not_copies(gan_outcome)
    share = gan_outcome.scores.confident_share
    line = text(
        "gan_confident",
        share=f"{share:.1%}",
        count=f"{len(gan_outcome.samples):,}",
        confidence=f"{CONFIDENCE:g}",
        bar=f"{exercise.confident_bar:.0%}",
    )
    if share >= exercise.confident_bar:
        note(gan.summary(gan_outcome, line))
        return
    extra = [text("gan_noise_samples")] if share < 0.05 else []
    raise CheckFailure(gan.summary(gan_outcome, line, *extra))


@points(4)
def test_samples_spread_over_the_digits(exercise, gan_outcome, note):
    """No mode collapse: the confident samples are many digits, not one or two."""
    _not_copies(gan_outcome)
    digits = gan_outcome.scores.effective_digits
    lines = [
        gan.coverage_line(gan_outcome),
        text("gan_digits", digits=f"{digits:.1f}", bar=f"{exercise.digits_bar:g}"),
    ]
    if digits >= exercise.digits_bar:
        note("\n".join(lines))
        return
    if gan_outcome.scores.confident_share > 0:
        lines.append(text("gan_few_digits"))
    raise CheckFailure("\n".join(lines))


@points(5)
def test_samples_are_close_to_real_digits_in_frechet_distance(exercise, gan_outcome, note):
    _not_copies(gan_outcome)
    lines = [
        gan.frechet_line(gan_outcome),
        text("gan_frechet_bar", bar=f"{exercise.frechet_bar:g}"),
    ]
    if gan_outcome.scores.frechet < exercise.frechet_bar:
        note("\n".join(lines))
        return
    raise CheckFailure("\n".join(lines))


@points(2)
def test_samples_are_not_copies_of_training_images(gan_outcome, note):
    """MiFID's idea: a GAN that stores training images draws samples closer to them than
    real digits are. Then the three checks above are not judged: they would score copies."""
    line = gan.nearest_line(gan_outcome)
    if not gan_outcome.memorised:
        note(line)
        return
    raise CheckFailure("\n".join([line, text("gan_memorised")]))


@points(0)
def test_gan_in_keras_for_comparison(collector, request, keras, note):
    """Not scored: with --compare-keras, Keras trains the same GAN beside yours."""
    spec, mnist, outcome = (needed(request, n) for n in ("gan_spec", "mnist", "gan_outcome"))
    ref = needed(request, "judged_against")
    expect_keras_asked_for(collector)
    note(gan.keras_comparison(spec, mnist, outcome, ref, keras))
