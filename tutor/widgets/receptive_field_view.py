"""The receptive field: pick a unit deep in a stack and see the input pixels it can see."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.binding import Binding
from textual.reactive import reactive

from tutor.shapes import Field, Window, conv_out
from tutor.widgets.picture import Picture, beside, built_in_digit, grey, half_blocks

CONV = Window("conv", 3, 1)
POOL = Window("maxpool", 2, 2)
# Only stacks the lesson itself works through: exercise 7's stack is the learner's to work out.
STACKS: list[tuple[str, list[Window]]] = [
    ("lesson 6's table: conv3 → conv3 → pool2 → conv3", [CONV, CONV, POOL, CONV]),
    ("two stacked 3×3 convs", [CONV, CONV]),
    ("three stacked 3×3 convs", [CONV, CONV, CONV]),
]
SIDE = 28
UNIT = "rgb(255,150,30)"


def seen(level: int) -> str:
    """An input pixel inside the field: the digit tinted orange."""
    return f"rgb({min(255, 90 + level)},{min(255, 45 + level * 3 // 4)},{level // 3})"


def unit_cells(colour: Callable[[int, int], str], side: int) -> Text:
    """A small map drawn large: each unit two cells wide and one line tall."""
    out = Text()
    for r in range(side):
        if r:
            out.append("\n")
        for c in range(side):
            out.append("██", colour(r, c))
    return out


class ReceptiveFieldView(Picture):
    """A unit of a chosen layer and, on a 28x28 digit, every input pixel that can change it."""

    HINT = "arrows pick a unit · [ ] shallower/deeper layer · s next stack"
    BINDINGS = [
        Binding("up", "move(-1, 0)", "Up", show=False),
        Binding("down", "move(1, 0)", "Down", show=False),
        Binding("left", "move(0, -1)", "Left", show=False),
        Binding("right", "move(0, 1)", "Right", show=False),
        Binding("left_square_bracket", "depth(-1)", "Shallower", show=False),
        Binding("right_square_bracket", "depth(1)", "Deeper", show=False),
        Binding("s", "stack", "Next stack", show=False),
    ]

    stack: reactive[int] = reactive(0, layout=True)
    depth: reactive[int] = reactive(4, layout=True)
    unit: reactive[tuple[int, int]] = reactive((4, 4))

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.digit = built_in_digit()

    @property
    def windows(self) -> list[Window]:
        return STACKS[self.stack][1]

    def map_side(self, layer: int) -> int:
        """Height (and width) of the map after `layer` layers of the stack."""
        side = SIDE
        for window in self.windows[:layer]:
            side = conv_out(side, window.kernel, stride=window.stride, padding=window.padding)
        return side

    def fields(self) -> list[int]:
        """The field side after each layer, starting with the input's 1."""
        sides, field = [1], Field()
        for window in self.windows:
            field = field.through(window)
            sides.append(field.size)
        return sides

    @property
    def side(self) -> int:
        """The receptive-field side of a unit of the chosen layer."""
        return self.fields()[self.depth]

    def span(self) -> tuple[range, range]:
        """The input rows and columns the chosen unit sees (clipped to the image)."""
        (top, left), (bottom, right) = self.unit, self.unit
        for window in reversed(self.windows[: self.depth]):
            top, left = (
                top * window.stride - window.padding,
                left * window.stride - window.padding,
            )
            bottom = bottom * window.stride - window.padding + window.kernel - 1
            right = right * window.stride - window.padding + window.kernel - 1
        return range(max(0, top), min(SIDE, bottom + 1)), range(max(0, left), min(SIDE, right + 1))

    def _centre(self) -> None:
        middle = (self.map_side(self.depth) - 1) // 2
        self.unit = (middle, middle)

    def action_move(self, down: int, across: int) -> None:
        last = self.map_side(self.depth) - 1
        i, j = self.unit
        self.unit = (max(0, min(last, i + down)), max(0, min(last, j + across)))

    def action_depth(self, delta: int) -> None:
        self.depth = max(1, min(len(self.windows), self.depth + delta))
        self._centre()

    def action_stack(self) -> None:
        self.stack = (self.stack + 1) % len(STACKS)
        self.depth = len(self.windows)
        self._centre()

    def draw(self) -> Text:
        rows, cols = self.span()
        field = self.side
        digit = self.digit

        def pixel(r: int, c: int) -> str:
            return seen(digit[r][c]) if r in rows and c in cols else grey(digit[r][c])

        n = self.map_side(self.depth)

        def unit(r: int, c: int) -> str:
            return UNIT if (r, c) == self.unit else "rgb(60,60,70)"

        name, windows = STACKS[self.stack]
        window = windows[self.depth - 1]
        kind = f"conv {window.kernel}×{window.kernel}" if window.kind == "conv" else "pool 2×2"
        left = Text("Input 28×28\n").append_text(half_blocks(pixel, SIDE, SIDE))
        right = Text(f"Layer {self.depth}: {kind}, {n}×{n} map\n")
        right.append_text(half_blocks(unit, n, n) if n > SIDE // 2 else unit_cells(unit, n))
        picture = Text(f"Stack: {name}\n", "bold").append_text(beside([left, right]))
        i, j = self.unit
        picture.append(f"\nUnit ({i}, {j}) sees ")
        picture.append(f"{field}×{field}", "bold")
        last_row, last_col = rows.stop - 1, cols.stop - 1
        picture.append(
            f" input pixels: rows {rows.start}–{last_row}, columns {cols.start}–{last_col}"
        )
        if len(rows) < field or len(cols) < field:
            picture.append(" (the rest of its field is padding, off the image)", "dim")
        picture.append("\nField side, layer by layer: ")
        for index, size in enumerate(self.fields()):
            if index:
                picture.append(" → ")
            picture.append(str(size), "bold reverse" if index == self.depth else "")
        if self.depth == len(windows) and field < SIDE:
            picture.append(f"\nEven the last layer sees less than the whole {SIDE}×{SIDE} digit.")
        return picture
