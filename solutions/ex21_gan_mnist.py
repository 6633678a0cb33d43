"""Exercise 21, capstone: train the seed's GAN on MNIST from your own pieces.

The kit builds a generator G and a discriminator D from *your* functions
(exercise 20's discriminator_loss and generator_loss; your dense layers,
activations, initialisers and optimizer steps of exercises 1-9), trains them
the way the seed tutorial does, and judges what G draws.

On every mini-batch of real training images (no labels: a GAN needs none):
1. G turns fresh noise z, N(0, 1), into as many fake images;
2. D takes one step on the real and fake images together (your
   discriminator_loss: real labelled 1, fake 0);
3. G takes one step through the updated D on the same fakes (your
   generator_loss, labels "real"); D does not move in this step.
Each network has its own optimizer, with the settings of TRAINING.

Your code returns only G's weights. The kit builds G in Keras with them and
draws 1,000 images from noise of its own; a fixed MNIST classifier, the
judge (a CNN the kit trains once, 99% test accuracy), scores them:
1. confident digits: the share of samples the judge classifies with
   probability 0.9 or more (CS231n asks for "about half recognisable");
2. variety: which digits the confident samples are, as the number of equally
   common digits that would be as varied (10: an even spread; 1: one digit
   only, the "mode collapse" GANs are known for);
3. Frechet distance between the judge's features of your samples and of
   MNIST's test digits (real digits score about 2, uniform noise about 350);
4. not copies: the samples' distances to their nearest training image
   (every image centred first, so a moved copy is still a copy) must not be
   well below those of real test digits. Copies are not judged on 1-3.
The bars, from the reference over three seeds, are in the report and in
docs/curriculum.md.

GENERATOR: layer dicts from the noise (TRAINING["noise_dim"] numbers, 100 if
not given) to the image: dense layers (and dropout), ending with
{"layer": "dense", "units": 784, "activation": "sigmoid"}: one value in
[0, 1] per pixel of a 28x28 image.

DISCRIMINATOR: layer dicts from an image's 784 pixels to
{"layer": "dense", "units": 1, "activation": "sigmoid"}: the probability
that the image is real. The kit hands the logit before that sigmoid to your
losses, which take logits.

TRAINING: as in exercise 12 (optimizer, learning_rate, epochs, batch_size,
the optimizer's options such as beta_1, global_clipnorm), plus "noise_dim";
no validation_split (the samples are judged, not held-out answers).

The seed tutorial's networks are

    G: Dense(256, relu) -> Dense(784, sigmoid)
    D: Dense(128, relu) -> Dense(1, sigmoid)

with Adam and batches of 64 for 5 epochs. Adam's defaults (learning rate
0.001, beta_1 0.9) let D win early and G collapse onto a few digits; the
settings of the DCGAN paper (learning rate 0.0002, beta_1 0.5) keep the game
balanced.
"""

# BEGIN SOLUTION
# STUB: GENERATOR = []  # layer dicts: noise -> 784 pixels (see above)
GENERATOR = [
    {"layer": "dense", "units": 256, "activation": "relu"},
    {"layer": "dense", "units": 784, "activation": "sigmoid"},
]
# END SOLUTION

# BEGIN SOLUTION
# STUB: DISCRIMINATOR = []  # layer dicts: 784 pixels -> the probability "real" (see above)
DISCRIMINATOR = [
    {"layer": "dense", "units": 128, "activation": "relu"},
    {"layer": "dense", "units": 1, "activation": "sigmoid"},
]
# END SOLUTION

# BEGIN SOLUTION
# STUB: TRAINING = {}  # optimizer, learning_rate, epochs, batch_size, noise_dim, ...
TRAINING = {
    "optimizer": "adam",
    "learning_rate": 2e-4,
    "beta_1": 0.5,
    "epochs": 5,
    "batch_size": 64,
    "noise_dim": 100,
}
# END SOLUTION
