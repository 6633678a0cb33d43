"""Known-wrong capstones (exercises 12-15): each must lose points, and quickly.

An undertrained network misses the bar after seconds of training; a broken
spec is refused before any training starts.
"""

from mutants.mutant import Mutant

MUTANTS = [
    Mutant(
        12,
        "one epoch of plain SGD at 1e-4 misses 97%",
        '"optimizer": "adam", "learning_rate": 1e-3, "epochs": 10',
        '"optimizer": "sgd", "learning_rate": 1e-4, "epochs": 1',
    ),
    Mutant(
        12,
        "last layer without softmax",
        '"units": 10, "activation": "softmax"},\n]',
        '"units": 10},\n]',
    ),
    Mutant(13, "dense straight after a convolution", '{"layer": "flatten"},\n', ""),
    Mutant(13, "an optimizer the kit does not have", '"optimizer": "adam"', '"optimizer": "adamw"'),
    Mutant(
        14,
        "nine output classes",
        '"units": 10, "activation": "softmax"',
        '"units": 9, "activation": "softmax"',
    ),
    Mutant(14, "a dropout rate above 1", '"rate": 0.3', '"rate": 1.3'),
    Mutant(15, "a learning rate of zero", '"learning_rate": 1e-3', '"learning_rate": 0'),
    Mutant(
        15,
        "a hidden layer with a softmax activation",
        '"units": 128, "activation": "relu"',
        '"units": 128, "activation": "softmax"',
    ),
]
