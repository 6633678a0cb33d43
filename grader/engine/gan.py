"""Exercise 21, trusted side: the learner's GAN, trained in the sandbox, judged here.

GENERATOR, DISCRIMINATOR and TRAINING are validated with the capstones' rules
(grader/engine/capstone.py): the generator turns `noise_dim` numbers into the
784 pixels of a 28x28 image (a dense last layer with a sigmoid), the
discriminator turns those pixels into the probability that the image is real
(one unit with a sigmoid, whose logit the trainer hands to the learner's
losses of exercise 20). The worker trains both from the learner's functions
(trainer.fit_gan) on MNIST's training images, without labels, and returns the
generator's weights only. Here the generator is built in Keras with those
weights and draws SAMPLES images from noise of the kit's own; the judge
(grader/engine/judge.py) scores them. Nothing the worker sends is taken as an
image, so a submission cannot hand back training images as its samples.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from grader.checks.checking import CheckFailure
from grader.engine import judge as judging
from grader.engine.capstone import (
    MAX_NOISE_DIM,
    PROBE_CALL,
    TRAINER_MODULE,
    CapstoneProblem,
    NotRun,
    Spec,
    SpecError,
    TrainerOutputError,
    checked_weights,
    describe_missing,
    keep_profile,
    kept_problem,
    keras_model,
    keras_optimizer,
    kind_of,
    pictures_line,
    profiled,
    progress_record,
    read_probe,
    reported_history,
    trusted_model,
    trusted_progress,
    validate,
)
from grader.engine.figures import pyplot, save
from grader.engine.profile import Watch
from grader.messages import text
from grader.sandbox.client import LearnerProblem
from grader.sandbox.trainer import needed_functions

NAMES = ("GENERATOR", "DISCRIMINATOR", "TRAINING")
GAN_CALL = "fit_gan"
SAMPLES = judging.ANCHOR_COUNT  # the judge's anchors are measured on as many images
SAMPLE_SEED = 21  # the kit's noise; an instructor's secret seed replaces it
GRID = 10  # the sample picture: GRID x GRID digits


@dataclass
class GanSpec:
    """The learner's two networks, validated; they share one TRAINING dict."""

    generator: Spec
    discriminator: Spec

    @property
    def training(self) -> dict:
        """The normalised TRAINING (loss "gan", noise_dim, optimizer settings)."""
        return self.generator.training

    @property
    def noise_dim(self) -> int:
        """How many N(0, 1) numbers the generator turns into one image."""
        return self.generator.training["noise_dim"]


def validate_gan(generator, discriminator, training, image_shape: tuple, keras) -> GanSpec:
    """Check and normalise GENERATOR, DISCRIMINATOR and TRAINING.

    Inputs: the learner's three values (plain data); image_shape, one real
    image's shape, e.g. (28, 28); keras, to build both networks.

    Returns a GanSpec; raises SpecError with a plain message for any mistake.
    The discriminator reads an image as a vector of its pixels; the generator
    reads TRAINING["noise_dim"] numbers (default 100) and ends in one sigmoid
    unit per pixel.
    """
    pixels = math.prod(image_shape)
    # GENERATOR first, as the module declares it; its input is the noise TRAINING names.
    # An unusable noise_dim stands in as 1 here: validate then refuses it in TRAINING.
    noise_dim = training.get("noise_dim", 100) if isinstance(training, dict) else 100
    usable = isinstance(noise_dim, int) and not isinstance(noise_dim, bool)
    noise = (noise_dim if usable and 0 < noise_dim <= MAX_NOISE_DIM else 1,)
    head = ("spec_last_layer_image", pixels)
    gen = _on_vectors(generator, training, noise, keras, (NAMES[0], NAMES[2]), head)
    disc = _on_vectors(
        discriminator, training, (pixels,), keras, NAMES[1:], ("spec_last_layer_verdict", 1)
    )
    return GanSpec(gen, disc)


def _on_vectors(layers, training, input_shape: tuple, keras, names, head) -> Spec:
    """validate() for one of the GAN's networks, which read and make vectors: a layer that
    needs images or sequences is refused saying so (validate's own sentences would tell
    the learner where to put it, and no place would do)."""
    try:
        return validate(layers, training, input_shape, None, keras, names=names, head=head)
    except SpecError as mistake:
        if mistake.key not in ("spec_needs_images", "spec_needs_sequences"):
            raise
        where, kind = mistake.fields["where"], mistake.fields["kind"]
        raise SpecError("spec_gan_vectors", where=where, kind=kind) from None


