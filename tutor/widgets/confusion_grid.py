"""A confusion matrix as a coloured grid: rows the true digit, columns the predicted one."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


def confusion_text(matrix: list[list[int]]) -> Text:
    """The grid: the diagonal green, mistakes red, brighter for larger counts."""
    text = Text()
    size = len(matrix)
    text.append("true↓ predicted→\n", style="dim")
    text.append("    " + "".join(f"{c:>4}" for c in range(size)) + "\n", style="bold")
    biggest = max((n for row in matrix for n in row), default=0) or 1
    for r, row in enumerate(matrix):
        text.append(f"{r:>4}", style="bold")
        for c, count in enumerate(row):
            level = count / biggest
            if count == 0:
                style = "dim"
            elif r == c:
                style = f"black on rgb({40 + int(60 * level)},{120 + int(135 * level)},{60})"
            else:
                style = f"white on rgb({120 + int(135 * min(1.0, level * 3))},{30},{30})"
            text.append(f"{count:>4}", style=style)
        text.append("\n")
    return text


class ConfusionGrid(Static):
    """The test set's confusion matrix; `matrix` is set by the screen after a training run."""

    def show_matrix(self, matrix: list[list[int]]) -> None:
        self.update(confusion_text(matrix))
