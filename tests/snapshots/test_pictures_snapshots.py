"""Snapshots of each lesson picture, on a small and on a large terminal."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.widget import Widget

from tutor.screens.lesson import PICTURES, PictureBlock, make_picture

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


class PictureApp(App[None]):
    """One picture, as a lesson shows it (the app's stylesheet), focused."""

    CSS_PATH = str(Path(__file__).parents[2] / "tutor" / "tutor.tcss")

    def __init__(self, picture: Widget) -> None:
        super().__init__()
        self.picture = picture

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="lesson-scroll"):
            yield self.picture

    def on_mount(self) -> None:
        self.picture.focus()


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("name", sorted(PICTURES))
def test_picture(snap_compare, learner_home: Path, name: str, size: tuple[int, int]) -> None:
    picture = make_picture(PictureBlock(name), learner_home)
    assert snap_compare(PictureApp(picture), terminal_size=size)
