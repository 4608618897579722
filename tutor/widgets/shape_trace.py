"""The shape trace of a run: a table of layers, and the chosen row's arithmetic spelled out.

The output-size formula and the receptive field come from the shape events as the
sandbox traced them, in the order the layers were really called; this widget only shows
them. The line under the table repeats the chosen row's formula and field in full, so
they are in view at any width without scrolling sideways.
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from tutor import events
from tutor.shapes import short_layer

MAX_ROWS = 400
COLUMNS = ("layer", "output B,C,H,W", "params", "output size", "receptive field")
HINT = "↑↓ choose a layer: its output-size arithmetic and receptive field show here."


def shape_text(shape: Any) -> str:
    """A shape as (8, 16, 28, 28); a list of shapes joined; '-' for none."""
    if not shape:
        return "-"
    if isinstance(shape[0], list):
        return ", ".join(shape_text(s) for s in shape)
    return "(" + ", ".join(str(n) for n in shape) + ")"


def field_text(rf: Any) -> str:
    return f"{rf}×{rf} px" if isinstance(rf, int) and not isinstance(rf, bool) else ""


class ShapeTraceTable(DataTable[str]):
    """One row per module call of each model's first forward pass, as the sandbox traced it."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.details: list[str] = []

    def on_mount(self) -> None:
        self.add_columns(*COLUMNS)

    def clear_trace(self) -> None:
        """Forget the previous run's rows."""
        self.clear()
        self.details = []

    def add_shapes(self, shapes: list[events.Shape]) -> None:
        """Add the rows of `shape` events, with the formula and field the events carry."""
        rows: list[tuple[str, ...]] = []
        for event in shapes:
            if self.row_count + len(rows) >= MAX_ROWS:
                break
            rows.append(self._row(event))
        if rows:
            self.add_rows(rows)

    def _row(self, event: events.Shape) -> tuple[str, ...]:
        depth = event.depth
        layer = event.layer or event.module or "?"
        out = "FAILED" if event.failed else shape_text(event.out)
        arithmetic = event.formula or ""
        field = field_text(event.rf)
        params = f"{event.params:,}"
        said = [f"{event.module or short_layer(layer)}: {layer}", f"output {out}"]
        if arithmetic:
            said.append(f"output size {arithmetic}")
        if field:
            said.append(f"receptive field {field}")
        self.details.append(" · ".join(said))
        return ("  " * depth + short_layer(layer, 28, compact=True), out, params, arithmetic, field)


class ShapeTrace(Vertical):
    """The trace table over one line that spells out the chosen row in full."""

    def compose(self) -> ComposeResult:
        yield ShapeTraceTable(id="pg-trace")
        yield Static(HINT, id="pg-trace-detail", markup=False)

    @property
    def table(self) -> ShapeTraceTable:
        return self.query_one(ShapeTraceTable)

    def clear_trace(self) -> None:
        self.table.clear_trace()
        self.query_one("#pg-trace-detail", Static).update(HINT)

    def add_shapes(self, shapes: list[events.Shape]) -> None:
        table = self.table
        first_new = table.row_count
        table.add_shapes(shapes)
        if first_new == 0 and table.row_count:
            # Start on the first row with arithmetic: the first conv or pool layer.
            with_formula = [i for i, d in enumerate(table.details) if "output size" in d]
            table.move_cursor(row=with_formula[0] if with_formula else 0)

    @on(DataTable.RowHighlighted)
    def _explain_row(self, event: DataTable.RowHighlighted) -> None:
        details = self.table.details
        if 0 <= event.cursor_row < len(details):
            self.query_one("#pg-trace-detail", Static).update(details[event.cursor_row])
