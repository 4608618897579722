"""The shape calculator: a stack of layers typed or picked, traced to shapes without torch."""

from __future__ import annotations

import re
from pathlib import Path

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.widgets import Input, Label, Static, TextArea

from tutor.shapes import Step, trace_stack

# Example stacks (f2). None may work out an exercise's answer: the calculator is in
# lessons 3 and 4, before exercises 1 and 3 (the content test checks).
EXAMPLES: list[tuple[str, str, str]] = [
    (
        "one conv block, 8 filters",
        "8, 1, 28, 28",
        "Conv2d(1, 8, 3, padding=1)\nReLU()\nMaxPool2d(2)\nFlatten()\nLinear(1568, 10)",
    ),
    (
        "lesson 9: two convs",
        "8, 1, 28, 28",
        "conv 16 k3 p1\nrelu\npool 2\nconv 32 k3 p1\nrelu\npool 2\nflatten\nlinear 10",
    ),
    (
        "a stale in_features",
        "8, 1, 28, 28",
        "Conv2d(1, 16, 3, padding=1)\nMaxPool2d(2)\nConv2d(16, 32, 3, padding=1)\n"
        "MaxPool2d(2)\nFlatten()\nLinear(3136, 10)",
    ),
    ("a colour input", "1, 3, 64, 64", "Conv2d(3, 8, 5)\nMaxPool2d(2)"),
    ("too deep for a small map", "1, 1, 12, 12", "conv 8 k3\npool 2\nconv 8 k3\nconv 8 k5"),
]
BAD = "bold red"
LAYERS_LABEL = "one layer a line: conv 16 k3 p1 · pool 2 · flatten · Linear(1568, 10)"


def parse_shape(text: str) -> tuple[int, ...] | None:
    """`8, 1, 28, 28` or `(8, 1, 28, 28)` as a tuple; None unless 2 or 4 positive numbers."""
    numbers = re.findall(r"-?\d+", text)
    if len(numbers) not in (2, 4) or re.search(r"[^\d,\s()x×-]", text):
        return None
    shape = tuple(int(n) for n in numbers)
    return shape if all(n > 0 for n in shape) else None


def result_table(shape: tuple[int, ...], steps: list[Step]) -> Group:
    """One row per layer: the shape after it, its parameters and its receptive field; then
    why each marked layer cannot apply."""
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    table.add_column("#", justify="right", style="dim")
    table.add_column("layer", overflow="fold")
    table.add_column("output (B, C, H, W)", no_wrap=True)
    table.add_column("params", justify="right")
    table.add_column("field", justify="right")
    table.add_row("", "input", str(shape), "", "1")
    for number, step in enumerate(steps, 1):
        if step.problem:
            out = Text(f"✗ see {number} below", BAD)
        elif step.shape is None:
            out = Text("— (after the problem above)", "dim")
        else:
            out = Text(str(step.shape))
            if step.note:
                out.append(f"  ! {step.note}", "yellow")
        field = "" if step.shape is None else (str(step.field) if step.field else "all")
        params = f"{step.params:,}" if step.shape is not None else ""
        table.add_row(str(number), step.text, out, params, field)
    total = sum(step.params for step in steps if step.shape is not None)
    table.add_row("", Text("total", "bold"), "", Text(f"{total:,}", "bold"), "")
    problems = [
        Text(f"✗ {number} {step.text}: {step.problem}", BAD)
        for number, step in enumerate(steps, 1)
        if step.problem
    ]
    return Group(table, *problems)


class ShapeCalculator(Vertical, can_focus=False):
    """Every layer's (B, C, H, W), parameter count and receptive field, as the learner types."""

    HINT = "tab: input shape, then layers · f2: next example stack"
    BINDINGS = [Binding("f2", "example", "Next example", show=False)]

    example: reactive[int] = reactive(-1, init=False)

    def __init__(
        self, layers: str = "", *, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.start_layers = layers.strip() or EXAMPLES[0][2]
        self.start_shape = EXAMPLES[0][1]
        if layers.strip().startswith("input"):
            first, _, rest = layers.strip().partition("\n")
            self.start_shape, self.start_layers = first.removeprefix("input").strip(), rest

    @classmethod
    def from_block(cls, args: str, home: Path) -> ShapeCalculator:
        """The calculator of a picture block: its body (after the name) is the first stack."""
        return cls(args)

    def compose(self) -> ComposeResult:
        with Horizontal(classes="calc-shape-row"):
            yield Label("input (B, C, H, W) ", classes="calc-label")
            shape = Input(self.start_shape, compact=True, classes="calc-shape")
            shape.cursor_blink = False
            yield shape
        yield Label(LAYERS_LABEL, classes="calc-label")
        editor = TextArea(self.start_layers, soft_wrap=False, classes="calc-layers")
        editor.cursor_blink = False
        yield editor
        yield Static(classes="calc-result")
        yield Static(self.HINT, classes="picture-hint")

    def on_mount(self) -> None:
        self.recompute()

    def check_consume_key(self, key: str, character: str | None) -> bool:
        """The arrows move the cursor in the fields, not to the next lesson."""
        return key in ("left", "right", "home", "end")

    def on_descendant_focus(self) -> None:
        """Bring the results into view with the field being edited."""
        self.call_after_refresh(self.query_one(".picture-hint").scroll_visible, animate=False)

    def on_input_changed(self) -> None:
        self.recompute()

    def on_text_area_changed(self) -> None:
        self.recompute()

    def action_example(self) -> None:
        self.example = (self.example + 1) % len(EXAMPLES)

    def watch_example(self, index: int) -> None:
        name, shape, layers = EXAMPLES[index]
        self.query_one(".calc-shape", Input).value = shape
        self.query_one(".calc-layers", TextArea).text = layers
        hint = f"{self.HINT} · now {index + 1}/{len(EXAMPLES)}: {name}"
        self.query_one(".picture-hint", Static).update(hint)

    @property
    def steps(self) -> list[Step]:
        shape = parse_shape(self.query_one(".calc-shape", Input).value)
        lines = self.query_one(".calc-layers", TextArea).text.splitlines()
        return trace_stack(shape, lines) if shape else []

    def recompute(self) -> None:
        """Trace the stack again and show the table (or what is wrong with the input shape)."""
        result = self.query_one(".calc-result", Static)
        shape = parse_shape(self.query_one(".calc-shape", Input).value)
        if shape is None:
            numbers = re.findall(r"\d+", self.query_one(".calc-shape", Input).value)
            why = "Write the input shape as B, C, H, W, e.g. 8, 1, 28, 28."
            if len(numbers) == 3:
                b, h, w = numbers
                why = (
                    f"Three numbers: where is the channel axis? Conv2d reads ({b}, {h}, {w}) as"
                    f" one image with {b} channels; unsqueeze(1) gives ({b}, 1, {h}, {w})."
                )
            result.update(Text(why, BAD))
            return
        lines = self.query_one(".calc-layers", TextArea).text.splitlines()
        result.update(result_table(shape, trace_stack(shape, lines)))