def declared_gan(learner, image_shape: tuple, keras) -> GanSpec:
    """The learner's GAN, validated: a check fixture's body.

    Returns the GanSpec. Raises CapstoneProblem when the values cannot be read and
    CheckFailure saying why the networks cannot be built.
    """
    try:
        values = [getattr(learner, name) for name in NAMES]
    except LearnerProblem as problem:
        raise CapstoneProblem(str(problem), problem.status) from None
    try:
        return validate_gan(*values, image_shape, keras)
    except SpecError as problem:
        raise CheckFailure(text("spec_cannot_build", mistake=str(problem))) from None


@dataclass
class Scores:
    """The judge's measures of a set of images (judge.py explains each)."""

    confident_share: float
    coverage: np.ndarray
    effective_digits: float
    frechet: float
    nearest: judging.NearestStats


@dataclass
class GanOutcome:
    """The learner's trained generator, judged here from its weights.

    Only `history` is the trainer's word (displayed, labelled as reported): the
    samples are drawn here, from the kit's noise, by the generator built in Keras.
    `anchors` are the Frechet distances of real training images and of uniform
    noise; `test_nearest` are the real test images' distances to their nearest
    training image (judge.NearestStats); `noise_seed` drew the samples' noise.
    """

    history: list[dict]
    parameter_count: int
    seconds: float
    epochs: int
    samples: np.ndarray
    probabilities: np.ndarray
    scores: Scores
    anchors: judging.Anchors
    test_nearest: judging.NearestStats
    noise_seed: int = SAMPLE_SEED
    plots: list[Path] = field(default_factory=list)

    @property
    def memorised(self) -> bool:
        """True when the samples sit closer to the training images than real digits do."""
        return judging.memorised(self.scores.nearest, self.test_nearest)


def effective_digits(coverage) -> float:
    """How many equally common digits would be as varied as `coverage` (10 shares of the
    confident samples): exp of its entropy. 10.0 for an even spread, 1.0 for one digit,
    0.0 when no sample is confident."""
    shares = np.asarray(coverage, np.float64)
    shares = shares[shares > 0]
    if not len(shares):
        return 0.0
    return float(np.exp(-np.sum(shares * np.log(shares))))


@dataclass
class Reference:
    """What the samples are compared with, computed once per grading: the judge, the test
    images' features, the anchors and the test images' nearest-neighbour distances."""

    judge: judging.Judge
    test_features: np.ndarray
    anchors: judging.Anchors
    test_nearest: judging.NearestStats


JUDGE_LABEL = "the judge (trained once)"


def reference(mnist, on_progress=None) -> Reference:
    """The judge (trained once and cached if needed, see judge.load_judge) and its measures
    of MNIST `mnist` = ((x_train, y_train), (x_test, y_test)). `on_progress` (a capstone's
    progress callback) sees the judge's training epochs, labelled JUDGE_LABEL."""
    (x_train, _), (x_test, _) = mnist

    def on_epoch(epoch: int, epochs: int, loss: float, seconds: float) -> None:
        raw = {"epoch": epoch, "fraction": 1.0, "loss": loss, "seconds": seconds, "done": True}
        on_progress(progress_record(raw, epochs, JUDGE_LABEL))

    report = on_epoch if on_progress is not None else None
    judge = judging.load_judge(on_epoch=report, mnist=mnist)
    test_features, _ = judging.judge_images(judge, x_test)
    return Reference(
        judge,
        test_features,
        judging.fd_anchors(judge, x_train, test_features),
        judging.reference_nearest_stats(x_train, x_test),
    )


def scores(images, ref: Reference, x_train) -> tuple[Scores, np.ndarray]:
    """The judge's Scores of `images` (N, 784) or (N, 28, 28) in [0, 1], and its
    probabilities (N, 10)."""
    features, probabilities = judging.judge_images(ref.judge, images)
    coverage = judging.class_coverage(probabilities)
    measured = Scores(
        confident_share=judging.confident_share(probabilities),
        coverage=coverage,
        effective_digits=effective_digits(coverage),
        frechet=judging.frechet_distance(features, ref.test_features),
        nearest=judging.nearest_stats(images, x_train),
    )
    return measured, probabilities


