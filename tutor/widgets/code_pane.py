"""The learner's editable copy of an example, saved as they type and restored next time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.timer import Timer
from textual.widgets import TextArea

from tutor.progress import atomic_write_text
from tutor.widgets.explanation_panel import ExplanationPanel

SAVE_DELAY_S = 0.5


class PlaygroundEditor(TextArea):
    """A Python editor whose F6 and F7 (select line, select all) give way to Train and Stop.

    The screen's keys win anyway; dropping these keeps the footer in Run, Train, Stop order.
    """

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("select_line", "select_all"):
            return False
        return super().check_action(action, parameters)


class CodePane(Vertical):
    """An explanation panel (shown on failure) over a Python editor backed by `path`."""

    def __init__(self, path: Path, original: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.path = path
        self.original = original.rstrip("\n") + "\n"
        self._saved = self._load()
        self._timer: Timer | None = None
        self._warned = False

    def _load(self) -> str:
        try:
            return self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return self.original

    def compose(self) -> ComposeResult:
        panel = ExplanationPanel(id="pg-explain")
        panel.display = False
        yield panel
        self._editor = PlaygroundEditor.code_editor(self._saved, language="python", id="pg-editor")
        self._editor.cursor_blink = False
        yield self._editor

    @property
    def editor(self) -> TextArea:
        return self._editor  # kept: it is still readable while the pane is being removed

    @property
    def text(self) -> str:
        return self.editor.text

    @on(TextArea.Changed, "#pg-editor")
    def _edited(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(SAVE_DELAY_S, self.save)

    def save(self) -> None:
        """Write the editor's text to the workspace file, atomically, if it changed."""
        text = self.text
        if text == self._saved:
            return
        try:
            atomic_write_text(self.path, text)
            self._saved = text
        except OSError as exc:
            if not self._warned:
                self._warned = True
                self.notify(
                    f"Your code could not be saved to {self.path}: {exc.strerror or exc}",
                    severity="error",
                    markup=False,
                )

    def on_unmount(self) -> None:
        self.save()

    def reset(self) -> None:
        """Put the original example back (the learner confirmed it)."""
        self.editor.load_text(self.original)
        self.save()

    def point_at(self, line: int) -> None:
        """Move the cursor to the start of 1-based `line` and show it."""
        editor = self.editor
        row = max(0, min(line - 1, editor.document.line_count - 1))
        editor.cursor_location = (row, 0)
        editor.scroll_cursor_visible(center=True)
