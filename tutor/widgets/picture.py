"""What every lesson picture shares: focus, its own keys, a key hint, and drawing helpers."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path

from rich.style import Style
from rich.text import Text
from textual.widget import Widget

HALF_BLOCK = "▀"


class Picture(Widget, can_focus=True):
    """A focusable picture drawn as text; its bindings win over the lesson's while focused."""

    HINT = ""

    @classmethod
    def from_block(cls, args: str, home: Path) -> Picture:
        """The picture of a lesson's picture block (the lines after its name are unused)."""
        return cls()

    def draw(self) -> Text:
        """The picture itself, without the key hint."""
        raise NotImplementedError

    def render(self) -> Text:
        picture = self.draw()
        picture.append("\n")
        picture.append(self.HINT, style="dim" if not self.has_focus else "italic")
        return picture

    def check_consume_key(self, key: str, character: str | None) -> bool:
        """Keys this picture binds (the arrows too) are not the lesson's while it has focus."""
        return key in self._bindings.key_to_bindings


def beside(blocks: Sequence[Text], gap: int = 3) -> Text:
    """Multi-line texts placed side by side, top-aligned, `gap` cells apart."""
    columns = [block.split("\n", allow_blank=True) for block in blocks]
    widths = [max((line.cell_len for line in lines), default=0) for lines in columns]
    height = max(len(lines) for lines in columns)
    out = Text()
    for row in range(height):
        if row:
            out.append("\n")
        for index, (lines, width) in enumerate(zip(columns, widths, strict=True)):
            line = lines[row] if row < len(lines) else Text()
            out.append_text(line)
            if index < len(columns) - 1:
                out.append(" " * (width - line.cell_len + gap))
    return out


def half_blocks(colour: Callable[[int, int], str], height: int, width: int) -> Text:
    """An image of height x width pixels in height/2 lines: ▀ with the top pixel as foreground
    and the bottom one as background, so a 28x28 digit fits in 14 lines."""
    out = Text()
    for row in range(0, height, 2):
        if row:
            out.append("\n")
        for col in range(width):
            bottom = colour(row + 1, col) if row + 1 < height else "black"
            out.append(HALF_BLOCK, Style(color=colour(row, col), bgcolor=bottom))
    return out


def grey(value: float) -> str:
    """A grey level for a pixel value 0-255."""
    level = max(0, min(255, round(value)))
    return f"rgb({level},{level},{level})"


def signed(value: float, scale: float) -> str:
    """Orange for positive, blue for negative, black for zero: a feature map's colours."""
    t = max(-1.0, min(1.0, value / scale)) if scale else 0.0
    if t >= 0:
        return f"rgb({round(255 * t)},{round(140 * t)},{round(20 * t)})"
    return f"rgb({round(40 * -t)},{round(120 * -t)},{round(255 * -t)})"


def number_grid(
    values: Sequence[Sequence[float | None]],
    width: int,
    style: Callable[[int, int], str] | None = None,
) -> Text:
    """A grid of numbers right-aligned in cells `width` wide; None shows as a dot."""
    out = Text()
    for i, row in enumerate(values):
        if i:
            out.append("\n")
        for j, value in enumerate(row):
            if value is None:
                cell = "·"
            elif isinstance(value, float) and not value.is_integer():
                cell = f"{value:.2f}".rstrip("0")
            else:
                cell = str(int(value)).replace("-", "−")
            out.append(cell.rjust(width), style(i, j) if style else "")
    return out


def _stroke_distance(
    y: float, x: float, strokes: Sequence[tuple[float, float, float, float]]
) -> float:
    best = math.inf
    for y0, x0, y1, x1 in strokes:
        dy, dx = y1 - y0, x1 - x0
        t = max(0.0, min(1.0, ((y - y0) * dy + (x - x0) * dx) / (dy * dy + dx * dx)))
        best = min(best, math.hypot(y - (y0 + t * dy), x - (x0 + t * dx)))
    return best


def built_in_digit() -> list[list[int]]:
    """A handwritten-looking 7, 28x28 pixels 0-255, drawn from three pen strokes."""
    strokes = [(6.0, 6.5, 5.0, 20.5), (5.0, 20.5, 7.5, 19.5), (7.5, 19.5, 23.0, 11.0)]
    return [
        [round(255 * max(0.0, min(1.0, 2.2 - _stroke_distance(y, x, strokes)))) for x in range(28)]
        for y in range(28)
    ]
