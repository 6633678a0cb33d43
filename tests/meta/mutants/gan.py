"""Known-wrong variants of exercise 20 (the pieces of a GAN)."""

from mutants.mutant import Mutant

_BCE_CLIP = "p = np.clip(np.asarray(y_pred, dtype=np.float64), EPSILON, 1.0 - EPSILON)"
_BCE_GRADIENT = "return np.where(inside, (-y / p + (1.0 - y) / (1.0 - p)) / raw.size, 0.0)"
_LOGITS_LOSS = "return float(np.mean(np.maximum(z, 0.0) - z * y + np.log1p(np.exp(-np.abs(z)))))"
_LOGITS_GRADIENT = "return (sigmoid(z) - y) / z.size"

_D_LOSS = """\
    loss = binary_crossentropy_from_logits(labels, logits)
    grad = binary_crossentropy_from_logits_backward(labels, logits)
    return loss, grad[: len(real_logits)], grad[len(real_logits) :]
"""


def _d_loss_of_halves(scale: str) -> str:
    """discriminator_loss as the two halves' means added, times `scale`."""
    return f"""\
    real, fake = np.ones_like(real_logits), np.zeros_like(fake_logits)
    loss = {scale} * (
        binary_crossentropy_from_logits(real, real_logits)
        + binary_crossentropy_from_logits(fake, fake_logits)
    )
    d_real = {scale} * binary_crossentropy_from_logits_backward(real, real_logits)
    d_fake = {scale} * binary_crossentropy_from_logits_backward(fake, fake_logits)
    return loss, d_real, d_fake
"""


_G_LOSS = """\
    labels = np.ones_like(fake_logits)
    loss = binary_crossentropy_from_logits(labels, fake_logits)
    return loss, binary_crossentropy_from_logits_backward(labels, fake_logits)
"""

_G_STEP = """\
    g_loss, grad_logits = generator_loss(discriminator_forward(new_disc, fake))
    d_images, _ = _discriminator_backward(new_disc, fake, grad_logits)
"""

_STATES = """\
    states_d = opt_states.get("discriminator", {})
    new_disc, states_d = _adam(disc_params, disc_grads, states_d, lr)
"""

_D_LOSS_AFTER = """\
    after = discriminator_forward(new_disc, real_batch), discriminator_forward(new_disc, fake)
    d_loss = discriminator_loss(*after)[0]
"""

_NEW_STATES = '    new_states = {"generator": states_g, "discriminator": states_d}\n'

_STATES_READ_AND_WRITTEN = f"""\
{_STATES}
{_G_STEP}\
    gen_grads = _generator_backward(gen_params, noise, d_images)
    new_gen, states_g = _adam(gen_params, gen_grads, opt_states.get("generator", {{}}), lr)
{_NEW_STATES}\
"""

