"""Exercise 12, capstone: a multilayer perceptron on MNIST.

Everything you built comes together here. You do not write a training loop:
you declare a network and its training settings, Keras-style, and the kit
builds that network from *your* functions -- your initialisers, your dense
forward and backward passes, your activations, your softmax cross-entropy,
your optimizer step -- and trains it on the 60,000 MNIST digits. Then it
scores the 10,000 test digits, which your code never sees the labels of.

The bar: at least 97.0% test accuracy, within the time limit.

LAYERS is a list of layer dicts, in order:
- {"layer": "dense", "units": 128, "activation": "relu"}
  (activation: "relu", "sigmoid", "tanh" or "linear"; optional
  "kernel_initializer": "glorot_uniform" (Keras' default) or "he_normal")
- {"layer": "dropout", "rate": 0.2}
- the last layer must be {"layer": "dense", "units": 10, "activation": "softmax"}.
The 28x28 images are flattened for you when the first layer is dense.

TRAINING is a dict: "optimizer" ("sgd", "momentum", "rmsprop" or "adam"),
"learning_rate", "epochs", "batch_size", and optionally "validation_split"
(default 0.1), the optimizer's own settings ("momentum", "rho", "beta_1",
...) and "decay": {"decay_steps": ..., "decay_rate": ..., "staircase": ...}.

The bootcamp's model -- two hidden layers of 128 ReLU units, RMSprop with
learning rate 0.001, 5 epochs of batches of 64 -- is a good start.
"""

# BEGIN SOLUTION
# STUB: LAYERS = []  # your network: a list of layer dicts (see above)
LAYERS = [
    {"layer": "dense", "units": 256, "activation": "relu"},
    {"layer": "dropout", "rate": 0.2},
    {"layer": "dense", "units": 128, "activation": "relu"},
    {"layer": "dropout", "rate": 0.2},
    {"layer": "dense", "units": 10, "activation": "softmax"},
]
# END SOLUTION

# BEGIN SOLUTION
# STUB: TRAINING = {}  # optimizer, learning_rate, epochs, batch_size
TRAINING = {"optimizer": "adam", "learning_rate": 1e-3, "epochs": 10, "batch_size": 64}
# END SOLUTION
