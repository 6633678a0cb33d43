"""Attack: let TensorFlow do the work, imported plainly."""

import numpy as np
import tensorflow as tf


def step(x):
    return tf.cast(tf.greater(x, 0), tf.float64).numpy()


def relu(x):
    return tf.nn.relu(x).numpy()


def sigmoid(x):
    return tf.nn.sigmoid(x).numpy()


def tanh(x):
    return tf.nn.tanh(x).numpy()


def _gradient(function, dout, x):
    x = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = function(x)
    return tape.gradient(y, x, output_gradients=tf.constant(np.asarray(dout))).numpy()


def relu_backward(dout, x):
    return _gradient(tf.nn.relu, dout, x)


def sigmoid_backward(dout, x):
    return _gradient(tf.nn.sigmoid, dout, x)


def tanh_backward(dout, x):
    return _gradient(tf.nn.tanh, dout, x)
