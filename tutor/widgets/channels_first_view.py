"""Channels last to channels first: a tiny RGB image as (H, W, 3), then as (3, H, W)."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.reactive import reactive
from textual.timer import Timer

from tutor.widgets.picture import Picture, beside

SKY = (90, 160, 230)
SUN = (250, 200, 40)
ROOF = (200, 40, 40)
WALL = (230, 220, 200)
GRASS = (60, 170, 70)
# A 4x4 picture: sky with a sun, a red roof over a pale wall, grass. Shape (H, W, 3).
IMAGE = [
    [SKY, SKY, SKY, SUN],
    [ROOF, ROOF, SKY, SKY],
    [WALL, WALL, SKY, SKY],
    [GRASS, GRASS, GRASS, GRASS],
]
CHANNELS = (("R", "rgb(255,90,90)"), ("G", "rgb(90,220,90)"), ("B", "rgb(110,150,255)"))


class ChannelsFirstView(Picture):
    """np.transpose(x, (2, 0, 1)) a channel at a time: each pixel's c-th value goes to plane c."""

    HINT = "←/→ move one channel · space play · 0 back to (H, W, 3)"
    BINDINGS = [
        Binding("right", "step(1)", "Next", show=False),
        Binding("left", "step(-1)", "Back", show=False),
        Binding("space", "play", "Play", show=False),
        Binding("0", "step(-9)", "Start", show=False),
    ]

    moved: reactive[int] = reactive(0)  # how many channels have moved to their own plane
    playing: reactive[bool] = reactive(False)

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._timer: Timer | None = None

    def action_step(self, delta: int) -> None:
        self.moved = max(0, min(len(CHANNELS), self.moved + delta))

    def action_play(self) -> None:
        self.playing = not self.playing

    def watch_playing(self, playing: bool) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if playing:
            self.moved = 0
            self._timer = self.set_interval(1.0, self._advance)

    def _advance(self) -> None:
        if self.moved >= len(CHANNELS):
            self.playing = False
        else:
            self.moved += 1

    def _channels_last(self) -> Text:
        height, width = len(IMAGE), len(IMAGE[0])
        out = Text(f"x: (H, W, 3) = ({height}, {width}, 3)   channels last\n", "bold")
        out.append("axis 0 = row h, axis 1 = column w, axis 2 = colour c\n", "dim")
        for row in IMAGE:
            for pixel in row:
                out.append("██", Style(color=f"rgb{pixel}"))
                out.append("[")
                for c, value in enumerate(pixel):
                    style = "dim strike" if c < self.moved else CHANNELS[c][1]
                    out.append(f"{value:>3}" + ("]" if c == 2 else " "), style)
                out.append(" ")
            out.append("\n")
        return out

    def _channels_first(self) -> Text:
        height, width = len(IMAGE), len(IMAGE[0])
        out = Text(f"y: (3, H, W) = (3, {height}, {width})   channels first\n", "bold")
        out.append("axis 0 = colour c, axis 1 = row h, axis 2 = column w\n", "dim")
        planes = []
        for c, (name, colour) in enumerate(CHANNELS):
            plane = Text(f"y[{c}]: {name}\n", colour)
            for row in IMAGE:
                for pixel in row:
                    plane.append(f"{pixel[c]:>4}" if c < self.moved else "   ·", colour)
                plane.append("\n")
            plane.rstrip()
            planes.append(plane)
        return out.append_text(beside(planes, gap=2))

    def draw(self) -> Text:
        picture = self._channels_last()
        picture.append("\n")
        picture.append_text(self._channels_first())
        if self.moved == 0:
            note = "Each pixel holds its three colours together. Press → to move the reds."
        elif self.moved < len(CHANNELS):
            name = CHANNELS[self.moved - 1][0]
            note = (
                f"Every pixel's value {self.moved - 1} ({name}) moved to plane y[{self.moved - 1}]:"
                f" x[h, w, {self.moved - 1}] = y[{self.moved - 1}, h, w]."
            )
        else:
            note = "Done: np.transpose(x, (2, 0, 1)). Same numbers, colour axis first."
        picture.append("\n" + note)
        return picture
