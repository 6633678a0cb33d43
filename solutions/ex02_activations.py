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
    # BEGIN SOLUTION
    return (np.asarray(x) > 0).astype(np.float64)
    # END SOLUTION


def relu(x):
    """Rectified linear unit, element-wise: max(x, 0). Equals `tf.nn.relu`.

    Inputs:
    - x: array of any shape.

    Returns:
    - array of x's shape: x where x > 0, else 0.
    """
    # BEGIN SOLUTION
    return np.maximum(x, 0)
    # END SOLUTION


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
    # BEGIN SOLUTION
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    # END SOLUTION


def tanh(x):
    """The hyperbolic tangent, element-wise. Equals `tf.nn.tanh`.

    Inputs:
    - x: array of any shape.

    Returns:
    - array of x's shape with values in [-1, 1].
    """
    # BEGIN SOLUTION
    return np.tanh(x)
    # END SOLUTION


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
    # BEGIN SOLUTION
    # Multiplying by the 0/1 mask is several times faster than np.where(x > 0, dout, 0)
    # on activations of mixed signs, which a CPU cannot predict branch by branch.
    return np.asarray(dout) * (np.asarray(x) > 0)
    # END SOLUTION


def sigmoid_backward(dout, x):
    """Gradient of sigmoid at x, times the upstream gradient.

    With s = sigmoid(x), sigmoid'(x) = s * (1 - s).

    Inputs:
    - dout: upstream gradient, x's shape.
    - x: the forward input.

    Returns:
    - dx = dout * s * (1 - s), x's shape.
    """
    # BEGIN SOLUTION
    s = sigmoid(x)
    return dout * s * (1.0 - s)
    # END SOLUTION


def tanh_backward(dout, x):
    """Gradient of tanh at x, times the upstream gradient.

    tanh'(x) = 1 - tanh(x)**2.

    Inputs:
    - dout: upstream gradient, x's shape.
    - x: the forward input.

    Returns:
    - dx = dout * (1 - tanh(x)**2), x's shape.
    """
    # BEGIN SOLUTION
    return dout * (1.0 - np.tanh(x) ** 2)
    # END SOLUTION
