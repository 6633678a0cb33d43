"""Our reference LSTM (exercise 18, forward + backward through time) against
`keras.layers.LSTM` with GradientTape.

The issue's shape: a batch of 64 MNIST images read row by row, (64, 28, 28),
into 128 units, float32 (what training uses), returning every state. Both are
timed in this one process, best of several runs each, and printed as a time
ratio (ours / Keras': below 1 means we are faster). Goal: at most 1.5.

    python bench/lstm_vs_keras.py [--repeats 5] [--units 128]
"""

from __future__ import annotations

import argparse
import os

from conv_vs_tensorflow import best_of, load

GOAL = 1.5


def main() -> None:
    """Time both LSTMs on (64, 28, 28) -> units and print the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--units", type=int, default=128)
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import numpy as np
    import tensorflow as tf

    ex18 = load("ex18_recurrent")
    rng = np.random.default_rng(0)
    n, steps, features, units = 64, 28, 28, args.units
    x = rng.random((n, steps, features), dtype=np.float32)
    kernel = (rng.standard_normal((features, 4 * units)) * 0.1).astype(np.float32)
    recurrent = (rng.standard_normal((units, 4 * units)) * 0.1).astype(np.float32)
    bias = ex18.lstm_bias_init(units).astype(np.float32)
    zeros = np.zeros((n, units), np.float32)
    dh_all = np.ones((n, steps, units), np.float32)

    def ours():
        ex18.lstm_forward(x, zeros, zeros, kernel, recurrent, bias)
        ex18.lstm_backward(dh_all, x, zeros, zeros, kernel, recurrent, bias)

    layer = keras.layers.LSTM(units, return_sequences=True)
    layer.build((n, steps, features))
    layer.set_weights([kernel, recurrent, bias])
    tx = tf.constant(x)

    def theirs():
        with tf.GradientTape() as tape:
            tape.watch(tx)
            out = layer(tx)
        tape.gradient(out, [tx, *layer.trainable_weights])

    ours()
    theirs()
    mine, keras_time = best_of(args.repeats, ours), best_of(args.repeats, theirs)
    print(f"{'shape':>22} {'ours ms':>9} {'keras ms':>9} {'ratio':>7}   (forward + backward)")
    label = f"{n}x{steps}x{features}->{units}"
    ratio = mine / keras_time
    print(f"{label:>22} {mine * 1e3:9.1f} {keras_time * 1e3:9.1f} {ratio:7.2f}   goal <= {GOAL}")


if __name__ == "__main__":
    main()
