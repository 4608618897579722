"""Digits drawn with half-block characters, each with its true and predicted label."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widget import Widget

HALF = "▀"


def grey(level: int) -> str:
    level = max(0, min(255, int(level)))
    return f"rgb({level},{level},{level})"


def digit_lines(image: list[list[int]], step: int = 2) -> list[Text]:
    """A 28x28 image (0-255) as 7 lines of 14 cells: two pixel rows per ▀ (fg top, bg bottom)."""
    rows = image[::step]
    lines = []
    for top, bottom in zip(rows[0::2], rows[1::2], strict=False):
        line = Text()
        for a, b in zip(top[::step], bottom[::step], strict=False):
            line.append(HALF, style=f"{grey(a)} on {grey(b)}")
        lines.append(line)
    return lines


class DigitStrip(Widget):
    """Misclassified test digits, as many to a row as fit, each captioned true→predicted."""

    DEFAULT_CSS = "DigitStrip { height: auto; }"
    CELL = 16

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.digits: list[dict[str, Any]] = []

    def show_digits(self, digits: list[dict[str, Any]]) -> None:
        self.digits = digits
        self.refresh(layout=True)

    def get_content_height(self, container: Any, viewport: Any, width: int) -> int:
        rows = -(-len(self.digits) // max(1, width // self.CELL)) if self.digits else 1
        return rows * 8

    def render(self) -> Text:
        if not self.digits:
            return Text("No test digit was misclassified.")
        per_row = max(1, self.size.width // self.CELL)
        text = Text()
        for start in range(0, len(self.digits), per_row):
            chunk = self.digits[start : start + per_row]
            pictures = [digit_lines(d["image"]) for d in chunk]
            for row in range(max(len(p) for p in pictures)):
                for picture in pictures:
                    text.append_text(picture[row] if row < len(picture) else Text(" " * 14))
                    text.append("  ")
                text.append("\n")
            for d in chunk:
                text.append(f"{d['true']}→{d['predicted']}".center(14), style="bold")
                text.append("  ")
            text.append("\n")
        text.rstrip()
        return text