MUTANTS: list[Mutant] = [
    # ---------------------------------------------------------------- probabilities
    Mutant(20, "binary crossentropy without the clip", _BCE_CLIP, "p = np.asarray(y_pred)"),
    Mutant(
        20,
        "binary crossentropy clips at 1e-15",
        _BCE_CLIP,
        _BCE_CLIP.replace("EPSILON, 1.0 - EPSILON", "1e-15, 1.0 - 1e-15"),
    ),
    Mutant(
        20,
        "binary crossentropy sums instead of averaging",
        "return float(np.mean(-(y * np.log(p)",
        "return float(np.sum(-(y * np.log(p)",
    ),
    Mutant(
        20,
        "binary crossentropy backward flows where the clip holds",
        _BCE_GRADIENT,
        "return (-y / p + (1.0 - y) / (1.0 - p)) / raw.size",
    ),
    Mutant(
        20,
        "binary crossentropy backward cuts the gradient at the clip's bounds",
        "inside = (raw >= EPSILON) & (raw <= 1.0 - EPSILON)",
        "inside = (raw > EPSILON) & (raw < 1.0 - EPSILON)",
    ),
    Mutant(
        20,
        "binary crossentropy backward without the 1/n",
        _BCE_GRADIENT,
        _BCE_GRADIENT.replace(" / raw.size", ""),
    ),
    # ---------------------------------------------------------------- logits
    Mutant(
        20,
        "logits loss as the log of a plain sigmoid",
        _LOGITS_LOSS,
        "s = 1.0 / (1.0 + np.exp(-z))\n"
        "    return float(np.mean(-(y * np.log(s) + (1.0 - y) * np.log(1.0 - s))))",
    ),
    Mutant(
        20,
        "logits loss summed instead of averaged",
        _LOGITS_LOSS,
        _LOGITS_LOSS.replace("np.mean", "np.sum"),
    ),
    Mutant(
        20,
        "logits backward without the 1/n",
        _LOGITS_GRADIENT,
        "return sigmoid(z) - y",
    ),
    Mutant(
        20,
        "logits backward with an overflowing sigmoid",
        _LOGITS_GRADIENT,
        "return (1.0 / (1.0 + np.exp(-z)) - y) / z.size",
    ),
    # ---------------------------------------------------------------- the two losses
    Mutant(
        20,
        "discriminator loss labels real 0 and fake 1",
        "labels = np.concatenate([np.ones_like(real_logits), np.zeros_like(fake_logits)])",
        "labels = np.concatenate([np.zeros_like(real_logits), np.ones_like(fake_logits)])",
    ),
    Mutant(
        20,
        "discriminator loss as the sum of the two halves' means",
        _D_LOSS,
        _d_loss_of_halves("1.0"),
    ),
    Mutant(
        20,
        "discriminator loss as the average of the two halves' means",
        _D_LOSS,
        _d_loss_of_halves("0.5"),
    ),
    Mutant(
        20,
        "saturating generator loss mean(log(1 - D(G(z))))",
        _G_LOSS,
        _G_LOSS.replace("np.ones_like", "np.zeros_like")
        .replace("loss = binary", "loss = -binary")
        .replace("loss, binary", "loss, -binary"),
    ),
    Mutant(
        20,
        "generator loss labels its fakes 0",
        _G_LOSS,
        _G_LOSS.replace("np.ones_like", "np.zeros_like"),
    ),
    # ---------------------------------------------------------------- the two networks
    Mutant(
        20,
        "generator without its output sigmoid",
        'return sigmoid(dense_forward(hidden, p["w2"], p["b2"]))',
        'return dense_forward(hidden, p["w2"], p["b2"])',
    ),
    Mutant(
        20,
        "discriminator returns the probability, not the logit",
        'return dense_forward(relu(dense_forward(images, p["w1"], p["b1"])), p["w2"], p["b2"])',
        'return sigmoid(dense_forward(relu(dense_forward(images, p["w1"], p["b1"])), p["w2"], '
        'p["b2"]))',
    ),
    # ---------------------------------------------------------------- the train step
    Mutant(
        20,
        "generator step through the discriminator before its update",
        _G_STEP,
        _G_STEP.replace("new_disc", "disc_params"),
    ),
    Mutant(
        20,
        "discriminator stepped again in the generator step",
        _G_STEP,
        _G_STEP.replace("d_images, _ =", "d_images, disc_g =")
        + "    new_disc, states_d = _adam(new_disc, disc_g, states_d, lr)\n",
    ),
    Mutant(
        20,
        "generator step with no gradient flowing into the images",
        "gen_grads = _generator_backward(gen_params, noise, d_images)",
        "gen_grads = _generator_backward(gen_params, noise, np.zeros_like(d_images))",
    ),
    Mutant(
        20,
        "discriminator's adam state not carried over",
        _STATES,
        _STATES.replace('opt_states.get("discriminator", {})', "{}"),
    ),
    Mutant(
        20,
        "adam states kept under other keys",
        _STATES_READ_AND_WRITTEN,
        _STATES_READ_AND_WRITTEN.replace('"discriminator"', '"d"').replace('"generator"', '"g"'),
    ),
    Mutant(
        20,
        "d_loss computed after the discriminator's step",
        _STATES,
        _STATES + _D_LOSS_AFTER,
    ),
    Mutant(
        20,
        "discriminator stepped at lr 0.001 whatever lr is",
        _STATES,
        _STATES.replace("states_d, lr)", "states_d, 0.001)"),
    ),
    Mutant(
        20,
        "train step defaults to lr 0.01",
        "opt_states, lr=0.001):",
        "opt_states, lr=0.01):",
    ),
    Mutant(
        20,
        "train step writes the new states into opt_states",
        _NEW_STATES,
        _NEW_STATES + "    opt_states.update(new_states)\n",
    ),
]
