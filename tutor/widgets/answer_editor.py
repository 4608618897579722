"""The learner's answer file in a code editor, saved to disk shortly after every change."""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.timer import Timer
from textual.widgets import TextArea

from tutor.progress import atomic_write_text

SAVE_DELAY_S = 0.4


def read_answer(path: Path) -> str:
    """The answer file's text; bytes that are not UTF-8 are shown as replacement marks."""
    return path.read_bytes().decode("utf-8", errors="replace")


class AnswerEditor(TextArea):
    """A Python editor bound to a file: a pause in typing, leaving or a check saves it."""

    path: Path | None = None
    starter: str = ""
    _saved: str = ""
    _pending: Timer | None = None

    @classmethod
    def for_file(cls, path: Path, starter: str, *, id: str | None = None) -> AnswerEditor:
        text = read_answer(path)
        editor = cls.code_editor(text, language="python", id=id)
        assert isinstance(editor, AnswerEditor)
        editor.path = path
        editor.starter = starter
        editor._saved = text
        return editor

    @on(TextArea.Changed)
    def _save_soon(self) -> None:
        if self._pending is not None:
            self._pending.stop()
        self._pending = self.set_timer(SAVE_DELAY_S, self.save)

    def save(self) -> bool:
        """Write the text to the file now if it changed; False (and a notice) if it cannot."""
        if self._pending is not None:
            self._pending.stop()
            self._pending = None
        if self.path is None or self.text == self._saved:
            return True
        try:
            atomic_write_text(self.path, self.text)
        except OSError as exc:
            self.notify(
                f"Your answer could not be saved to {self.path}: {exc.strerror or exc}",
                severity="error",
                markup=False,
            )
            return False
        self._saved = self.text
        return True

    def source_to_check(self) -> str:
        """The text, saved first so that the file checked from a shell is the same."""
        self.save()
        return self.text

    def reset(self) -> None:
        """Show the starter again and save it at once."""
        self.load_text(self.starter)
        self.save()

    def on_unmount(self) -> None:
        self.save()
