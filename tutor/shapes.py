"""Shape arithmetic for conv nets without torch: output sizes, parameters, receptive fields.

The same formulas the lessons teach (H_out = ⌊(H − K + 2P)/S⌋ + 1), used by the
playground's trace and the lesson pictures, so the two always agree with each other and
(tests check) with torch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


def conv_out(size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """One spatial side after a convolution or pooling window: ⌊(H − D·(K−1) − 1 + 2P)/S⌋ + 1."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def formula(size: int, kernel: int, stride: int, padding: int) -> str:
    """The output-size formula with the numbers filled in, e.g. ⌊(28 − 3 + 2·1)/1⌋ + 1 = 28."""
    out = conv_out(size, kernel, stride, padding)
    return f"⌊({size} − {kernel} + 2·{padding})/{stride}⌋ + 1 = {out}"


@dataclass(frozen=True)
class Window:
    """The sliding-window settings of a conv or pool layer (height and width alike)."""

    kind: str  # "conv", "maxpool" or "avgpool"
    kernel: int
    stride: int
    padding: int = 0
    in_channels: int | None = None
    out_channels: int | None = None
    bias: bool = True

    @property
    def params(self) -> int:
        if self.kind != "conv" or self.in_channels is None or self.out_channels is None:
            return 0
        return self.out_channels * self.in_channels * self.kernel**2 + (
            self.out_channels if self.bias else 0
        )


@dataclass(frozen=True)
class Field:
    """A receptive field: its side in input pixels and the input-pixel distance between
    neighbouring units (the product of the strides so far)."""

    size: int = 1
    jump: int = 1

    def through(self, window: Window) -> Field:
        """The field after one more window: r' = r + (K − 1)·j, j' = j·S."""
        return Field(self.size + (window.kernel - 1) * self.jump, self.jump * window.stride)


def receptive_field(windows: list[Window]) -> int:
    """Side, in input pixels, of what one unit after `windows` can see."""
    field = Field()
    for window in windows:
        field = field.through(window)
    return field.size


_INT = r"\(?(\d+)"


def _arg(text: str, name: str, position: int | None, default: int) -> int:
    match = re.search(rf"{name}={_INT}", text)
    if match:
        return int(match.group(1))
    if position is not None:
        inside = text[text.index("(") + 1 : text.rindex(")")] if "(" in text else ""
        plain = [p.strip() for p in re.split(r",(?![^()]*\))", inside) if "=" not in p]
        if len(plain) > position and plain[position].strip("() ").split(",")[0].isdigit():
            return int(plain[position].strip("() ").split(",")[0])
    return default


def parse_layer(text: str) -> Window | None:
    """The window of a layer from its PyTorch repr, e.g. 'Conv2d(1, 16, kernel_size=(3, 3),
    stride=(1, 1), padding=(1, 1))' or 'MaxPool2d(kernel_size=2, stride=2, ...)'; None for
    layers without one (ReLU, Flatten, Linear ...)."""
    name = text.split("(", 1)[0].strip()
    if name == "Conv2d":
        return Window(
            "conv",
            kernel=_arg(text, "kernel_size", 2, 1),
            stride=_arg(text, "stride", 3, 1),
            padding=_arg(text, "padding", 4, 0),
            in_channels=_arg(text, "in_channels", 0, 0),
            out_channels=_arg(text, "out_channels", 1, 0),
            bias="bias=False" not in text,
        )
    if name in ("MaxPool2d", "AvgPool2d"):
        kernel = _arg(text, "kernel_size", 0, 1)
        return Window(
            "maxpool" if name == "MaxPool2d" else "avgpool",
            kernel=kernel,
            stride=_arg(text, "stride", 1, kernel),
            padding=_arg(text, "padding", 2, 0),
        )
    return None
