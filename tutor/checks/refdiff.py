"""The reference diff: the learner's model beside the reference, row by row (no torch, no textual).

For the model exercises, the probe records the learner's forward pass call by call (inside
the sandbox: feedback only, it decides nothing) and the referee records the reference
model's forward pass the same way, in a process that never runs learner code. Here both
traces become rows (layer, output shape, parameters), lined up, with the first row that
differs marked. `check` (text and --json), the TUI verdict and `grade --out x.json` all show
the diff made here.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tutor.checks.compare import fmt_count

# Functional ops, named as the layer that does the same, so `F.relu(x)` and `nn.ReLU()` line up.
_FUNCTION_LAYERS = {
    "conv2d": "Conv2d",
    "batch_norm": "BatchNorm2d",
    "relu": "ReLU",
    "max_pool2d": "MaxPool2d",
    "avg_pool2d": "AvgPool2d",
    "adaptive_avg_pool2d": "AdaptiveAvgPool2d",
    "adaptive_max_pool2d": "AdaptiveMaxPool2d",
    "flatten": "Flatten",
}
# At most this many rows per side: a trace is a model's first forward pass, a few dozen calls.
MAX_ROWS = 200
MAX_LABEL = 40


@dataclass(frozen=True)
class Layer:
    """One step of a forward pass: what ran, the shape it gave (None: it raised), its parameters."""

    layer: str
    out: tuple[int, ...] | None
    params: int

    def to_json(self) -> dict[str, Any]:
        return {
            "layer": self.layer,
            "out": list(self.out) if self.out is not None else None,
            "params": self.params,
        }


@dataclass(frozen=True)
class DiffRow:
    """The learner's step and the reference's at the same place (None where one has none)."""

    learner: Layer | None
    reference: Layer | None

    @property
    def differs(self) -> bool:
        return self.learner != self.reference

    def to_json(self) -> dict[str, Any]:
        return {
            "learner": self.learner.to_json() if self.learner else None,
            "reference": self.reference.to_json() if self.reference else None,
            "differs": self.differs,
        }


@dataclass(frozen=True)
class ReferenceDiff:
    """Both traces lined up; `first_difference` is the index of the first differing row."""

    rows: tuple[DiffRow, ...]
    learner_raised: bool = False

    @property
    def first_difference(self) -> int | None:
        return next((i for i, row in enumerate(self.rows) if row.differs), None)

    def to_json(self) -> list[dict[str, Any]]:
        return [row.to_json() for row in self.rows]


def _shape(value: Any) -> tuple[int, ...] | None:
    if isinstance(value, list) and all(type(s) is int for s in value):
        return tuple(value)
    return None


def layer_of(call: Any) -> Layer | None:
    """A recorded call as a row; None for something that is not a call record."""
    if not isinstance(call, dict):
        return None
    if call.get("op") == "module":
        label = str(call.get("type") or "?")
        params = call.get("params")
        count = params if isinstance(params, int) and not isinstance(params, bool) else 0
        return Layer(label[:MAX_LABEL], _shape(call.get("out")), max(count, 0))
    op = str(call.get("op") or "?")
    shape_in, shape_out = _shape(call.get("in")), _shape(call.get("out"))
    if op in ("view", "reshape"):
        # x.view(B, -1) is a flatten (the checks accept it as one); other reshapes stay named.
        flat = (
            shape_in is not None
            and shape_out is not None
            and len(shape_out) == 2
            and len(shape_in) > 2
            and shape_out[0] == shape_in[0]
        )
        label = "Flatten" if flat else op
    else:
        label = _FUNCTION_LAYERS.get(op, op)
    return Layer(label[:MAX_LABEL], shape_out, 0)


def layers_of(calls: Any) -> list[Layer]:
    if not isinstance(calls, list):
        return []
    found = (layer_of(call) for call in calls[:MAX_ROWS])
    return [layer for layer in found if layer is not None]


def line_up(mine: Sequence[Layer], theirs: Sequence[Layer]) -> tuple[DiffRow, ...]:
    """Pair the two traces by layer kind, so a layer missing or extra on one side shows as a
    gap there and the rows after it still meet their counterparts."""
    matcher = difflib.SequenceMatcher(
        None, [m.layer for m in mine], [t.layer for t in theirs], autojunk=False
    )
    rows: list[DiffRow] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows.extend(DiffRow(m, t) for m, t in zip(mine[i1:i2], theirs[j1:j2], strict=True))
            continue
        left, right = list(mine[i1:i2]), list(theirs[j1:j2])
        for k in range(max(len(left), len(right))):
            rows.append(
                DiffRow(left[k] if k < len(left) else None, right[k] if k < len(right) else None)
            )
    return tuple(rows)


def reference_diff(
    facts: dict[str, Any] | None, findings: dict[str, Any] | None
) -> ReferenceDiff | None:
    """The diff for a verdict: the probe's recorded forward pass (the learner's rows) beside
    the referee's recording of the reference; None when the referee recorded none."""
    theirs = layers_of((findings or {}).get("reference_calls"))
    if not theirs:
        return None
    model = (facts or {}).get("model")
    forward = model.get("forward") if isinstance(model, dict) else None
    forward = forward if isinstance(forward, dict) else {}
    mine = layers_of(forward.get("calls"))
    return ReferenceDiff(line_up(mine, theirs), learner_raised=bool(forward.get("error")))


