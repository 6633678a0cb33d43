"""Known-wrong variants of exercise 21 (the capstone: the seed's GAN on MNIST).

The learner's wrong piece is modelled by code appended to the module: the worker
imports it before the trainer runs, and the trainer looks up the learner's
functions (exercises 1, 9 and 20) on their modules at each call, so a function
replaced there is the one the training uses. A mutant whose generator's weights
are set rather than learnt hands the trainer 640 images (10 batches): its training
proves nothing and would only cost CI time.

No mutant here has the saturating generator loss (exercise 20's mutant of that
name, in place of the learner's generator_loss): with the reference's Adam (learning
rate 0.0002, beta_1 0.5), whose steps do not shrink with the gradient, it trains as
well as the non-saturating loss. Measured, the two scored alike at 1, 2, 3 and 5
epochs (4, 4, 13 and 20 points of 20; at 5 epochs 39.7% confident samples against the
reference's 38.6%, Frechet distance 98.7 against 98.2), so the capstone cannot tell
it; exercise 20's checks do.
"""

from mutants.mutant import Mutant

_TRAINING_END = '    "epochs": 5,\n    "batch_size": 64,\n    "noise_dim": 100,\n}\n'
# The last layers, as the reference's lists end (the docstring names them too).
_DISC_HEAD = '{"layer": "dense", "units": 1, "activation": "sigmoid"},\n]'
_GEN_HEAD = '{"layer": "dense", "units": 784, "activation": "sigmoid"},\n]'

# The learner's scale_pixels and adam_step, wrapped: the first gives the training images
# (not the probe's tiny batch) to `_SET`, which chooses the generator's weights by shape,
# and hands the trainer only 10 batches of them; the second returns the chosen weights
# (the shapes are the generator's alone: the discriminator's are (784, 128), (128,),
# (128, 1) and (1,)).
_SET_WEIGHTS = """

import ex01_tensors
import ex09_optimizers
import numpy as np

_scale_pixels, _adam_step = ex01_tensors.scale_pixels, ex09_optimizers.adam_step
_CHOSEN = {}
_FEW = 640


def _scale_and_keep(images):
    scaled = _scale_pixels(images)
    if len(scaled) <= _FEW:
        return scaled
    _CHOSEN.update(_SET(np.reshape(scaled, (len(scaled), -1))))
    return scaled[:_FEW]


def _logits(pixels):
    p = np.clip(pixels, 1e-3, 1 - 1e-3)
    return np.log(p / (1 - p))


def _step_or_set(w, grad, state, **options):
    new_w, state = _adam_step(w, grad, state, **options)
    return _CHOSEN.get(np.shape(w), new_w), state


ex01_tensors.scale_pixels = _scale_and_keep
ex09_optimizers.adam_step = _step_or_set
"""

# Every sample is the mean training image: the last kernel stays zero, the last bias
# holds the mean image's logits.
_MEAN_IMAGE = """

def _SET(images):
    return {(256, 784): np.zeros((256, 784)), (784,): _logits(images.mean(axis=0))}
"""

# A memoriser, as exact as 256 hidden units allow: every unit reads the first noise
# number s, unit k as relu(s - t_k), so the last layer's logits are a piecewise-linear
# function of s with 256 breakpoints. It is flat at the logits of one of 129 training
# images between two breakpoints and climbs to the next image's in between (a tenth of
# the draws), each image as likely as the others.
_MEMORISER = """

def _SET(images):
    chosen = _logits(images[:129])
    draws = np.sort(np.random.default_rng(0).standard_normal(200_000))
    edges = np.linspace(0, 1, len(chosen) + 1)[1:-1]
    half_ramp = 0.1 / (2 * len(edges))
    t = np.quantile(draws, np.sort(np.concatenate([edges - half_ramp, edges + half_ramp])))
    values = np.repeat(chosen, 2, axis=0)[1:-1]
    slopes = np.diff(values, axis=0) / np.diff(t)[:, None]
    slopes = np.concatenate([np.zeros((1, 784)), slopes, np.zeros((1, 784))])
    w1 = np.zeros((100, 256))
    w1[0] = 1.0
    return {(100, 256): w1, (256,): -t, (256, 784): np.diff(slopes, axis=0), (784,): chosen[0]}
"""

# The same memoriser storing its images moved by two pixels down and right (a fresh
# learner's first try at beating the copy check, which then compared raw pixels: 20/20).
_MOVED_MEMORISER = _MEMORISER.replace(
    "chosen = _logits(images[:129])",
    "chosen = _logits(np.roll(images[:129].reshape(-1, 28, 28), (2, 2), (1, 2)).reshape(129, -1))",
)

# The learner's scale_pixels returns the first training image in every image's place
# (only half as many of them: half an epoch, for CI time).
_ONE_IMAGE = """

import ex01_tensors
import numpy as np

_scale_pixels = ex01_tensors.scale_pixels


def _first_image_everywhere(images):
    scaled = _scale_pixels(images)
    return np.repeat(scaled[:1], len(scaled) // 2, axis=0)


ex01_tensors.scale_pixels = _first_image_everywhere
"""


def _appended(mistake: str, code: str, epochs: int) -> Mutant:
    """A mutant that appends `code` after TRAINING and trains for `epochs` epochs."""
    new = _TRAINING_END.replace('"epochs": 5', f'"epochs": {epochs}')
    return Mutant(21, mistake, _TRAINING_END, new + code)


# Measured on the 2-core machine, lightly loaded, graded to the first failure (as
# test_mutants.py grades): seconds of the whole grade, and the check that failed.
MUTANTS: list[Mutant] = [
    # Refused before training (spec_last_layer_verdict): 0/20 in 3 s.
    Mutant(
        21,
        "the discriminator's last layer without its sigmoid",
        _DISC_HEAD,
        _DISC_HEAD.replace(', "activation": "sigmoid"', ""),
    ),
    # Refused before training (spec_last_layer_image): 0/20 in 3 s.
    Mutant(
        21,
        "the generator's last layer with a relu",
        _GEN_HEAD,
        _GEN_HEAD.replace("sigmoid", "relu"),
    ),
    # 1,000 copies of the blurred mean digit: 0.0% confident samples, 2/20 in 14 s.
    _appended("a generator that outputs the mean training image", _SET_WEIGHTS + _MEAN_IMAGE, 1),
    # Trained on one image (a 5) for half an epoch, G draws it: 99.1% confident samples,
    # all of them 5s (1.0 effective digits), 9/20 in 15 s. A quarter epoch drew the same;
    # 100 batches drew nothing the judge was sure of.
    _appended("a generator that always draws the same digit", _ONE_IMAGE, 1),
    # Passes the other bars (97.5% confident, 9.4 effective digits, Frechet distance 19.4)
    # and fails only the memorisation check: median distance 0.03 to the nearest training
    # image, the floor 3.08 (real test digits 4.40); 18/20 in 8 s.
    _appended(
        "a generator that stores training images in its weights", _SET_WEIGHTS + _MEMORISER, 1
    ),
    # Caught since the images are centred before they are compared: as the memoriser.
    _appended(
        "a generator that stores training images moved by two pixels",
        _SET_WEIGHTS + _MOVED_MEMORISER,
        1,
    ),
]
