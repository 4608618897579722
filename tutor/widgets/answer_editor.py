"""The learner's answer file in a code editor: saved as they type, and in step with other editors.

A save from another editor shows here within a second. The editor never writes over it:
if both sides changed, the learner is asked which to keep.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from textual import events, on
from textual.timer import Timer
from textual.widgets import TextArea

from tutor.widgets.answer_file import DISK, POLL_S, AnswerFile, KeepWhichScreen, read_answer

SAVE_DELAY_S = 0.4

__all__ = ["AnswerEditor", "read_answer"]


class AnswerEditor(TextArea):
    """A Python editor bound to a file: a pause in typing, leaving or a check saves it.

    Esc leaves the editor (Tab indents), so a second Esc reaches the screen.
    """

    path: Path | None = None
    starter: str = ""
    file: AnswerFile | None = None
    _pending: Timer | None = None
    _asking = False

    @classmethod
    def for_file(cls, path: Path, starter: str, *, id: str | None = None) -> AnswerEditor:
        answer = AnswerFile(path, fallback=starter)
        editor = cls.code_editor(answer.seen, language="python", id=id)
        assert isinstance(editor, AnswerEditor)
        editor.path = path
        editor.starter = starter
        editor.file = answer
        return editor

    def on_mount(self) -> None:
        self.set_interval(POLL_S, self.follow_disk)

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "escape":
            event.stop()
            event.prevent_default()
            self.screen.set_focus(None)
            return
        await super()._on_key(event)

    @on(TextArea.Changed)
    def _save_soon(self) -> None:
        if self._pending is not None:
            self._pending.stop()
        self._pending = self.set_timer(SAVE_DELAY_S, self.save)

    @property
    def unsaved(self) -> bool:
        return self.file is not None and self.text != self.file.seen

    def follow_disk(self) -> None:
        """Show a save made elsewhere; ask which to keep if this side changed too."""
        if self.file is None or self._asking:
            return
        if self.file.follow(self.unsaved, self._ask, self._show):
            self.notify(f"{self.file.path.name} was saved elsewhere; it is shown here now.")

    def _show(self, text: str) -> None:
        assert self.file is not None
        self.file.seen = text
        row, column = self.cursor_location
        self.load_text(text)
        last = self.document.line_count - 1
        self.cursor_location = (min(row, last), column)

    def _ask(self) -> None:
        assert self.file is not None
        self._asking = True
        self.app.push_screen(KeepWhichScreen(self.file.path), self._kept)

    def _kept(self, which: str | None) -> None:
        self._asking = False
        if self.file is None:
            return
        if which == DISK:
            self._show(self.file.read() or "")
        else:
            self._write(force=True)

    def save(self) -> bool:
        """Write the text now if it changed; False if it was not written (a newer save on
        disk, which the learner is then asked about, or a file that cannot be written)."""
        if self._pending is not None:
            self._pending.stop()
            self._pending = None
        if not self.unsaved:
            return True
        return self._write(force=False)

    def _write(self, *, force: bool) -> bool:
        assert self.file is not None
        try:
            if force:
                self.file.overwrite(self.text)
            elif not self.file.write(self.text):
                if not self._asking and self.is_mounted:
                    self._ask()
                return False
        except OSError as exc:
            self.notify(
                f"Your answer could not be saved to {self.file.path}: {exc.strerror or exc}",
                severity="error",
                markup=False,
            )
            return False
        return True

    def source_to_check(self) -> str | None:
        """The text, saved first so that the file checked from a shell is the same; None
        while a save from elsewhere waits for the learner's choice."""
        self.follow_disk()
        if self._asking or (not self.save() and self._asking):
            return None
        return self.text

    def reset(self) -> None:
        """Show the starter again and save it at once (the learner confirmed it)."""
        self.load_text(self.starter)
        self._write(force=True)

    def on_unmount(self) -> None:
        if self.file is not None and self.unsaved:
            with contextlib.suppress(OSError):
                self.file.write(self.text)  # refused over a newer save: that one wins