def draw_samples(spec: GanSpec, weights, keras, seed: int, count: int = SAMPLES) -> np.ndarray:
    """`count` images (count, 784) from the generator built in Keras with `weights`, on
    N(0, 1) noise drawn here from `seed`."""
    return samples_of(trusted_model(spec.generator, weights, keras), spec, seed, count)


def samples_of(generator, spec: GanSpec, seed: int, count: int = SAMPLES) -> np.ndarray:
    """`count` images (count, 784), float64 in [0, 1], from a Keras `generator` of `spec`
    on N(0, 1) noise drawn here from `seed`."""
    noise = np.random.default_rng(seed).standard_normal((count, spec.noise_dim))
    images = generator.predict(noise.astype(np.float32), batch_size=SAMPLES, verbose=0)
    return np.clip(np.asarray(images, np.float64), 0.0, 1.0)


def _missing(learner, spec: GanSpec, timeout: float):
    """The functions the GAN needs that are not written yet (list of MissingFunction)."""
    layers, training, disc = spec.generator.layers, spec.training, spec.discriminator.layers
    needed = needed_functions(layers, training, disc)
    try:
        answer = learner.call(
            PROBE_CALL, layers, training, disc, module=TRAINER_MODULE, timeout=timeout
        )
    except LearnerProblem as problem:
        raise kept_problem(
            problem, PROBE_CALL, "the trial run of your functions on tiny inputs"
        ) from None
    return read_probe(answer, needed)


def train_gan(learner, spec: GanSpec, x_train, time_limit_s: float, on_progress=None):
    """Train the learner's GAN in its worker: (generator weights checked against the spec,
    the reported history, seconds, the profile.Profile of its batches or None). Raises
    CapstoneProblem for the learner's problems (with the profile until then) and
    TrainerOutputError for an answer out of its documented form."""
    epochs = spec.training["epochs"]
    layers, disc = spec.generator.layers, spec.discriminator.layers
    watch = Watch(layers, spec.training, spec.generator.input_shape, discriminator=disc)
    started = time.monotonic()
    try:
        result = learner.call(
            GAN_CALL,
            spec.generator.layers,
            spec.discriminator.layers,
            spec.training,
            x_train,
            module=TRAINER_MODULE,
            timeout=time_limit_s,
            on_progress=trusted_progress(
                on_progress, epochs, watch=watch, time_limit_s=time_limit_s
            ),
        )
    except LearnerProblem as problem:
        raise profiled(kept_problem(problem, GAN_CALL, "the training of your GAN"), watch) from None
    seconds = time.monotonic() - started
    if not isinstance(result, dict):
        raise TrainerOutputError(f"the trainer returned {kind_of(result)}, expected a dict")
    weights = checked_weights(spec.generator, result.get("weights"))
    history = reported_history(result.get("history"), epochs)
    return weights, history, seconds, watch.profile(result.get("profile"))


def trained_gan(learner, spec: GanSpec, mnist, exercise, collector, keras, reference_of):
    """Probe, train and judge the learner's GAN: a check fixture's body.

    Inputs: the learner proxy, the GanSpec, MNIST (only its training images go to
    the worker), the registry record (time limits), the collector (progress, seed),
    Keras, and `reference_of()` giving the Reference: called only once the training
    succeeded (measuring real digits costs seconds). Returns a GanOutcome. Raises NotRun naming the
    functions not written yet, CapstoneProblem for the learner's problems and
    CheckFailure for an answer out of form.
    """
    (x_train, _), _ = mnist
    timeout = min(60.0, exercise.call_timeout_s)
    try:
        missing = _missing(learner, spec, timeout)
        if missing:
            raise NotRun(describe_missing(missing))
        weights, history, seconds, profile = train_gan(
            learner, spec, x_train, exercise.time_limit_s, collector.on_training
        )
    except TrainerOutputError as problem:
        raise CheckFailure(f"your GAN cannot be judged: {problem}") from None
    except CapstoneProblem as problem:
        keep_profile(collector, problem.profile)
        raise
    keep_profile(collector, profile)
    seed = collector.seed_for("gan_samples", SAMPLE_SEED, hidden=True)
    samples = draw_samples(spec, weights, keras, seed)
    bad = int(np.count_nonzero(np.isnan(samples)))  # finite weights can still overflow
    if bad:
        raise CheckFailure(
            f"your GAN cannot be judged: its generator draws {bad:,} NaN pixels (of "
            f"{samples.size:,}) with the weights the trainer returned, which overflow: "
            f"the training diverged; a smaller learning rate may help"
        )
    ref = reference_of()
    measured, probabilities = scores(samples, ref, x_train)
    return GanOutcome(
        history=history,
        parameter_count=sum(int(a.size) for arrays in weights for a in arrays.values()),
        seconds=seconds,
        epochs=spec.training["epochs"],
        samples=samples,
        probabilities=probabilities,
        scores=measured,
        anchors=ref.anchors,
        test_nearest=ref.test_nearest,
        noise_seed=seed,
    )


