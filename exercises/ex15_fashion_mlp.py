"""Exercise 15, capstone: a multilayer perceptron on Fashion-MNIST.

Fashion-MNIST has the shape of MNIST -- 70,000 28x28 greyscale images, ten
classes -- but shows clothes: T-shirts, trousers, pullovers, dresses, coats,
sandals, shirts, sneakers, bags and ankle boots. Shirts and T-shirts look
alike, so it is harder than digits. The kit builds your network from your
own functions, trains it, and scores the 10,000 test images.
The bar: at least 87% test accuracy.

LAYERS and TRAINING are as in exercise 12. Watch the validation accuracy in
the progress bar: once it stops improving, more epochs only overfit.
"""

LAYERS = []  # your network: a list of layer dicts (see above)

TRAINING = {}  # optimizer, learning_rate, epochs, batch_size
