"""Exercise 13, capstone: a convolutional network on MNIST.

A dense network sees 784 unrelated numbers; a convolutional network sees
an image: small filters slide over it and find strokes and corners wherever
they are. The kit builds your network from your own convolution (ex05, ex07),
pooling (ex06) and everything before, trains it on MNIST, and scores the
10,000 test digits. The bar: at least 98.5% test accuracy.

LAYERS is a list of layer dicts, in order:
- {"layer": "conv2d", "filters": 32, "kernel_size": 3, "stride": 1,
   "padding": "valid", "activation": "relu"}
- {"layer": "max_pool", "pool_size": 2} (or "avg_pool"; "stride" defaults
  to the pool size, "padding" to "valid")
- {"layer": "flatten"}, then {"layer": "dense", ...}, {"layer": "dropout", "rate": ...}
- the last layer must be {"layer": "dense", "units": 10, "activation": "softmax"}.
The images get a channel axis, (28, 28, 1), when the first layer is conv2d.

TRAINING is as in exercise 12. The classic MNIST CNN of the tutorials --
32 3x3 filters, pool, 64 3x3 filters, pool, a dense layer of 128 -- with
Adam reaches the bar in a few epochs.
"""

# BEGIN SOLUTION
# STUB: LAYERS = []  # your network: a list of layer dicts (see above)
LAYERS = [
    {"layer": "conv2d", "filters": 32, "kernel_size": 3, "activation": "relu"},
    {"layer": "max_pool", "pool_size": 2},
    {"layer": "conv2d", "filters": 64, "kernel_size": 3, "activation": "relu"},
    {"layer": "max_pool", "pool_size": 2},
    {"layer": "flatten"},
    {"layer": "dense", "units": 128, "activation": "relu"},
    {"layer": "dense", "units": 10, "activation": "softmax"},
]
# END SOLUTION

# BEGIN SOLUTION
# STUB: TRAINING = {}  # optimizer, learning_rate, epochs, batch_size
TRAINING = {"optimizer": "adam", "learning_rate": 1e-3, "epochs": 3, "batch_size": 64}
# END SOLUTION
