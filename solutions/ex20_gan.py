"""Exercise 20: the pieces of a generative adversarial network (GAN).

Two networks play a game. The generator G turns random noise z into an
image; the discriminator D looks at an image and says how sure it is that the
image is real. D learns to tell real images from G's; G learns to make D
call its images real. The seed tutorial's GAN on MNIST, which a later capstone
will train from your pieces, is:

    G: z (100 numbers from N(0, 1)) -> Dense(256, relu) -> Dense(784, sigmoid)
    D: image (784 pixels in [0, 1]) -> Dense(128, relu) -> Dense(1, sigmoid)

trained with binary cross-entropy and Adam: first D on a batch of real
images (label 1) and generated ones (label 0), then G through D, with D's
weights frozen, on labels "real" (1).

D's last layer here returns the *logit* z (the number before the sigmoid):
D(x) = sigmoid(z). Keras computes the loss of a sigmoid output from that
logit too (its TensorFlow backend looks through the sigmoid), because the
stable form below never takes the log of 0.

The parameters are dicts of arrays in Keras' layout (a Dense kernel is
(n_in, n_out)):

    generator      {"w1": (100, 256), "b1": (256,), "w2": (256, 784), "b2": (784,)}
    discriminator  {"w1": (784, 128), "b1": (128,), "w2": (128, 1),   "b2": (1,)}

(any sizes with these roles work: the checks use small ones). You reuse
exercise 2's relu and sigmoid, exercise 4's dense layer and exercise 9's
adam_step, imported below. Inputs are float64; never change them in place.
"""

import numpy as np
from ex02_activations import relu, relu_backward, sigmoid, sigmoid_backward
from ex04_dense import dense_backward, dense_forward
from ex09_optimizers import adam_step

EPSILON = 1e-7  # keras.backend.epsilon()


def binary_crossentropy(y_true, y_pred):
    """Binary cross-entropy of probabilities, exactly as Keras 3 computes it.

    `keras.losses.BinaryCrossentropy()(y_true, y_pred)`: clip p = y_pred to
    [EPSILON, 1 - EPSILON] (so log(0) never happens), then average

        -(y_true * log(p) + (1 - y_true) * log(1 - p))

    over every element. Example: y_true = [1, 0], y_pred = [0.9, 0.2] gives
    (0.1054 + 0.2231) / 2 = 0.1643; y_pred exactly 0 for a real image (y = 1)
    costs -log(1e-7) = 16.118, not infinity.

    Inputs: y_true, y_pred, arrays of the same shape (labels in [0, 1],
    probabilities in [0, 1]).

    Returns a float.
    """
    # BEGIN SOLUTION
    y = np.asarray(y_true, dtype=np.float64)
    p = np.clip(np.asarray(y_pred, dtype=np.float64), EPSILON, 1.0 - EPSILON)
    return float(np.mean(-(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))))
    # END SOLUTION


def binary_crossentropy_backward(y_true, y_pred):
    """Gradient of binary_crossentropy with respect to y_pred.

    Inside the clip range, each element contributes
    (-y / p + (1 - y) / (1 - p)) / n, with n the number of elements. Where
    y_pred is outside [EPSILON, 1 - EPSILON] the clip holds the loss constant,
    so the gradient there is 0 (TensorFlow's rule: at exactly EPSILON or
    1 - EPSILON it still flows).

    Inputs: y_true, y_pred, arrays of the same shape.

    Returns an array of y_pred's shape.
    """
    # BEGIN SOLUTION
    y = np.asarray(y_true, dtype=np.float64)
    raw = np.asarray(y_pred, dtype=np.float64)
    p = np.clip(raw, EPSILON, 1.0 - EPSILON)
    inside = (raw >= EPSILON) & (raw <= 1.0 - EPSILON)
    return np.where(inside, (-y / p + (1.0 - y) / (1.0 - p)) / raw.size, 0.0)
    # END SOLUTION


