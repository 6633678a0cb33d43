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
    raise NotImplementedError("binary_crossentropy: write your code here")


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
    raise NotImplementedError("binary_crossentropy_backward: write your code here")


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
    raise NotImplementedError("binary_crossentropy_from_logits: write your code here")


def binary_crossentropy_from_logits_backward(y_true, logits):
    """Gradient of binary_crossentropy_from_logits with respect to the logits:
    (sigmoid(z) - y) / n, with n the number of elements.

    Inputs: y_true, logits, arrays of the same shape.

    Returns an array of the logits' shape.
    """
    raise NotImplementedError("binary_crossentropy_from_logits_backward: write your code here")


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
    raise NotImplementedError("discriminator_loss: write your code here")


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
    raise NotImplementedError("generator_loss: write your code here")


def generator_forward(gen_params, noise):
    """G(z): sigmoid(relu(z @ w1 + b1) @ w2 + b2), images with pixels in [0, 1].

    Inputs: gen_params (see the module docstring), noise (M, noise size).

    Returns the images, (M, n_pixels).
    """
    raise NotImplementedError("generator_forward: write your code here")


def discriminator_forward(disc_params, images):
    """D's logit: relu(x @ w1 + b1) @ w2 + b2 (D(x) is its sigmoid).

    Inputs: disc_params (see the module docstring), images (N, n_pixels).

    Returns the logits, (N, 1).
    """
    raise NotImplementedError("discriminator_forward: write your code here")


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
    raise NotImplementedError("gan_train_step: write your code here")
