"""Exercise 14, capstone: a convolutional network on CIFAR-10.

Ten classes of small colour photos (32x32x3): planes, cars, birds, cats,
deer, dogs, frogs, horses, ships, trucks. Much harder than digits. The kit
builds your network from your own functions, trains it, and scores the test
photos. The bar: at least 60% test accuracy with the full 50,000 training
images, or 45% when only 10,000 are available (the report says which).

LAYERS and TRAINING are as in exercise 13 (conv2d, max_pool / avg_pool,
flatten, dense, dropout; the last layer a 10-unit softmax). SAME padding
keeps the image size through a convolution, so you can stack more of them;
dropout before the last dense layers fights overfitting.
"""

# BEGIN SOLUTION
# STUB: LAYERS = []  # your network: a list of layer dicts (see above)
LAYERS = [
    {"layer": "conv2d", "filters": 32, "kernel_size": 3, "padding": "same", "activation": "relu"},
    {"layer": "max_pool", "pool_size": 2},
    {"layer": "conv2d", "filters": 64, "kernel_size": 3, "padding": "same", "activation": "relu"},
    {"layer": "max_pool", "pool_size": 2},
    {"layer": "flatten"},
    {"layer": "dropout", "rate": 0.3},
    {"layer": "dense", "units": 128, "activation": "relu"},
    {"layer": "dense", "units": 10, "activation": "softmax"},
]
# END SOLUTION

# BEGIN SOLUTION
# STUB: TRAINING = {}  # optimizer, learning_rate, epochs, batch_size
TRAINING = {"optimizer": "adam", "learning_rate": 1e-3, "epochs": 10, "batch_size": 64}
# END SOLUTION
