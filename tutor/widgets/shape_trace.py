"""The shape trace of a run as a table: layer, output shape, parameters, size arithmetic."""

from __future__ import annotations

from typing import Any

from textual.widgets import DataTable

from tutor import events
from tutor.shapes import short_layer

MAX_ROWS = 400
COLUMNS = ("layer", "output (B, C, H, W)", "params", "output size", "receptive field")


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

    def on_mount(self) -> None:
        self.add_columns(*COLUMNS)

    def clear_trace(self) -> None:
        """Forget the previous run's rows."""
        self.clear()

    def add_shapes(self, shapes: list[events.Shape]) -> None:
        """Add the rows of `shape` events, with the size arithmetic and receptive field the
        sandbox worked out for conv and pool rows."""
        rows = []
        for event in shapes:
            if self.row_count + len(rows) >= MAX_ROWS:
                break
            rows.append(row_cells(event))
        if rows:
            self.add_rows(rows)


def row_cells(event: events.Shape) -> tuple[str, ...]:
    """One table row: layer, output shape, parameters, size arithmetic, receptive field."""
    name = "  " * event.depth + short_layer(event.layer or event.module or "?")
    out = "FAILED" if event.failed else shape_text(event.out)
    field = f"{event.rf}×{event.rf} px" if event.rf is not None else ""
    return (name, out, f"{event.params:,}", event.formula or "", field)
