"""The lesson pictures: each one's keys change what it shows."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from textual.app import App, ComposeResult
from textual.widget import Widget
from textual.widgets import Input, Static, TextArea

from tutor.app import TutorApp
from tutor.screens.lesson import LessonScreen, PictureBlock, split_pictures
from tutor.widgets.channels_first_view import ChannelsFirstView
from tutor.widgets.conv_stepper import ConvStepper
from tutor.widgets.feature_maps_view import NO_MODEL, FeatureMapsView
from tutor.widgets.picture import Picture
from tutor.widgets.pooling_view import PoolingView
from tutor.widgets.receptive_field_view import ReceptiveFieldView
from tutor.widgets.shape_calculator import ShapeCalculator


class PictureApp(App[None]):
    """One picture on its own, focused."""

    def __init__(self, picture: Widget) -> None:
        super().__init__()
        self.picture = picture

    def compose(self) -> ComposeResult:
        yield self.picture

    def on_mount(self) -> None:
        self.picture.focus()


def shown(picture: Picture) -> str:
    return picture.render().plain


def printed(static: Static) -> str:
    """The text a Static shows, rendered as a terminal 100 columns wide would."""
    console = Console(width=100, record=True, file=io.StringIO())
    console.print(static.content)
    return console.export_text()


async def test_the_stepper_steps_and_fills_the_hand_computed_sum() -> None:
    stepper = ConvStepper()
    async with PictureApp(stepper).run_test(size=(100, 40)) as pilot:
        assert stepper.window == (0, 0) and stepper.filled() == {(0, 0): 0}
        await pilot.press("right")
        # Rows 0-2, columns 1-3 of the input: (2 + 1 + 1) − (1 + 1 + 0) = 2, as in the lesson.
        assert stepper.window == (0, 1)
        assert stepper.filled()[(0, 1)] == 2
        assert "sum = Y[0,1] = 2" in shown(stepper)
        assert "output 4×4" in shown(stepper)
        await pilot.press("S")
        assert stepper.stride == 2
        assert "output 2×2" in shown(stepper)
        assert "⌊(6 − 3 + 2·0)/2⌋ + 1 = 2" in shown(stepper)
        await pilot.press("P", "k")
        assert (stepper.kernel, stepper.padding) == (2, 1)
        assert "zero border 1" in shown(stepper)
        assert "output 4×4" in shown(stepper)


async def test_pooling_shows_the_max_and_mean_of_the_highlighted_window() -> None:
    view = PoolingView()
    async with PictureApp(view).run_test(size=(100, 30)) as pilot:
        assert "max(1, 3, 4, 2) = 4" in shown(view)
        assert "/ 4 = 2.5" in shown(view)
        await pilot.press("right", "right", "right")
        assert view.window == (1, 0)
        assert "max(0, 1, 2, 0) = 2" in shown(view)
        assert "(0 + 1 + 2 + 0) / 4 = 0.75" in shown(view)


async def test_the_receptive_field_grows_layer_by_layer() -> None:
    view = ReceptiveFieldView()
    async with PictureApp(view).run_test(size=(100, 40)) as pilot:
        assert "lesson 6's table" in shown(view) and "sees 10×10" in shown(view)
        sides = []
        for _ in range(4):
            sides.append(view.side)
            await pilot.press("left_square_bracket")
        assert sides == [10, 6, 5, 3]
        assert view.depth == 1
        before = view.span()
        await pilot.press("right")
        assert view.span()[1].start == before[1].start + 1
        await pilot.press("s")
        assert "two stacked 3×3 convs" in shown(view) and view.side == 5
        await pilot.press("s")
        assert "three stacked 3×3 convs" in shown(view) and view.side == 7
        assert "exercise 7" not in shown(view)


async def test_the_receptive_field_picture_leaves_the_lesson_title_in_view(
    left_off_at: Callable[[str], TutorApp],
) -> None:
    """Its `depth` once was `layer`, which shadowed Widget.layer and drew it over the title."""
    app = left_off_at("lesson-06")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        view = app.screen.query_one(ReceptiveFieldView)
        assert view.styles.layer in ("", None) and view.layer == "default"
        strips = app.screen._compositor.render_strips()
        lines = [strip.text.rstrip(" ▁▂▃▄▅▆▇█").strip() for strip in strips]
        assert "Receptive field and the classic CNN" in lines


async def test_feature_maps_show_the_demo_then_the_trained_model(tmp_path: Path) -> None:
    model_file = tmp_path / "playground" / "last_model.json"
    view = FeatureMapsView(model_file)
    async with PictureApp(view).run_test(size=(100, 60)) as pilot:
        assert NO_MODEL in shown(view)
        assert len(view.shown.maps) == 4 and not view.shown.trained
        model_file.parent.mkdir()
        data = {
            "digit": [[(r * c) % 256 for c in range(28)] for r in range(28)],
            "label": 3,
            "filters": [[[0.1 * i, 0, 0], [0, 0, 0], [0, 0, -0.1]] for i in range(16)],
            "feature_maps": [[[float(i)] * 28 for _ in range(28)] for i in range(16)],
        }
        model_file.write_text(json.dumps(data), encoding="utf-8")
        view.reload()
        await pilot.pause()
        assert view.shown.trained and len(view.shown.maps) == 16
        assert "labelled 3" in shown(view)
        await pilot.press("left")
        assert view.chosen == 15 and "filter 15" in shown(view)


async def test_channels_first_steps_change_the_layout() -> None:
    view = ChannelsFirstView()
    async with PictureApp(view).run_test(size=(100, 30)) as pilot:
        first = shown(view)
        assert "(H, W, 3) = (4, 4, 3)" in first and "(3, H, W) = (3, 4, 4)" in first
        assert " 250" not in first.split("channels first")[1]
        await pilot.press("right")
        assert view.moved == 1
        assert " 250" in shown(view).split("channels first")[1]  # the sun's red, in plane 0
        await pilot.press("right", "right")
        assert "Done" in shown(view)


async def test_the_calculator_marks_a_bad_linear_with_its_factors() -> None:
    calculator = ShapeCalculator()
    async with PictureApp(calculator).run_test(size=(100, 40)) as pilot:
        result = calculator.query_one(".calc-result", Static)
        assert "(8, 10)" in printed(result)
        await pilot.press("f2", "f2", "f2")  # the third example: a stale in_features
        await pilot.pause()
        text = printed(result)
        assert "in_features is 3136, but Flatten gives 1568 = 32 × 7 × 7" in text
        calculator.query_one(TextArea).text = "conv 8 k5"
        calculator.query_one(Input).value = "1, 1, 3, 3"
        await pilot.pause()
        assert "kernel 5 is larger than the 3×3 map" in printed(result)


def test_lessons_split_around_their_picture_blocks() -> None:
    text = "# T\n\nintro\n\n```picture\nshape-calculator\nconv 8 k3\n```\n\nafter\n"
    assert split_pictures(text) == [
        "# T\n\nintro\n\n",
        PictureBlock("shape-calculator", "conv 8 k3"),
        "\nafter\n",
    ]


async def test_tab_reaches_a_lesson_picture_whose_arrows_then_win(
    left_off_at: Callable[[str], TutorApp],
) -> None:
    app = left_off_at("lesson-03")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.pause()
        await pilot.press("tab", "tab")  # past the lesson's prediction, to the stepper
        assert isinstance(app.focused, ConvStepper)
        await pilot.press("right")
        assert isinstance(app.screen, LessonScreen) and app.screen.lesson.number == 3
        assert app.focused.position == 1
        await pilot.press("shift+tab", "shift+tab", "right")
        await pilot.pause()
        assert isinstance(app.screen, LessonScreen) and app.screen.lesson.number == 4
