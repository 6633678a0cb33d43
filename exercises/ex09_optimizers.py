"""Exercise 9: optimizers, the update rules behind `model.compile(optimizer=...)`.

Training repeats one move: nudge every weight a little against its gradient.
The plain move is gradient descent, `w - lr * grad`: a weight of 0.38 with
gradient -0.55 and learning rate 0.01 becomes 0.38 + 0.0055 = 0.3855.
Momentum, RMSprop and Adam change how big and in which direction the nudge
is, using a memory of past gradients.

One interface for all of them: each update rule takes `(w, grad, state, ...)`
and returns `(new_w, new_state)`. `state` is a dict holding the rule's memory
for this one weight array (velocities, moving averages, a step counter); it
starts as `{}` on the first step, so create what is missing with zeros. Do not
change `w`, `grad` or `state` in place: build new arrays and a new dict (the
caller may still need the old ones).

The formulas are exactly Keras 3's (`keras.optimizers.SGD`, `RMSprop`,
`Adam`), which differ in small but visible details from the textbook (CS231n)
forms; each docstring says which form is meant. Keras' defaults are the
defaults here, except that momentum_step's momentum is 0.9 (Keras' SGD has
no momentum unless it is given one).

Learning-rate schedules make `lr` a function of the step number:
`keras.optimizers.schedules.ExponentialDecay` shrinks it geometrically.
"""

import numpy as np


def gradient_descent_step(w, grad, lr):
    """One plain gradient-descent step: `keras.optimizers.SGD(lr)`.

    Move the weight a step of size lr against the gradient. Example: w = 0.38,
    grad = -0.55, lr = 0.01 gives 0.38 - 0.01 * (-0.55) = 0.3855.

    Inputs:
    - w: float array (or float), the parameter.
    - grad: array of the same shape, dloss/dw.
    - lr: float, the learning rate.

    Returns:
    - the new parameter, w - lr * grad (same shape as w).
    """
    raise NotImplementedError("gradient_descent_step: write your code here")


def momentum_step(w, grad, state, lr=0.01, momentum=0.9, nesterov=False):
    """SGD with momentum, Keras 3's form: `keras.optimizers.SGD(lr, momentum, nesterov)`.

    A velocity v (zeros at first) remembers the recent steps; the weight
    moves by v, like a ball rolling downhill that keeps its speed:

        v = momentum * v - lr * grad
        w = w + v

    With nesterov=True the step "looks ahead" along the new velocity:

        v = momentum * v - lr * grad
        w = w + momentum * v - lr * grad

    (This is Keras' form, with the learning rate inside v. The textbook form
    v = momentum * v + grad, w = w - lr * v gives the same path only while lr
    stays constant.)

    Inputs:
    - w: float array, the parameter.
    - grad: float array of the same shape, dloss/dw.
    - state: dict, {} on the first step, then the dict this function returned.
    - lr: float, the learning rate.
    - momentum: float in [0, 1), how much of the velocity is kept.
    - nesterov: bool, use Nesterov's look-ahead step.

    Returns a tuple (new_w, new_state):
    - new_w: array of the same shape as w.
    - new_state: a new dict {"v": the new velocity}; `state` itself is not
      changed.
    """
    raise NotImplementedError("momentum_step: write your code here")


