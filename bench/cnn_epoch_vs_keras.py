"""One epoch of an MNIST capstone's network: our layers (the kit's trainer on solutions/)
vs Keras.

By default the seeds' CNN of exercise 13, 32c3-p2-64c3-p2-128-10; with
--exercise 12 the reference MLP of exercise 12. Trained with Adam 1e-3 and
batches of 64 for one epoch by each, in this one process, on the real MNIST
(NNLAB_DATA_DIR or --data-dir). Prints both epoch times, their ratio and both
test accuracies, then where our epoch went (the trainer's own profile, as a
learner's report shows it). The process runs with the sandbox worker's memory
settings (grader.sandbox.isolation.MEMORY_REUSE), re-starting itself if needed.

    python bench/cnn_epoch_vs_keras.py [--data-dir ../shared/datasets] [--epochs 1]
                                       [--exercise 12|13]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def reference_layers(number: int) -> list[dict]:
    """LAYERS of the reference solution of MNIST capstone `number` (12: MLP, 13: CNN)."""
    from grader.course.registry import get_exercise

    path = ROOT / "solutions" / get_exercise(number).filename
    spec = importlib.util.spec_from_file_location(f"ex{number}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.LAYERS


def main() -> None:
    """Train one epoch each way and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--exercise", type=int, choices=(12, 13), default=13)
    args = parser.parse_args()
    from grader.sandbox.isolation import MEMORY_REUSE

    if any(os.environ.get(name) != value for name, value in MEMORY_REUSE.items()):
        os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, **MEMORY_REUSE})
    import numpy as np

    from grader.engine import capstone, data, oracles

    keras = oracles.keras()
    dataset = data.load("mnist", args.data_dir)
    training = {
        "optimizer": "adam",
        "learning_rate": 1e-3,
        "epochs": args.epochs,
        "batch_size": 64,
        "validation_split": 0.0,
    }
    spec = capstone.validate(reference_layers(args.exercise), training, (28, 28), 10, keras)

    # Our side: the trainer that runs in the sandbox, here in-process on the references.
    sys.path.insert(0, str(ROOT / "solutions"))
    sys.modules["nnlab_channel"] = types.SimpleNamespace(report=lambda message: None)
    from grader.sandbox import trainer

    (x_train, y_train), (x_test, y_test) = dataset
    started = time.monotonic()
    ours = trainer.fit_and_predict(spec.layers, spec.training, spec.input_shape, x_train, y_train)
    our_seconds = time.monotonic() - started
    model = capstone.trusted_model(spec, capstone.checked_weights(spec, ours["weights"]), keras)
    our_accuracy = float(
        np.mean(capstone.predict_classes(model, x_test, spec.input_shape) == y_test)
    )
    theirs = capstone.train_keras(spec, dataset, keras)
    network = "MLP (exercise 12)" if args.exercise == 12 else "CNN (exercise 13)"
    print(f"MNIST {network}, {args.epochs} epoch(s), batch 64, Adam 1e-3, 60,000 images")
    print(f"  ours : {our_seconds:6.1f} s   test accuracy {our_accuracy:.2%}")
    print(f"  Keras: {theirs['seconds']:6.1f} s   test accuracy {theirs['test_accuracy']:.2%}")
    print(f"  time ratio ours / Keras: {our_seconds / theirs['seconds']:.2f} (goal <= 1.0)")
    print_profile(spec, ours["profile"])


def print_profile(spec, raw: dict) -> None:
    """Where our epoch went, as the learner's report shows it (reference times not measured:
    these are the reference)."""
    from rich.console import Console

    from grader.engine.profile import Watch
    from grader.learner.terminal import print_profile as show

    watch = Watch(spec.layers, spec.training, spec.input_shape)
    profile = watch.profile(raw, with_reference=False)
    show(profile.to_dict(), Console(width=100))


if __name__ == "__main__":
    main()
