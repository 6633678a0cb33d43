"""The inputs of the convolution and pooling checks (exercises 5-7) and their strategies.

Images are NHWC, kernels HWIO; a stride or a window is an int or a (height,
width) pair; padding is "valid" or "same", in any case. A case holds the
arguments of one call; its repr is name=value pairs, the "failing input" line a
report shows when it cannot reprint the failing call as Python.

Only inputs are drawn here: a student release ships this module as it is, so
nothing here computes an answer. What a check expects comes from TensorFlow in
the check file (SAME padding too: grader.engine.oracles.tf_same_padding). A case
that needs an upstream gradient `dout` gets its shape from the check
(`dout_shape`: the shape TensorFlow's forward pass gives).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from hypothesis import strategies as st

from grader.checks.strategies import seeds

VALID = ("valid", "VALID", "Valid")
SAME = ("same", "SAME", "Same")
MAX_IMAGE_SIDE = 12
strides = st.integers(1, 3) | st.tuples(st.integers(1, 3), st.integers(1, 3))
pool_sizes = st.integers(1, 5) | st.tuples(st.integers(1, 5), st.integers(1, 5))
pool_strides = st.none() | strides  # None: the stride defaults to the pool size

DoutShape = Callable[[Any], tuple[int, ...]]


def pair(value) -> tuple[int, int]:
    """A stride or window as (height, width): an int stands for both."""
    return (value, value) if isinstance(value, int) else tuple(value)


def distinct_values(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Tie-free values of both signs in `shape`: a shuffled range, scaled."""
    size = int(np.prod(shape))
    return (rng.permutation(size).reshape(shape) - size / 2.0) / 4.0


def _arguments(**values) -> str:
    """name=value pairs of the values that are not None."""
    return ", ".join(f"{name}={value!r}" for name, value in values.items() if value is not None)


# ---------------------------------------------------------------- convolution


class ConvGeometry(NamedTuple):
    """Sizes of one random convolution: batch, image, channels, kernel, padding mode."""

    mode: str
    n: int
    h: int
    w: int
    c_in: int
    c_out: int
    kh: int
    kw: int


@st.composite
def conv_geometry(draw, modes: st.SearchStrategy[str], kernel_larger_than_image: bool = False):
    """Batch 1-4, images 1-12, channels 1-5, kernels 1-5; VALID kernels fit the image.

    kernel_larger_than_image: SAME padding with kh > H or kw > W (or both).
    """
    mode = draw(modes)
    n, c_in, c_out = draw(st.integers(1, 4)), draw(st.integers(1, 5)), draw(st.integers(1, 5))
    kh, kw = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    kh, kw, h, w = _image_for(draw, kh, kw, mode.lower() == "valid", kernel_larger_than_image)
    return ConvGeometry(mode, n, h, w, c_in, c_out, kh, kw)


@dataclass(eq=False, repr=False)
class ConvCase:
    """The arguments of one convolution: x (NHWC), w (HWIO), stride, padding, and the
    bias b (forward) or the upstream gradient dout (backward) when the case has one."""

    x: np.ndarray
    w: np.ndarray
    stride: int | tuple[int, int]
    padding: str
    b: np.ndarray | None = None
    dout: np.ndarray | None = None

    @property
    def strides(self) -> list[int]:
        """The stride as [height, width], as tf.nn.conv2d takes it."""
        return list(pair(self.stride))

    def __repr__(self) -> str:
        return _arguments(
            x=self.x, w=self.w, b=self.b, stride=self.stride, padding=self.padding, dout=self.dout
        )


@st.composite
def conv_cases(
    draw,
    paddings: tuple[str, ...] = VALID + SAME,
    kernel_larger_than_image: bool = False,
    bias: bool = True,
    dout_shape: DoutShape | None = None,
) -> ConvCase:
    """A random ConvCase in float64 (conv_geometry's sizes, a stride of 1-3 per axis).

    paddings: the modes to draw from; kernel_larger_than_image: as conv_geometry.
    bias: draw b; dout_shape: when given, draw dout of the shape dout_shape(case) says.
    """
    geometry = draw(conv_geometry(st.sampled_from(paddings), kernel_larger_than_image))
    mode, n, h, w, c_in, c_out, kh, kw = geometry
    rng = np.random.default_rng(draw(seeds))
    x = rng.standard_normal((n, h, w, c_in))
    kernel = rng.standard_normal((kh, kw, c_in, c_out))
    b = rng.standard_normal(c_out) if bias else None
    case = ConvCase(x, kernel, draw(strides), mode, b=b)
    if dout_shape is not None:
        case.dout = rng.standard_normal(dout_shape(case))
    return case


