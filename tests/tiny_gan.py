"""A GAN of the seed's shape small enough to build, train and draw from in milliseconds:
an 8x8 image (64 pixels), a generator 16 -> 64 (sigmoid), a discriminator 8 -> 1 (sigmoid).
Its TRAINING dict is the test's own (noise size, epochs)."""

IMAGE = (8, 8)
GENERATOR = [
    {"layer": "dense", "units": 16, "activation": "relu"},
    {"layer": "dense", "units": 64, "activation": "sigmoid"},
]
DISCRIMINATOR = [
    {"layer": "dense", "units": 8, "activation": "relu"},
    {"layer": "dense", "units": 1, "activation": "sigmoid"},
]