# ------------------------------------------------------------------ words


def describe_training(outcome: GanOutcome) -> str:
    """How the training went, one catalogue sentence: epochs, time and the trainer's last
    reported losses (display only)."""
    fields = {"epochs": outcome.epochs, "seconds": f"{outcome.seconds:.0f}"}
    if not outcome.history:
        return text("gan_trained", **fields)
    last = outcome.history[-1]
    return text(
        "gan_trained_losses",
        **fields,
        d_loss=f"{last['loss']:.3f}",
        g_loss=f"{_or_nan(last['generator_loss']):.3f}",
        told=f"{_or_nan(last['accuracy']):.0%}",
    )


def summary(outcome: GanOutcome, *lines: str) -> str:
    """`lines` between how the training went and where the pictures are, one per line."""
    return "\n".join([describe_training(outcome), *lines, pictures_line(outcome.plots)])


def _or_nan(value) -> float:
    return math.nan if value is None else value


def coverage_line(outcome: GanOutcome) -> str:
    """Each digit's share of the confident samples, in one catalogue sentence."""
    shares = ", ".join(f"{d}: {s:.0%}" for d, s in enumerate(outcome.scores.coverage))
    return text("gan_coverage", shares=shares)


def frechet_line(outcome: GanOutcome) -> str:
    """The Frechet distance with both anchors on the same scale, one catalogue sentence."""
    return text(
        "gan_frechet",
        fd=f"{outcome.scores.frechet:.1f}",
        real=f"{outcome.anchors.real:.1f}",
        noise=f"{outcome.anchors.noise:.1f}",
    )


def nearest_line(outcome: GanOutcome) -> str:
    """The samples' distances to their nearest training image beside real digits', with the
    floors below which they are copies."""
    keep = 1 - judging.MEMORISATION_MARGIN
    samples, test = outcome.scores.nearest, outcome.test_nearest
    return text(
        "gan_nearest",
        samples=f"{samples.median:.2f}",
        low=f"{samples.low:.2f}",
        test=f"{test.median:.2f}",
        test_low=f"{test.low:.2f}",
        floor=f"{keep * test.median:.2f}",
        low_floor=f"{keep * test.low:.2f}",
    )


# ------------------------------------------------------------------ pictures


def save_gan_plots(outcome: GanOutcome, folder: Path, title: str) -> list[Path]:
    """The first GRID x GRID samples as one picture (each labelled with the judge's digit
    when it is confident), the two reported loss curves, and the histogram of the
    confident samples' digits, as PNGs in `folder`; their paths."""
    plt = pyplot()
    figure, axes = plt.subplots(GRID, GRID, figsize=(8, 8.6))
    top = outcome.probabilities.max(axis=1)
    for index, axis in enumerate(axes.flat):
        axis.imshow(outcome.samples[index].reshape(28, 28), cmap="gray", vmin=0, vmax=1)
        if top[index] >= judging.CONFIDENCE:
            axis.set_title(str(int(outcome.probabilities[index].argmax())), fontsize=8, pad=1)
        axis.axis("off")
    share = outcome.scores.confident_share
    figure.suptitle(f"{title}: samples (a digit above each one the judge is sure of; {share:.0%})")
    figure.tight_layout()
    grid = save(figure, folder / "samples.png")

    curves, axis = plt.subplots(figsize=(7, 4))
    epochs = [h["epoch"] for h in outcome.history]
    axis.plot(epochs, [h["loss"] for h in outcome.history], "o-", label="discriminator")
    generator = [_or_nan(h["generator_loss"]) for h in outcome.history]
    axis.plot(epochs, generator, "s-", label="generator")
    axis.set(xlabel="epoch", ylabel="loss (reported)", title=f"{title}: losses")
    axis.legend()
    axis.grid(alpha=0.3)
    axis.xaxis.get_major_locator().set_params(integer=True)  # epochs are whole
    curves.tight_layout()
    losses = save(curves, folder / "losses.png")

    figure, axis = plt.subplots(figsize=(7, 4))
    axis.bar(range(10), outcome.scores.coverage)
    axis.axhline(0.1, color="grey", ls="--", label="an even spread")
    axis.set(
        xticks=range(10),
        xlabel="digit (the judge's, confident samples only)",
        ylabel="share",
        title=f"{title}: which digits ({outcome.scores.effective_digits:.1f} effective)",
    )
    axis.legend()
    figure.tight_layout()
    return [grid, losses, save(figure, folder / "digits.png")]