def binary_crossentropy_from_logits(y_true, logits):
    """Binary cross-entropy of logits z, in the stable form of
    `tf.nn.sigmoid_cross_entropy_with_logits`, averaged over every element:

        max(z, 0) - z * y + log(1 + exp(-|z|))

    This equals -(y log sigmoid(z) + (1 - y) log(1 - sigmoid(z))) without
    ever computing exp of a large number or log of 0: it is finite for
    z = +-1000 (use np.log1p for log(1 + ...)).

    Inputs: y_true (labels in [0, 1]), logits, arrays of the same shape.

    Returns a float.
    """
    # BEGIN SOLUTION
    y = np.asarray(y_true, dtype=np.float64)
    z = np.asarray(logits, dtype=np.float64)
    return float(np.mean(np.maximum(z, 0.0) - z * y + np.log1p(np.exp(-np.abs(z)))))
    # END SOLUTION


def binary_crossentropy_from_logits_backward(y_true, logits):
    """Gradient of binary_crossentropy_from_logits with respect to the logits:
    (sigmoid(z) - y) / n, with n the number of elements.

    Inputs: y_true, logits, arrays of the same shape.

    Returns an array of the logits' shape.
    """
    # BEGIN SOLUTION
    y = np.asarray(y_true, dtype=np.float64)
    z = np.asarray(logits, dtype=np.float64)
    return (sigmoid(z) - y) / z.size
    # END SOLUTION


def discriminator_loss(real_logits, fake_logits):
    """D's loss on one batch: real images labelled 1, generated ones 0.

    As the seed trains D, on the two batches stacked into one: the mean of
    binary_crossentropy_from_logits over all the real and fake logits
    together (so with equal batches it is the average of the two halves'
    means, not their sum).

    Inputs: real_logits (N, 1), fake_logits (M, 1).

    Returns (loss, d_real_logits, d_fake_logits): a float and the gradients
    of the loss with respect to each input, in their shapes.
    """
    # BEGIN SOLUTION
    logits = np.concatenate([real_logits, fake_logits])
    labels = np.concatenate([np.ones_like(real_logits), np.zeros_like(fake_logits)])
    loss = binary_crossentropy_from_logits(labels, logits)
    grad = binary_crossentropy_from_logits_backward(labels, logits)
    return loss, grad[: len(real_logits)], grad[len(real_logits) :]
    # END SOLUTION


def generator_loss(fake_logits):
    """G's loss: the non-saturating loss the seed uses.

    G wants D to call its images real, so the labels are 1:
    mean(binary_crossentropy_from_logits(1, fake_logits)) = mean(-log D(G(z))).
    Not the "saturating" mean(log(1 - D(G(z)))) of the original minimax
    game: when D easily spots the fakes early on, D(G(z)) is near 0 and
    that loss is flat, so G would learn nothing.

    Inputs: fake_logits (M, 1), D's logits for generated images.

    Returns (loss, d_fake_logits): a float and the gradient, (M, 1).
    """
    # BEGIN SOLUTION
    labels = np.ones_like(fake_logits)
    loss = binary_crossentropy_from_logits(labels, fake_logits)
    return loss, binary_crossentropy_from_logits_backward(labels, fake_logits)
    # END SOLUTION


def generator_forward(gen_params, noise):
    """G(z): sigmoid(relu(z @ w1 + b1) @ w2 + b2), images with pixels in [0, 1].

    Inputs: gen_params (see the module docstring), noise (M, noise size).

    Returns the images, (M, n_pixels).
    """
    # BEGIN SOLUTION
    p = gen_params
    hidden = relu(dense_forward(noise, p["w1"], p["b1"]))
    return sigmoid(dense_forward(hidden, p["w2"], p["b2"]))
    # END SOLUTION


def discriminator_forward(disc_params, images):
    """D's logit: relu(x @ w1 + b1) @ w2 + b2 (D(x) is its sigmoid).

    Inputs: disc_params (see the module docstring), images (N, n_pixels).

    Returns the logits, (N, 1).
    """
    # BEGIN SOLUTION
    p = disc_params
    return dense_forward(relu(dense_forward(images, p["w1"], p["b1"])), p["w2"], p["b2"])
    # END SOLUTION


