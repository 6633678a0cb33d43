"""Our reference conv2d (forward + backward) against tf.nn.conv2d with GradientTape.

The capstone shapes, batch 64, float32 (what training uses), both timed in
this one process, best of several runs each; printed as time ratios
(ours / TensorFlow's: below 1 means we are faster).

    python bench/conv_vs_tensorflow.py [--repeats 5] [--threads 1]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHAPES = [  # (height, width, in_channels, filters), 3x3 kernels, batch 64
    (28, 28, 1, 32),
    (13, 13, 32, 64),
    (32, 32, 3, 32),
    (16, 16, 32, 64),
]


def load(name: str):
    """Import solutions/<name>.py by path."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "solutions" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def best_of(repeats: int, function) -> float:
    """The fastest of `repeats` timed calls of `function()`, in seconds."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    """Time both implementations on each shape and print the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--padding", default="valid")
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import numpy as np
    import tensorflow as tf

    forward = load("ex05_convolution").conv2d_forward
    backward = load("ex07_conv_backward").conv2d_backward
    rng = np.random.default_rng(0)
    print(f"{'shape':>22} {'ours ms':>9} {'tf ms':>9} {'ratio':>7}   (forward + backward)")
    for h, w, c, f in SHAPES:
        x = rng.standard_normal((64, h, w, c)).astype(np.float32)
        k = (rng.standard_normal((3, 3, c, f)) * 0.1).astype(np.float32)
        b = np.zeros(f, np.float32)

        def ours(x=x, k=k, b=b):
            out = forward(x, k, b, 1, args.padding)
            backward(np.ones_like(out), x, k, 1, args.padding)

        tx, tk = tf.constant(x), tf.Variable(k)

        def theirs(tx=tx, tk=tk):
            with tf.GradientTape() as tape:
                tape.watch(tx)
                out = tf.nn.conv2d(tx, tk, 1, args.padding.upper())
            tape.gradient(out, [tx, tk])

        ours()
        theirs()
        mine, tfs = best_of(args.repeats, ours), best_of(args.repeats, theirs)
        label = f"{h}x{w}x{c}->{f}"
        print(f"{label:>22} {mine * 1e3:9.1f} {tfs * 1e3:9.1f} {mine / tfs:7.2f}")


if __name__ == "__main__":
    main()
