"""TensorFlow as the oracle: imported lazily, once per process, off the hot path.

`warm_up()` starts the import in a background thread so it overlaps the
worker's start and pytest's collection; `tensorflow()` waits for it.
"""

from __future__ import annotations

import os
import sys
import threading

import numpy as np

_lock = threading.Lock()
_thread: threading.Thread | None = None
_module = None
_error: BaseException | None = None


def _import() -> None:
    global _module, _error
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    saved_stderr = _silence_fd(2)
    try:
        import tensorflow

        # The first eager op and the first tape initialise TensorFlow's runtime
        # (a few hundred ms): do it here, overlapped with pytest's start.
        x = tensorflow.constant([1.0], tensorflow.float64)
        with tensorflow.GradientTape() as tape:
            tape.watch(x)
            y = tensorflow.nn.relu(x) * x
        tape.gradient(y, x)
        _module = tensorflow
    except BaseException as error:  # noqa: BLE001 -- reported when the oracle is used
        _error = error
    finally:
        _restore_fd(2, saved_stderr)


def _silence_fd(fd: int) -> int | None:
    """Point `fd` at /dev/null; return a copy of the old one (None if impossible).

    TensorFlow's C++ runtime logs to file descriptor 2 at import (CUDA
    probing, absl notices), which would garble the learner's report.
    """
    try:
        saved = os.dup(fd)
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, fd)
        os.close(null)
        return saved
    except OSError:
        return None


def _restore_fd(fd: int, saved: int | None) -> None:
    if saved is not None:
        os.dup2(saved, fd)
        os.close(saved)


def detach_stderr() -> None:
    """Give Python's sys.stderr its own copy of file descriptor 2 (once per process).

    The import thread points fd 2 at /dev/null for a few seconds; whatever the
    main thread prints meanwhile (a usage error, the progress spinner, the
    "interrupted" line of a Ctrl-C) must still reach the terminal. Call it before
    binding a stream to sys.stderr (a rich Console) that draws while TensorFlow may
    be imported; warm_up calls it too. Only done when sys.stderr is the process's own.
    """
    if sys.stderr is not sys.__stderr__ or sys.stderr is None:
        return
    try:
        sys.stderr.flush()
        copy = os.dup(2)
    except (OSError, ValueError):
        return
    sys.stderr = open(  # noqa: SIM115 -- lives as long as the process
        copy, "w", buffering=1, encoding=sys.__stderr__.encoding, errors="backslashreplace"
    )


def warm_up() -> None:
    """Start importing TensorFlow in the background (no-op if started)."""
    global _thread
    with _lock:
        if _thread is None:
            detach_stderr()
            _thread = threading.Thread(target=_import, name="tensorflow-import", daemon=True)
            _thread.start()


def wait_for_import() -> None:
    """Start TensorFlow's import if needed and wait until it has ended (well or not)."""
    warm_up()
    _thread.join()


def wait_for_started_import() -> None:
    """Wait until TensorFlow's import has ended if one was started; start none."""
    with _lock:
        thread = _thread
    if thread is not None:
        thread.join()


def tensorflow():
    """Return the TensorFlow module, importing it if needed."""
    warm_up()
    _thread.join()
    if _module is None:
        raise RuntimeError(f"TensorFlow could not be imported: {_error}")
    return _module


def tf_gradient(function, inputs: list, dout) -> list[np.ndarray]:
    """Gradients of sum(function(*inputs) * dout) w.r.t. each input, via GradientTape.

    Inputs:
    - function: takes TensorFlow tensors, returns a tensor.
    - inputs: list of NumPy arrays (cast to float64).
    - dout: upstream gradient, the shape of function's output.

    Returns:
    - a list of NumPy arrays, one gradient per input (zeros where it does not depend).
    """
    tf = tensorflow()
    tensors = [tf.constant(np.asarray(a, dtype=np.float64)) for a in inputs]
    with tf.GradientTape() as tape:
        for tensor in tensors:
            tape.watch(tensor)
        output = function(*tensors)
    gradients = tape.gradient(output, tensors, output_gradients=tf.constant(dout, tf.float64))
    return [
        np.zeros(t.shape) if g is None else np.asarray(g)
        for g, t in zip(gradients, tensors, strict=True)
    ]


def tf_same_padding(n: int, k: int, stride: int) -> tuple[int, int]:
    """TensorFlow's SAME padding along one axis, read off the patches TensorFlow extracts.

    tf.image.extract_patches pads exactly as tf.nn.conv2d and the pooling ops
    do. The patches of the cells 1, 2, ..., n show the padding as zeros: the
    leading zeros of the first patch are the cells padded before, the trailing
    zeros of the last patch those padded after (each patch holds a real cell).

    Returns (before, after), ints.
    """
    tf = tensorflow()
    cells = tf.constant(np.arange(1.0, n + 1.0).reshape(1, n, 1, 1))
    patches = tf.image.extract_patches(cells, [1, k, 1, 1], [1, stride, 1, 1], [1] * 4, "SAME")
    first, last = patches.numpy()[0, 0, 0], patches.numpy()[0, -1, 0]
    return int(np.argmax(first != 0)), int(np.argmax(last[::-1] != 0))


def keras():
    """Return the Keras 3 module (imported after TensorFlow)."""
    tensorflow()
    import keras as keras_module

    return keras_module
