"""The table of contents: a modal list of lessons to jump to."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static

from tutor.course import Lesson
from tutor.widgets.lesson_list import LessonList


class TocScreen(ModalScreen[str | None]):
    """Pick a lesson; the screen is dismissed with its key, or None when cancelled."""

    DEFAULT_CSS = """
    TocScreen {
        align: center middle;
    }
    TocScreen > Vertical {
        width: auto;
        max-width: 90%;
        height: auto;
        max-height: 90%;
        border: round $accent;
        background: $surface;
        padding: 0 1;
    }
    TocScreen LessonList, TocScreen LessonList:focus {
        width: auto;
        height: auto;
        max-height: 20;
        border: none;
    }
    """

    BINDINGS = [
        Binding("escape", "dismiss(None)", "Close"),
        Binding("t", "dismiss(None)", "Close", show=False),
    ]

    def __init__(self, lessons: Sequence[Lesson], read: Collection[str], current: str) -> None:
        super().__init__()
        self.lessons = lessons
        self.read = read
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("[b]Contents[/b]  [$text-muted]↑↓ choose, Enter opens, Esc closes[/]")
            yield LessonList(id="toc-list")

    def on_mount(self) -> None:
        toc = self.query_one(LessonList)
        toc.show(self.lessons, self.read, self.current)
        toc.focus()

    @on(OptionList.OptionSelected, "#toc-list")
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)
