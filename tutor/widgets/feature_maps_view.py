"""A digit, the first layer's 3x3 filters and the 16 feature maps they make, in colour."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual.binding import Binding
from textual.reactive import reactive

from tutor.trained_model import read_snapshot, snapshot_path
from tutor.widgets.picture import Picture, beside, built_in_digit, grey, half_blocks, signed

NO_MODEL = (
    "No trained model yet: open a lesson example with r and train it with F6; its filters "
    "show here. Meanwhile, a built-in 7 and four classic hand-made filters:"
)
CLASSIC = [
    ("vertical edges", [[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]]),
    ("horizontal edges", [[1.0, 2.0, 1.0], [0.0, 0.0, 0.0], [-1.0, -2.0, -1.0]]),
    ("diagonal edges", [[0.0, 1.0, 2.0], [-1.0, 0.0, 1.0], [-2.0, -1.0, 0.0]]),
    ("outline", [[0.0, -1.0, 0.0], [-1.0, 4.0, -1.0], [0.0, -1.0, 0.0]]),
]
Grid = list[list[float]]


def convolve(image: Grid, kernel: Grid) -> Grid:
    """A 3x3 cross-correlation with padding 1 (the size stays), as Conv2d computes it."""
    side = len(image)

    def at(r: int, c: int) -> float:
        return image[r][c] if 0 <= r < side and 0 <= c < side else 0.0

    return [
        [
            sum(kernel[u][v] * at(r + u - 1, c + v - 1) for u in range(3) for v in range(3))
            for c in range(side)
        ]
        for r in range(side)
    ]


def halve(image: Grid) -> Grid:
    """2x2 average pooling: a thumbnail a quarter the size."""
    side = len(image) // 2
    return [
        [sum(image[2 * r + a][2 * c + b] for a in (0, 1) for b in (0, 1)) / 4 for c in range(side)]
        for r in range(side)
    ]


@dataclass(frozen=True)
class Maps:
    """What the picture shows: a digit, filters, their maps, and where they come from."""

    digit: Grid  # 0-255
    filters: list[Grid]
    maps: list[Grid]
    names: list[str]
    caption: str
    trained: bool


def demo() -> Maps:
    """The built-in digit through the classic filters, computed in pure Python."""
    digit = [[float(v) for v in row] for row in built_in_digit()]
    scaled = [[v / 255 for v in row] for row in digit]
    maps = [convolve(scaled, kernel) for _, kernel in CLASSIC]
    names = [name for name, _ in CLASSIC]
    return Maps(digit, [k for _, k in CLASSIC], maps, names, NO_MODEL, trained=False)


def load(path: Path) -> Maps:
    """The playground's last trained model (ValueError/OSError when it cannot be read)."""
    snapshot = read_snapshot(path)
    caption = "The first conv layer of the model you trained in the playground"
    label = snapshot.label
    caption += f", on a test digit labelled {label}:" if label is not None else ":"
    names = [f"filter {i}" for i in range(len(snapshot.filters))]
    return Maps(snapshot.digit, snapshot.filters, snapshot.maps, names, caption, trained=True)


class FeatureMapsView(Picture):
    """Each filter slid over the digit gives one feature map: orange where it fires."""

    HINT = "←/→ choose a filter and its map · the file is read again on focus"
    BINDINGS = [
        Binding("right", "choose(1)", "Next filter", show=False),
        Binding("left", "choose(-1)", "Previous filter", show=False),
    ]

    chosen: reactive[int] = reactive(0)
    shown: reactive[Maps] = reactive(demo, layout=True, always_update=True)

    def __init__(
        self, model_file: Path | None = None, *, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.model_file = model_file
        self._read_at: float | None = None

    @classmethod
    def from_block(cls, args: str, home: Path) -> FeatureMapsView:
        """The picture reading the model the playground saved in the learner's home."""
        return cls(snapshot_path(home))

    def on_mount(self) -> None:
        self.reload()

    def on_focus(self) -> None:
        self.reload()

    def reload(self) -> None:
        """Show the trained model when its file exists (read again only if it changed)."""
        if self.model_file is None or not self.model_file.is_file():
            if self.shown.trained or self._read_at is not None:
                self._read_at = None
                self.shown = demo()
            return
        stamp = self.model_file.stat().st_mtime
        if stamp == self._read_at:
            return
        self._read_at = stamp
        try:
            self.shown = load(self.model_file)
        except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
            problem = f"{self.model_file} could not be read ({exc}); showing the demo instead."
            self.shown = Maps(**{**demo().__dict__, "caption": problem})
        self.chosen = min(self.chosen, len(self.shown.maps) - 1)

    def action_choose(self, delta: int) -> None:
        self.chosen = (self.chosen + delta) % len(self.shown.maps)

    def draw(self) -> Text:
        shown, k = self.shown, self.chosen
        digit = shown.digit
        fmap = shown.maps[k]
        scale = max((abs(v) for row in fmap for v in row), default=1.0) or 1.0
        kernel = shown.filters[k]
        kscale = max(abs(v) for row in kernel for v in row) or 1.0
        side = len(digit)
        left = Text("Digit\n").append_text(half_blocks(lambda r, c: grey(digit[r][c]), side, side))
        middle = Text(f"{shown.names[k]}\n")
        for row in kernel:
            for value in row:
                middle.append("██", signed(value, kscale))
            middle.append("\n")
        for row in kernel:
            middle.append(" ".join(f"{v:5.2f}".replace("-", "−") for v in row) + "\n")
        n = len(fmap)
        right = Text(f"Feature map {k}\n").append_text(
            half_blocks(lambda r, c: signed(fmap[r][c], scale), n, n)
        )
        picture = Text(shown.caption + "\n", "italic" if shown.trained else "")
        wide = self.content_size.width >= 80
        picture.append_text(beside([left, middle, right] if wide else [left, right], gap=2))
        if not wide:
            picture.append("\n").append_text(middle)
        picture.append("\n\n")
        picture.append_text(self._thumbnails())
        picture.append(
            "\norange: the filter fires · blue: the opposite pattern · black: nothing", "dim"
        )
        return picture

    def _thumbnails(self) -> Text:
        """Every feature map at half size, four to a row, the chosen one marked."""
        tiles = []
        for index, fmap in enumerate(self.shown.maps):
            small = halve(fmap) if len(fmap) > 16 else fmap
            scale = max((abs(v) for row in small for v in row), default=1.0) or 1.0
            label = f"{index:>2}" + (" ◀" if index == self.chosen else "")
            tile = Text(label + "\n", "bold reverse" if index == self.chosen else "dim")
            n = len(small)
            tile.append_text(half_blocks(lambda r, c, m=small, s=scale: signed(m[r][c], s), n, n))
            tiles.append(tile)
        rows = [beside(tiles[i : i + 4], gap=2) for i in range(0, len(tiles), 4)]
        out = Text()
        for number, row in enumerate(rows):
            if number:
                out.append("\n")
            out.append_text(row)
        return out
