"""Attack on exercise 9 (optimizers): stateful update rules that do nothing.

Plain gradient descent and the learning-rate schedule are honest; momentum,
RMSprop and Adam return the parameter unchanged with an empty state. Such a
step changes none of its inputs and treats every parameter alike, so checks
that only compare the learner with itself would pay for it.
"""

import numpy as np


def gradient_descent_step(w, grad, lr):
    return w - lr * grad


def momentum_step(w, grad, state, lr=0.01, momentum=0.9, nesterov=False):
    return w, {}


def rmsprop_step(w, grad, state, lr=0.001, rho=0.9, epsilon=1e-7):
    return w, {}


def adam_step(w, grad, state, lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    return w, {}


def exponential_decay(step, initial_lr, decay_steps, decay_rate, staircase=False):
    p = step / decay_steps
    if staircase:
        p = np.floor(p)
    return float(initial_lr * decay_rate**p)
