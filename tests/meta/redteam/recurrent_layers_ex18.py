"""Attack on exercise 19 (the recurrent capstone) from the learner's exercise 18.

Not a whole module: the red-team test appends it to the reference
ex18_recurrent.py, so these definitions replace the reference's. The capstone
trainer calls them in the sandbox once on tiny inputs (the probe), then on every
batch. ATTACK (the test writes it in place of the marker) chooses what they do:
- "escape": lstm_forward tries to write a file into a folder of the test's,
  outside the sandbox, and to read a secret the test put there, then raises
  saying what it managed;
- "wrong_shape": lstm_forward returns its last state transposed;
- "giant": lstm_forward asks for 2**31 states per sequence (terabytes);
- "nan": clip_gradients returns NaN for every gradient;
- "objects": clip_gradients returns objects that claim to equal anything and
  turn into whatever arithmetic asks of them.
"""

import os

import numpy as np

ATTACK = "__ATTACK__"
OUTSIDE = "__OUTSIDE__"
_lstm_forward, _clip_gradients = lstm_forward, clip_gradients  # noqa: F821 -- the reference's


def _escape() -> str:
    """What writing and reading outside the sandbox achieved, in words."""
    wrote = read = "nothing"
    try:
        with open(os.path.join(OUTSIDE, "written-by-the-learner"), "w") as out:
            out.write("pwned\n")
        wrote = "written-by-the-learner"
    except OSError as error:
        wrote = f"nothing ({type(error).__name__})"
    try:
        with open(os.path.join(OUTSIDE, "secret")) as secret:
            read = secret.read(200)
    except OSError as error:
        read = f"nothing ({type(error).__name__})"
    return f"escape: wrote {wrote}; read {read}"


def lstm_forward(x, h0, c0, kernel, recurrent_kernel, bias):
    if ATTACK == "escape":
        raise RuntimeError(_escape())
    h_all, h_last, c_last = _lstm_forward(x, h0, c0, kernel, recurrent_kernel, bias)
    if ATTACK == "wrong_shape":
        return h_all, h_last.T, c_last
    if ATTACK == "giant":
        return np.ones((len(x), 2**31, h_last.shape[-1])), h_last, c_last
    return h_all, h_last, c_last


class _Anything:
    """Equal to everything, and whatever arithmetic or NumPy asks of it, itself."""

    def __eq__(self, other):
        return True

    def __hash__(self):
        return 0

    def __getattr__(self, name):
        return self

    def __call__(self, *args, **kwargs):
        return self

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __call__
    __truediv__ = __rtruediv__ = __pow__ = __neg__ = __abs__ = __call__


def clip_gradients(grads, max_norm):
    clipped, norm = _clip_gradients(grads, max_norm)
    if ATTACK == "nan":
        return [np.full(np.shape(g), np.nan, np.float32) for g in clipped], norm
    if ATTACK == "objects":
        return [_Anything() for _ in clipped], _Anything()
    return clipped, norm