# ---------------------------------------------------------------- pooling


@dataclass(eq=False, repr=False)
class PoolCase:
    """The arguments of one pooling call: x (NHWC), pool_size, stride (None: the default,
    pool_size) and padding, and the upstream gradient dout when the case has one."""

    x: np.ndarray
    pool_size: int | tuple[int, int]
    stride: int | tuple[int, int] | None
    padding: str
    dout: np.ndarray | None = None

    @property
    def window(self) -> list[int]:
        """The window as [height, width]."""
        return list(pair(self.pool_size))

    @property
    def strides(self) -> list[int]:
        """The stride as [height, width], the pool size when the stride is left out."""
        return list(pair(self.pool_size if self.stride is None else self.stride))

    @property
    def kwargs(self) -> dict:
        """Keyword arguments for the learner: no stride when it should default."""
        extra = {} if self.stride is None else {"stride": self.stride}
        return {"pool_size": self.pool_size, **extra, "padding": self.padding}

    def __repr__(self) -> str:
        return _arguments(
            x=self.x,
            pool_size=self.pool_size,
            stride=self.stride,
            padding=self.padding,
            dout=self.dout,
        )


@st.composite
def pool_cases(
    draw,
    dout_shape: DoutShape,
    paddings: tuple[str, ...] = VALID + SAME,
    window_fits: bool = False,
    window_larger: bool = False,
    values: list[float] | None = None,
) -> PoolCase:
    """A random PoolCase (batch 1-4, images 1-12, channels 1-5, windows 1-5) with its dout.

    dout_shape: the shape of dout for a case (the pooled output's, by TensorFlow).
    window_fits: the window is at most the image (always so for VALID);
    window_larger: SAME padding with a window larger than the image.
    values: None for tie-free values, else a list of values to draw (with ties).
    """
    mode = draw(st.sampled_from(paddings))
    pool_size = draw(pool_sizes)
    n, c = draw(st.integers(1, 4)), draw(st.integers(1, 5))
    fits = mode.lower() == "valid" or window_fits
    ph, pw, h, w = _image_for(draw, *pair(pool_size), fits, window_larger)
    if window_larger and not fits:
        pool_size = (ph, pw)
    rng = np.random.default_rng(draw(seeds))
    shape = (n, h, w, c)
    x = distinct_values(rng, shape) if values is None else rng.choice(values, size=shape)
    case = PoolCase(x, pool_size, draw(pool_strides), mode)
    case.dout = rng.standard_normal(dout_shape(case))
    return case


def _image_for(draw, kh: int, kw: int, fits: bool, larger: bool) -> tuple[int, int, int, int]:
    """(kh, kw, h, w): a window and an image size for it.

    fits: the window fits inside the image; else larger: the window is larger than
    the image along its height, its width or both (that side of the window redrawn
    from 2-5); else any image size.
    """
    if fits:
        return kh, kw, draw(st.integers(kh, MAX_IMAGE_SIDE)), draw(st.integers(kw, MAX_IMAGE_SIDE))
    if not larger:
        return kh, kw, draw(st.integers(1, MAX_IMAGE_SIDE)), draw(st.integers(1, MAX_IMAGE_SIDE))
    axes = draw(st.sampled_from(["height", "width", "both"]))
    kh = draw(st.integers(2, 5)) if axes != "width" else kh
    kw = draw(st.integers(2, 5)) if axes != "height" else kw
    h = draw(st.integers(1, kh - 1)) if axes != "width" else draw(st.integers(1, MAX_IMAGE_SIDE))
    w = draw(st.integers(1, kw - 1)) if axes != "height" else draw(st.integers(1, MAX_IMAGE_SIDE))
    return kh, kw, h, w
