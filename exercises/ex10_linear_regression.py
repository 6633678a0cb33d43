"""Exercise 10: linear regression, the single neuron.

A Dense layer with one unit and no activation, `keras.layers.Dense(1)`, on a
single input feature is the straight line

    y_hat = m * x + b

with one weight m (the slope) and one bias b (the intercept). Trained with
the mean squared error (MSE)

    L(m, b) = mean((m * x + b - y)**2)

it is ordinary linear regression. Our data: Boston housing, the median price
of a home (in $1000s) against the average number of rooms (feature 5), the
Keras train split of 404 districts.

Two ways to fit the line:

1. Closed form (ordinary least squares, OLS): set both partial derivatives
   of L to zero and solve, m = cov(x, y) / var(x), b = mean(y) - m * mean(x).
2. Iteratively, as Keras does: start from m = b = 0, and repeat
   m <- m - lr * dL/dm, b <- b - lr * dL/db on small batches of rows, with
   dL/dm = 2 * mean(err * x), dL/db = 2 * mean(err), err = m * x + b - y.

The closed form is exact; gradient descent is the method that scales to
networks with millions of weights, so we check it against the closed form:
it should end with (almost) the same loss and the same predicted prices.
"""

import numpy as np


def fit_line_ols(x, y):
    """Fit y = m * x + b by least squares, in closed form.

    Minimising the MSE gives
        m = sum((x - mean(x)) * (y - mean(y))) / sum((x - mean(x))**2)
        b = mean(y) - m * mean(x)
    (the same line as np.polyfit(x, y, 1)). Centring x first keeps the
    arithmetic accurate.

    Inputs:
    - x: array of shape (N,), the feature.
    - y: array of shape (N,), the targets.

    Returns a tuple (m, b) of floats: slope and intercept.
    """
    raise NotImplementedError("fit_line_ols: write your code here")


def fit_line_gd(x, y, lr=0.002, epochs=300, batch_size=32, rng=None):
    """Fit y = m * x + b by mini-batch gradient descent on the MSE.

    Why standardise first: on the raw rooms feature (values around 6.3, spread
    0.7) the MSE is a long, narrow valley. Its Hessian (the curvature) has
    eigenvalues about 82 and 0.024: any learning rate small enough not to
    blow up along the steep direction (lr < 2 / 82) crawls along the flat
    one, needing tens of thousands of steps, and small noisy batches never
    get there. So fit the line in a standardised feature instead:

        z = (x - mean(x)) / std(x),    y_hat = a * z + c

    Now both eigenvalues are 2, the valley is round, and m, b follow back
    from a, c because a * z + c = (a / std) * x + (c - a * mean / std):

        m = a / std(x),    b = c - a * mean(x) / std(x)

    Starting from a = c = 0 (which is m = b = 0), for each epoch: shuffle the
    row order with `rng.permutation(N)`, cut it into consecutive batches of
    batch_size rows (the last one may be smaller), and for each batch take one
    step with that batch's gradients

        err = a * z + c - y
        a <- a - lr * 2 * mean(err * z),    c <- c - lr * 2 * mean(err)

    After each epoch append the MSE of the current line on the whole training
    set to `losses`. A small lr averages out the noise of small batches; with
    the defaults, gradient descent on the Boston rooms feature ends within
    1% of the OLS loss.

    Inputs:
    - x: array of shape (N,), the feature.
    - y: array of shape (N,), the targets.
    - lr: float, the learning rate.
    - epochs: int, the number of passes over the data.
    - batch_size: int, the number of rows per step (Keras' default is 32).
    - rng: numpy.random.Generator for the shuffling; None means
      np.random.default_rng(0).

    Returns a tuple (m, b, losses):
    - m, b: floats, slope and intercept on the raw (unstandardised) x.
    - losses: list of `epochs` floats, losses[i] = MSE on all of (x, y)
      after epoch i.
    """
    raise NotImplementedError("fit_line_gd: write your code here")
