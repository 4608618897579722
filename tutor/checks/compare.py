"""Wording that several judges share (no textual, no torch).

The arithmetic lives in tutor.shapes, the one home of output sizes, receptive fields and
parameter counts; the parameter counts are re-exported here for the judges that word them.
"""

from __future__ import annotations

from collections.abc import Sequence

from tutor.shapes import conv_params, linear_params, shape_text

__all__ = ["conv_params", "fmt_count", "fmt_shape", "linear_params", "plural"]


def fmt_shape(shape: Sequence[int] | None) -> str:
    """(16, 32, 32) the way Python prints a tuple; `?` when unknown."""
    return shape_text(shape, none="?")


def fmt_count(n: int) -> str:
    """A count with thousands separators: 31,530."""
    return f"{int(n):,}"


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