# ------------------------------------------------------------------ Keras, for comparison


def train_keras_gan(spec: GanSpec, x_train, keras, seed: int = 0):
    """The same GAN trained by Keras the way the trainer trains the learner's (trusted
    process): returns (the generator, seconds)."""
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    generator = keras_model(spec.generator.layers, spec.generator.input_shape, keras)
    disc_layers = spec.discriminator.layers
    discriminator = keras_model(
        [*disc_layers[:-1], dict(disc_layers[-1], activation=None)],  # logits, as the trainer
        spec.discriminator.input_shape,
        keras,
    )
    gen_optimizer = keras_optimizer(spec.training, keras)
    disc_optimizer = keras_optimizer(spec.training, keras)
    loss = keras.losses.BinaryCrossentropy(from_logits=True)

    @tf.function(autograph=False)  # no Python control flow inside: nothing to convert
    def step(real, noise):
        fake = generator(noise, training=True)
        with tf.GradientTape() as tape:
            logits = discriminator(tf.concat([real, fake], 0), training=True)
            labels = tf.concat([tf.ones_like(real[:, :1]), tf.zeros_like(fake[:, :1])], 0)
            d_loss = loss(labels, logits)
        variables = discriminator.trainable_variables
        grads = tape.gradient(d_loss, variables)
        disc_optimizer.apply_gradients(zip(grads, variables, strict=True))
        with tf.GradientTape() as tape:
            logits = discriminator(generator(noise, training=True), training=True)
            g_loss = loss(tf.ones_like(logits), logits)
        variables = generator.trainable_variables
        grads = tape.gradient(g_loss, variables)
        gen_optimizer.apply_gradients(zip(grads, variables, strict=True))

    images = np.asarray(x_train, np.float32).reshape(len(x_train), -1) / np.float32(255.0)
    rng = np.random.default_rng(seed)
    batch_size, noise_dim = spec.training["batch_size"], spec.noise_dim
    started = time.monotonic()
    for _ in range(spec.training["epochs"]):
        order = rng.permutation(len(images))
        for first in range(0, len(images), batch_size):
            real = images[order[first : first + batch_size]]
            noise = rng.standard_normal((len(real), noise_dim)).astype(np.float32)
            step(tf.constant(real), tf.constant(noise))
    return generator, time.monotonic() - started


def keras_comparison(spec: GanSpec, mnist, outcome: GanOutcome, ref: Reference, keras) -> str:
    """The learner's GAN beside the same GAN trained by Keras, both judged on samples from
    the same noise, in one catalogue sentence."""
    (x_train, _), _ = mnist
    generator, seconds = train_keras_gan(spec, x_train, keras)
    theirs, _ = scores(samples_of(generator, spec, outcome.noise_seed), ref, x_train)
    yours = outcome.scores
    return text(
        "gan_compare",
        keras_seconds=f"{seconds:.0f}",
        seconds=f"{outcome.seconds:.0f}",
        ratio=f"{outcome.seconds / seconds:.2f}",
        keras_share=f"{theirs.confident_share:.1%}",
        share=f"{yours.confident_share:.1%}",
        keras_fd=f"{theirs.frechet:.1f}",
        fd=f"{yours.frechet:.1f}",
        keras_digits=f"{theirs.effective_digits:.1f}",
        digits=f"{yours.effective_digits:.1f}",
    )
