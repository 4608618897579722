"""The convolution stepper: a kernel slides over a small input and fills the output."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.reactive import reactive
from textual.timer import Timer

from tutor.shapes import conv_out, formula
from tutor.widgets.picture import Picture, beside, number_grid

# The lesson's 4x4 worked example sits in the top-left corner, so Y[0, 0] = 0 as in the text.
INPUT = [
    [1, 2, 0, 1, 3, 0],
    [0, 1, 3, 1, 0, 2],
    [2, 1, 0, 0, 1, 1],
    [1, 0, 1, 2, 2, 0],
    [3, 1, 0, 1, 0, 1],
    [0, 2, 1, 0, 1, 3],
]
HIGHLIGHT = "bold black on rgb(255,190,80)"
PAD = "rgb(110,110,110)"


def edge_kernel(k: int) -> list[list[int]]:
    """A vertical-edge detector of side k: +1 on the left columns, −1 on the right."""
    middle = (k - 1) / 2
    row = [1 if v < middle else -1 if v > middle else 0 for v in range(k)]
    return [list(row) for _ in range(k)]


class ConvStepper(Picture):
    """Y[i,j] = Σ K[u,v]·X[i·S+u, j·S+v] for one window at a time, with K, S and P to change."""

    HINT = "←/→ step · space play · k s p: smaller K S P, shift: larger · 0 restart"
    BINDINGS = [
        Binding("right", "step(1)", "Step", show=False),
        Binding("left", "step(-1)", "Back", show=False),
        Binding("space", "play", "Play", show=False),
        Binding("0", "restart", "Restart", show=False),
        Binding("k", "change('kernel', -1)", "Kernel −", show=False),
        Binding("K", "change('kernel', 1)", "Kernel +", show=False),
        Binding("s", "change('stride', -1)", "Stride −", show=False),
        Binding("S", "change('stride', 1)", "Stride +", show=False),
        Binding("p", "change('padding', -1)", "Padding −", show=False),
        Binding("P", "change('padding', 1)", "Padding +", show=False),
    ]
    LIMITS = {"kernel": (1, 5), "stride": (1, 3), "padding": (0, 2)}

    kernel: reactive[int] = reactive(3, layout=True)
    stride: reactive[int] = reactive(1, layout=True)
    padding: reactive[int] = reactive(0, layout=True)
    position: reactive[int] = reactive(0)
    playing: reactive[bool] = reactive(False)

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._timer: Timer | None = None

    @property
    def size_out(self) -> int:
        return conv_out(len(INPUT), self.kernel, stride=self.stride, padding=self.padding)

    @property
    def window(self) -> tuple[int, int]:
        """The output cell (i, j) whose window is under the kernel now."""
        return divmod(self.position, self.size_out)

    def padded(self, i: int, j: int) -> int:
        """The input with its zero border of width P."""
        i, j = i - self.padding, j - self.padding
        inside = 0 <= i < len(INPUT) and 0 <= j < len(INPUT)
        return INPUT[i][j] if inside else 0

    def products(self, i: int, j: int) -> list[list[int]]:
        """K[u,v] · X[i·S+u, j·S+v] for the window of output cell (i, j)."""
        top, left = i * self.stride, j * self.stride
        return [
            [w * self.padded(top + u, left + v) for v, w in enumerate(row)]
            for u, row in enumerate(edge_kernel(self.kernel))
        ]

    def output(self, i: int, j: int) -> int:
        """Y[i, j], the weighted sum of one window (bias 0)."""
        return sum(map(sum, self.products(i, j)))

    def filled(self) -> dict[tuple[int, int], int]:
        """The output cells computed so far: every window up to the current one."""
        n = self.size_out
        return {divmod(p, n): self.output(*divmod(p, n)) for p in range(self.position + 1)}

    def action_step(self, delta: int) -> None:
        self.position = max(0, min(self.size_out**2 - 1, self.position + delta))

    def action_restart(self) -> None:
        self.position = 0

    def action_play(self) -> None:
        self.playing = not self.playing

    def action_change(self, name: str, delta: int) -> None:
        low, high = self.LIMITS[name]
        value = max(low, min(high, getattr(self, name) + delta))
        if name == "kernel":
            value = min(value, len(INPUT) + 2 * self.padding)
        if name == "padding" and self.kernel > len(INPUT) + 2 * value:
            return
        setattr(self, name, value)
        self.position = 0

    def watch_playing(self, playing: bool) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if playing:
            if self.position == self.size_out**2 - 1:
                self.position = 0
            self._timer = self.set_interval(0.6, self._advance)

    def _advance(self) -> None:
        if self.position >= self.size_out**2 - 1:
            self.playing = False
        else:
            self.position += 1

    def _products_text(self, i: int, j: int) -> Text:
        """Each weight times the pixel under it, laid out like the kernel."""
        top, left = i * self.stride, j * self.stride
        out = Text()
        for u, row in enumerate(edge_kernel(self.kernel)):
            if u:
                out.append("\n")
            for v, weight in enumerate(row):
                term = f"{weight}·{self.padded(top + u, left + v)}".replace("-", "−")
                out.append(term.rjust(6), "dim" if weight == 0 else "")
        return out

    def draw(self) -> Text:
        k, s, p, n = self.kernel, self.stride, self.padding, self.size_out
        wi, wj = self.window
        side = len(INPUT) + 2 * p

        def input_style(r: int, c: int) -> str:
            if wi * s <= r < wi * s + k and wj * s <= c < wj * s + k:
                return HIGHLIGHT
            return PAD if not (p <= r < p + len(INPUT) and p <= c < p + len(INPUT)) else ""

        grid = [[self.padded(r, c) for c in range(side)] for r in range(side)]
        x = Text(f"Input {len(INPUT)}×{len(INPUT)}" + (f", zero border {p}" if p else ""))
        x.append("\n").append_text(number_grid(grid, 3, input_style))
        kern = Text(f"Kernel {k}×{k}\n").append_text(number_grid(edge_kernel(k), 3))
        done = self.filled()
        out_rows = [[done.get((r, c)) for c in range(n)] for r in range(n)]
        y = Text(f"Output {n}×{n}\n").append_text(
            number_grid(out_rows, 4, lambda r, c: HIGHLIGHT if (r, c) == (wi, wj) else "")
        )
        total = self.output(wi, wj)
        sums = Text(f"Window ({wi}, {wj}): weight·pixel\n").append_text(self._products_text(wi, wj))
        sums.append(f"\nsum = Y[{wi},{wj}] = {total}".replace("-", "−"), "bold")
        if self.position == n * n - 1:
            sums.append("\nall windows done: 0 restarts", "dim")
        picture = beside([x, kern, sums]) if side <= 8 else beside([x, kern])
        picture.append("\n\n")
        lower = [y] if side <= 8 else [y, sums]
        picture.append_text(beside(lower))
        picture.append(
            f"\n\nK={k} S={s} P={p}   H_out = {formula(len(INPUT), k, stride=s, padding=p)}"
        )
        picture.append(f"   output {n}×{n}", "bold")
        return picture
