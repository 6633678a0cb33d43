"""Exercise 2: activation functions and their gradients.

A neuron computes a weighted sum and then bends it with an activation
function; without that bend, any stack of layers would still be one linear
map. You will write the classic activations and, for each, the backward
function that backpropagation needs.

Every backward function here takes the upstream gradient `dout` (same shape
as x) and the forward input `x`, and returns `dout * f'(x)`: the chain rule,
one element at a time.
"""

import numpy as np


def step(x):
    """The step function of the first perceptrons: 1 where x > 0, else 0.

    step([-1.0, 0.0, 2.0]) == [0, 0, 1]. Its gradient is zero almost
    everywhere, which is why gradient descent needs smooth activations.

    Inputs:
    - x: array of any shape.

    Returns:
    - array of x's shape holding 1 where x > 0 and 0 elsewhere.
    """
    raise NotImplementedError("step: write your code here")


def relu(x):
    """Rectified linear unit, element-wise: max(x, 0). Equals `tf.nn.relu`.

    Inputs:
    - x: array of any shape.

    Returns:
    - array of x's shape: x where x > 0, else 0.
    """
    raise NotImplementedError("relu: write your code here")


def sigmoid(x):
    """The logistic function 1 / (1 + exp(-x)). Equals `tf.nn.sigmoid`.

    Careful: for x = -1000, exp(-x) overflows and NumPy warns. Compute
    exp(-|x|), which never overflows, and use it in the form that fits the
    sign of x: for x >= 0, 1 / (1 + e); for x < 0, e / (1 + e).
    It must be finite and warning-free for |x| up to 1e4.

    Inputs:
    - x: array of any shape.

    Returns:
    - array of x's shape with values in [0, 1].
    """
    raise NotImplementedError("sigmoid: write your code here")


def tanh(x):
    """The hyperbolic tangent, element-wise. Equals `tf.nn.tanh`.

    Inputs:
    - x: array of any shape.

    Returns:
    - array of x's shape with values in [-1, 1].
    """
    raise NotImplementedError("tanh: write your code here")


def relu_backward(dout, x):
    """Gradient of relu at x, times the upstream gradient.

    relu'(x) is 1 where x > 0 and 0 elsewhere; at exactly x == 0
    TensorFlow uses 0, and so do we.

    Inputs:
    - dout: upstream gradient, x's shape.
    - x: the forward input.

    Returns:
    - dx, x's shape: dout where x > 0, else 0.
    """
    raise NotImplementedError("relu_backward: write your code here")


def sigmoid_backward(dout, x):
    """Gradient of sigmoid at x, times the upstream gradient.

    With s = sigmoid(x), sigmoid'(x) = s * (1 - s).

    Inputs:
    - dout: upstream gradient, x's shape.
    - x: the forward input.

    Returns:
    - dx = dout * s * (1 - s), x's shape.
    """
    raise NotImplementedError("sigmoid_backward: write your code here")


def tanh_backward(dout, x):
    """Gradient of tanh at x, times the upstream gradient.

    tanh'(x) = 1 - tanh(x)**2.

    Inputs:
    - dout: upstream gradient, x's shape.
    - x: the forward input.

    Returns:
    - dx = dout * (1 - tanh(x)**2), x's shape.
    """
    raise NotImplementedError("tanh_backward: write your code here")
