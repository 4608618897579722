"""Arithmetic and wording that several judges share (no textual, no torch)."""

from __future__ import annotations

import math
from collections.abc import Sequence


def fmt_shape(shape: Sequence[int] | None) -> str:
    """(16, 32, 32) the way Python prints a tuple; `?` when unknown."""
    if shape is None:
        return "?"
    inner = ", ".join(str(int(s)) for s in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def fmt_count(n: int) -> str:
    """A count with thousands separators: 31,530."""
    return f"{int(n):,}"


def conv_output(size: int, kernel: int, padding: int = 0, stride: int = 1) -> int:
    """H_out = floor((H - K + 2P) / S) + 1."""
    return (size - kernel + 2 * padding) // stride + 1


def pool_output(size: int, kernel: int = 2, stride: int | None = None) -> int:
    """Pooling is a window with no padding whose stride defaults to its size."""
    return conv_output(size, kernel, 0, stride or kernel)


def conv_params(in_channels: int, out_channels: int, kernel: int, bias: bool = True) -> int:
    """Weights out*in*K*K, plus one bias per filter."""
    return out_channels * in_channels * kernel * kernel + (out_channels if bias else 0)


def linear_params(in_features: int, out_features: int, bias: bool = True) -> int:
    """Weights in*out, plus one bias per output."""
    return in_features * out_features + (out_features if bias else 0)


def ceil_output(size: int, kernel: int, padding: int = 0, stride: int = 1) -> int:
    """The output size with the division rounded up: a common slip."""
    return math.ceil((size - kernel + 2 * padding) / stride) + 1


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