def rmsprop_step(w, grad, state, lr=0.001, rho=0.9, epsilon=1e-7):
    """RMSprop, Keras 3's form: `keras.optimizers.RMSprop(lr, rho, epsilon=epsilon)`.

    Divide each gradient by a running root-mean-square of its recent values,
    so every weight moves at about the same speed whatever its gradient's
    scale. s (zeros at first) is the moving average of grad**2:

        s = rho * s + (1 - rho) * grad**2
        w = w - lr * grad / sqrt(s + epsilon)

    Careful: Keras puts epsilon INSIDE the square root. The CS231n textbook
    form, w - lr * grad / (sqrt(s) + epsilon), puts it outside; the two differ
    a lot when gradients are tiny: on the first step with grad = 1e-6 and
    rho = 0.9, sqrt(s + 1e-7) is about 3.2e-4 while sqrt(s) + 1e-7 is about
    4.2e-7, so Keras' step is some 760 times smaller. Use Keras' form.

    Inputs:
    - w: float array, the parameter.
    - grad: float array of the same shape, dloss/dw.
    - state: dict, {} on the first step, then the dict this function returned.
    - lr: float, the learning rate.
    - rho: float in [0, 1), the decay of the moving average.
    - epsilon: float, small constant that keeps the division finite.

    Returns a tuple (new_w, new_state):
    - new_w: array of the same shape as w.
    - new_state: a new dict {"s": the new moving average of grad**2};
      `state` itself is not changed.
    """
    raise NotImplementedError("rmsprop_step: write your code here")


def adam_step(w, grad, state, lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    """Adam, Keras 3's form: `keras.optimizers.Adam(lr, beta_1, beta_2, epsilon)`.

    Adam combines momentum (a moving average m of the gradients) with RMSprop
    (a moving average v of the squared gradients). Both start at zero, so
    early on they are too small; Adam corrects this bias with the step count
    t, which is 1 on the first step. Keras folds the correction into the step
    size and adds epsilon OUTSIDE the square root:

        t = t + 1                                   (t starts at 0 in {})
        m = beta_1 * m + (1 - beta_1) * grad
        v = beta_2 * v + (1 - beta_2) * grad**2
        alpha = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)
        w = w - alpha * m / (sqrt(v) + epsilon)

    Careful: this is not the CS231n textbook form, which corrects m and v
    first, m_hat = m / (1 - beta_1**t), v_hat = v / (1 - beta_2**t), and then
    steps w - lr * m_hat / (sqrt(v_hat) + epsilon). The two agree for large
    gradients, but not for small ones, because epsilon meets a differently
    scaled root: on the first step with grad = 1e-6 and the defaults, Keras
    moves w by 0.24 * lr and the textbook form by 0.91 * lr. Use Keras' form.

    Inputs:
    - w: float array, the parameter.
    - grad: float array of the same shape, dloss/dw.
    - state: dict, {} on the first step, then the dict this function returned.
    - lr: float, the learning rate.
    - beta_1: float in [0, 1), decay of the moving average of grad.
    - beta_2: float in [0, 1), decay of the moving average of grad**2.
    - epsilon: float, small constant that keeps the division finite.

    Returns a tuple (new_w, new_state):
    - new_w: array of the same shape as w.
    - new_state: a new dict {"m": ..., "v": ..., "t": the number of steps
      taken so far, an int}; `state` itself is not changed.
    """
    raise NotImplementedError("adam_step: write your code here")


def exponential_decay(step, initial_lr, decay_steps, decay_rate, staircase=False):
    """Learning rate after `step` steps: `keras.optimizers.schedules.ExponentialDecay`.

    The rate shrinks by the factor decay_rate every decay_steps steps:

        lr = initial_lr * decay_rate ** (step / decay_steps)

    With staircase=True the exponent is rounded down (floor), so the rate
    stays flat and drops in jumps. `step` counts from 0: the first update uses
    step 0, i.e. initial_lr (Keras evaluates the schedule at the optimizer's
    iteration count before incrementing it). Example: initial_lr 0.1,
    decay_steps 100, decay_rate 0.5: step 150 gives 0.1 * 0.5**1.5 = 0.0354,
    or 0.05 with staircase.

    Inputs:
    - step: int (or float) >= 0, the number of updates done so far.
    - initial_lr: float, the learning rate at step 0.
    - decay_steps: positive number, the steps per decay period.
    - decay_rate: float, the factor per period.
    - staircase: bool, floor the exponent.

    Returns:
    - the learning rate at this step, a float.
    """
    raise NotImplementedError("exponential_decay: write your code here")
