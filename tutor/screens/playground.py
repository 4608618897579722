"""A stand-in for the playground: a lesson's example, shown read-only until running arrives."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header, Static, TextArea

NOTE = (
    "Running code here arrives with the playground. Until then, copy the example into a "
    "file and run it with [b]cnn-tutor run FILE[/b] for its shape trace and loss curve."
)


class PlaygroundScreen(Screen[None]):
    """The example code of a lesson, read-only, with a note on how to run it today."""

    BINDINGS = [Binding("escape", "app.pop_screen", "Back")]

    def __init__(self, code: str, origin: str) -> None:
        super().__init__()
        self.code = code
        self.sub_title = f"Example from {origin}"

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(NOTE, id="playground-note")
        editor = TextArea.code_editor(
            self.code.rstrip("\n"), language="python", read_only=True, id="playground-code"
        )
        editor.cursor_blink = False
        yield editor
        yield Footer()