# BEGIN SOLUTION
def _discriminator_backward(disc_params, images, d_logits):
    """Gradients of D's parameters and of its input images, from d_logits."""
    p = disc_params
    pre = dense_forward(images, p["w1"], p["b1"])
    d_hidden, dw2, db2 = dense_backward(d_logits, relu(pre), p["w2"])
    d_images, dw1, db1 = dense_backward(relu_backward(d_hidden, pre), images, p["w1"])
    return d_images, {"w1": dw1, "b1": db1, "w2": dw2, "b2": db2}


def _generator_backward(gen_params, noise, d_images):
    """Gradients of G's parameters, from the gradient of its output images."""
    p = gen_params
    pre1 = dense_forward(noise, p["w1"], p["b1"])
    pre2 = dense_forward(relu(pre1), p["w2"], p["b2"])
    d_hidden, dw2, db2 = dense_backward(sigmoid_backward(d_images, pre2), relu(pre1), p["w2"])
    _, dw1, db1 = dense_backward(relu_backward(d_hidden, pre1), noise, p["w1"])
    return {"w1": dw1, "b1": db1, "w2": dw2, "b2": db2}


def _adam(params, grads, states, lr):
    """One Adam step (exercise 9) on every parameter: (new params, new states)."""
    new_params, new_states = {}, {}
    for name in params:
        new_params[name], new_states[name] = adam_step(
            params[name], grads[name], states.get(name, {}), lr=lr
        )
    return new_params, new_states


# END SOLUTION


def gan_train_step(gen_params, disc_params, real_batch, noise, opt_states, lr=0.001):
    """One training step of the seed's GAN: D first, then G through the new D.

    1. fake = generator_forward(gen_params, noise).
    2. D step: discriminator_loss on D's logits for real_batch and fake; the
       gradients of D's parameters; one Adam step (adam_step with lr and
       Keras' other defaults) on each of them.
    3. G step, through the *updated* D: generator_loss on the new D's logits
       for the same fake images; the gradient flows back through D into the
       images and then into G's parameters; one Adam step on each of G's
       parameters. D's parameters do not move in this step (in Keras: D is
       frozen inside the combined model), though the gradient goes through them.

    The Adam states are kept per network and parameter name:
    opt_states = {"generator": {name: state}, "discriminator": {name: state}}
    ({} for a network, or a parameter, that has not stepped yet).

    Inputs: gen_params, disc_params (dicts as in the module docstring);
    real_batch (N, n_pixels) real images in [0, 1]; noise (M, noise size);
    opt_states as above; lr, Adam's learning rate.

    Returns (new_gen_params, new_disc_params, new_opt_states, d_loss, g_loss):
    new dicts (the inputs are not changed) and the two losses (floats), each
    computed before its own step.
    """
    # BEGIN SOLUTION
    fake = generator_forward(gen_params, noise)
    d_real = discriminator_forward(disc_params, real_batch)
    d_fake = discriminator_forward(disc_params, fake)
    d_loss, grad_real, grad_fake = discriminator_loss(d_real, d_fake)
    _, disc_grads = _discriminator_backward(disc_params, real_batch, grad_real)
    _, fake_grads = _discriminator_backward(disc_params, fake, grad_fake)
    disc_grads = {name: disc_grads[name] + fake_grads[name] for name in disc_grads}
    states_d = opt_states.get("discriminator", {})
    new_disc, states_d = _adam(disc_params, disc_grads, states_d, lr)

    g_loss, grad_logits = generator_loss(discriminator_forward(new_disc, fake))
    d_images, _ = _discriminator_backward(new_disc, fake, grad_logits)
    gen_grads = _generator_backward(gen_params, noise, d_images)
    new_gen, states_g = _adam(gen_params, gen_grads, opt_states.get("generator", {}), lr)
    new_states = {"generator": states_g, "discriminator": states_d}
    return new_gen, new_disc, new_states, d_loss, g_loss
    # END SOLUTION