# -- as text (check's output and the TUI's widget) --------------------------------------------
def fmt_out(shape: tuple[int, ...] | None) -> str:
    """A shape as compact as a tuple can read: (8,16,28,28)."""
    if shape is None:
        return "-"
    inner = ",".join(str(s) for s in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def _cells(layer: Layer | None, raised: bool) -> tuple[str, str, str]:
    """layer, output, params; a learner's call with no output is the one that raised."""
    if layer is None:
        return ("-", "", "")
    out = "raised" if layer.out is None and raised else fmt_out(layer.out)
    return (layer.layer, out, fmt_count(layer.params) if layer.params else "-")


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "~"


@dataclass(frozen=True)
class DiffTable:
    """The diff laid out as lines of text: a heading, then one line per row; `marked` is the
    line index of the first differing row (None when the models match)."""

    lines: tuple[str, ...]
    marked: int | None
    summary: str


def diff_table(diff: ReferenceDiff, width: int = 80, mark: str = ">") -> DiffTable:
    """Columns `#  layer  output  params | layer  output  params`, fitted into `width`."""
    cells = [
        (_cells(row.learner, diff.learner_raised), _cells(row.reference, False))
        for row in diff.rows
    ]
    number = len(str(len(diff.rows)))
    heads = ("layer", "output", "params")

    def widest(side: int, col: int) -> int:
        return max([len(heads[col])] + [len(c[side][col]) for c in cells])

    cols = [[widest(side, col) for col in range(3)] for side in range(2)]
    lead = len(mark) + 1 + number + 1
    fixed = lead + 3 + 2 * 2 + sum(cols[0][c] + cols[1][c] for c in (0, 2))
    room = max(8, (width - fixed) // 2)
    for side in cols:  # shapes give way first; a long layer name is cut last
        side[1] = min(side[1], room)

    def side_text(values: tuple[str, str, str], side: int) -> str:
        layer_w, out_w, params_w = cols[side]
        return (
            f"{_fit(values[0], layer_w).ljust(layer_w)} "
            f"{_fit(values[1], out_w).ljust(out_w)} "
            f"{values[2].rjust(params_w)}"
        )

    left_w = sum(cols[0]) + 2
    title = (" " * lead + "your model".ljust(left_w) + " | " + "reference").rstrip()
    head = " " * lead + side_text(heads, 0) + " | " + side_text(heads, 1)
    lines = [title, head.rstrip()]
    first = diff.first_difference
    for i, (mine, theirs) in enumerate(cells):
        flag = mark if i == first else " " * len(mark)
        row = f"{flag} {str(i + 1).rjust(number)} {side_text(mine, 0)} | {side_text(theirs, 1)}"
        lines.append(row.rstrip())
    if first is None:
        summary = "Your model matches the reference row by row: layers, shapes, parameters."
    else:
        summary = (
            f"Row {first + 1} ({mark}) is the first where your model differs from the reference."
        )
    return DiffTable(tuple(lines), None if first is None else first + 2, summary)
