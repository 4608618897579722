"""The shape trace of a run as a table: layer, output shape, parameters, size arithmetic."""

from __future__ import annotations

import re
from typing import Any

from textual.widgets import DataTable

from tutor import events
from tutor.shapes import Field, formula, parse_layer

MAX_ROWS = 400
COLUMNS = ("layer", "output (B, C, H, W)", "params", "output size", "receptive field")


def short_layer(text: str) -> str:
    """A layer's repr cut to its settings: Conv2d(1, 16, k=3, s=1, p=1), Linear(3136, 10)."""
    window = parse_layer(text)
    name = text.split("(", 1)[0]
    if window is not None and window.kind == "conv":
        w = window
        sizes = f"k={w.kernel}, s={w.stride}, p={w.padding}"
        return f"{name}({w.in_channels}, {w.out_channels}, {sizes})"
    if window is not None:
        return f"{name}(k={window.kernel}, s={window.stride}, p={window.padding})"
    linear = re.match(r"Linear\(in_features=(\d+), out_features=(\d+)", text)
    if linear:
        return f"Linear({linear.group(1)}, {linear.group(2)})"
    if text.endswith("()") or "(" not in text or name in ("Flatten", "ReLU", "Dropout"):
        return name
    return text if len(text) <= 40 else text[:37] + "..."


def shape_text(shape: Any) -> str:
    """A shape as (8, 16, 28, 28); a list of shapes joined; '-' for none."""
    if not shape:
        return "-"
    if isinstance(shape[0], list):
        return ", ".join(shape_text(s) for s in shape)
    return "(" + ", ".join(str(n) for n in shape) + ")"


class ShapeTraceTable(DataTable[str]):
    """One row per module call of each model's first forward pass, as the sandbox traced it."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self._field = Field()

    def on_mount(self) -> None:
        self.add_columns(*COLUMNS)

    def clear_trace(self) -> None:
        """Forget the previous run's rows."""
        self.clear()
        self._field = Field()

    def add_shapes(self, shapes: list[events.Shape]) -> None:
        """Add the rows of `shape` events, arithmetic and receptive field filled in."""
        rows = []
        for event in shapes:
            if self.row_count + len(rows) >= MAX_ROWS:
                break
            rows.append(self._row(event))
        if rows:
            self.add_rows(rows)

    def _row(self, event: events.Shape) -> tuple[str, ...]:
        depth = event.depth
        if depth == 0:
            self._field = Field()  # a new model: its receptive field starts at one pixel
        layer = event.layer or event.module or "?"
        name = "  " * depth + short_layer(layer)
        out = "FAILED" if event.failed else shape_text(event.out)
        arithmetic = field = ""
        window = parse_layer(layer)
        inputs = event.inputs
        first = inputs[0] if inputs else None
        if window is not None and isinstance(first, list) and len(first) in (3, 4):
            arithmetic = formula(int(first[-2]), window.kernel, window.stride, window.padding)
            self._field = self._field.through(window)
            side = self._field.size
            field = f"{side}×{side} px (step {self._field.jump})"
        return (name, out, f"{event.params:,}", arithmetic, field)
