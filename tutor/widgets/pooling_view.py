"""Max and average pooling side by side: one 2x2 window at a time over the same grid."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.reactive import reactive

from tutor.widgets.picture import Picture, beside, number_grid

# The lesson's 4x4 example in the top-left corner, so the first windows match the text.
GRID = [
    [1, 3, 2, 0, 4, 1],
    [4, 2, 1, 1, 0, 2],
    [0, 1, 5, 6, 3, 3],
    [2, 0, 7, 3, 1, 8],
    [6, 2, 0, 1, 2, 2],
    [1, 5, 3, 0, 4, 9],
]
WINDOW = 2
HIGHLIGHT = "bold black on rgb(120,200,255)"


def number(value: float) -> str:
    return f"{value:g}"


class PoolingView(Picture):
    """The same 2x2 window read two ways: its maximum, and its mean."""

    HINT = "←/→ move the 2×2 window · 0 back to the first window"
    BINDINGS = [
        Binding("right", "step(1)", "Next window", show=False),
        Binding("left", "step(-1)", "Previous window", show=False),
        Binding("0", "step(-99)", "First window", show=False),
    ]

    position: reactive[int] = reactive(0)

    @property
    def side_out(self) -> int:
        return len(GRID) // WINDOW

    @property
    def window(self) -> tuple[int, int]:
        """The pooled cell (i, j) whose window is highlighted."""
        return divmod(self.position, self.side_out)

    def values(self, i: int, j: int) -> list[int]:
        """The four values of pooled cell (i, j)'s window, row by row."""
        rows = GRID[i * WINDOW : (i + 1) * WINDOW]
        return [v for row in rows for v in row[j * WINDOW : (j + 1) * WINDOW]]

    def pooled(self, i: int, j: int) -> tuple[int, float]:
        """(max, mean) of one window."""
        values = self.values(i, j)
        return max(values), sum(values) / len(values)

    def action_step(self, delta: int) -> None:
        self.position = max(0, min(self.side_out**2 - 1, self.position + delta))

    def draw(self) -> Text:
        wi, wj = self.window
        n = self.side_out

        def in_window(r: int, c: int) -> str:
            inside = wi * WINDOW <= r < (wi + 1) * WINDOW and wj * WINDOW <= c < (wj + 1) * WINDOW
            return HIGHLIGHT if inside else ""

        def current(r: int, c: int) -> str:
            return HIGHLIGHT if (r, c) == (wi, wj) else ""

        done = range(self.position + 1)
        maxima: list[list[float | None]] = [[None] * n for _ in range(n)]
        means: list[list[float | None]] = [[None] * n for _ in range(n)]
        for p in done:
            i, j = divmod(p, n)
            maxima[i][j], means[i][j] = self.pooled(i, j)
        grid = Text(f"Input {len(GRID)}×{len(GRID)}\n").append_text(number_grid(GRID, 3, in_window))
        biggest = Text(f"Max pool {n}×{n}\n").append_text(number_grid(maxima, 3, current))
        mean = Text(f"Average pool {n}×{n}\n").append_text(number_grid(means, 6, current))
        picture = beside([grid, biggest, mean], gap=4)
        values = self.values(wi, wj)
        top, avg = self.pooled(wi, wj)
        listed = ", ".join(map(str, values))
        picture.append(f"\n\nWindow ({wi}, {wj}):  max({listed}) = ")
        picture.append(number(top), "bold")
        picture.append(f"    mean = ({' + '.join(map(str, values))}) / 4 = ")
        picture.append(number(avg), "bold")
        return picture
