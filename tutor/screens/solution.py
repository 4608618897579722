"""The worked solution of an exercise, read-only, over the exercise screen."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static, TextArea


class SolutionScreen(ModalScreen[None]):
    """Shows `source` in a read-only editor; Esc closes it."""

    DEFAULT_CSS = """
    SolutionScreen {
        align: center middle;
    }
    SolutionScreen > Vertical {
        width: 100;
        max-width: 96%;
        height: 90%;
        border: thick $success;
        border-title-color: $success;
        background: $surface;
    }
    SolutionScreen TextArea {
        height: 1fr;
        border: none;
    }
    SolutionScreen Static {
        color: $text-muted;
        padding: 0 1;
    }
    """

    BINDINGS = [Binding("escape,f3", "close", "Close")]

    def __init__(self, title: str, source: str) -> None:
        super().__init__()
        self.title_text = title
        self.source = source

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = self.title_text
            yield TextArea.code_editor(self.source, language="python", read_only=True)
            yield Static("Esc closes. Compare it with yours: the checker accepts either.")

    def action_close(self) -> None:
        self.dismiss(None)
