"""One answer file shared by the TUI and the learner's own editor: seen, watched, never overwritten.

`AnswerFile` remembers the text last read from or written to disk. A write is refused
when the disk holds something else (a save from another editor), so the TUI never writes
over a newer file; the widget then shows the new text, or asks which to keep
(`KeepWhichScreen`) when both sides changed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from tutor.progress import atomic_write_text

POLL_S = 0.25  # how often the file is looked at: a save elsewhere shows within a second
DISK, HERE = "disk", "here"


def read_answer(path: Path) -> str:
    """The answer file's text; bytes that are not UTF-8 are shown as replacement marks."""
    return path.read_bytes().decode("utf-8", errors="replace")


class AnswerFile:
    """The file as this widget last saw it; writes that never clobber a newer save."""

    def __init__(self, path: Path, fallback: str = "") -> None:
        self.path = path
        self._stamp: tuple[int, int] | None = None
        found = self.read()
        self.seen = fallback if found is None else found

    def _now(self) -> tuple[int, int] | None:
        try:
            stat = self.path.stat()
        except OSError:
            return None
        return (stat.st_mtime_ns, stat.st_size)

    def read(self) -> str | None:
        """The text on disk now (None when there is no readable file)."""
        stamp = self._now()
        try:
            text = read_answer(self.path)
        except OSError:
            return None
        self._stamp = stamp
        return text

    def changed(self) -> str | None:
        """The text on disk when it differs from what was last seen, else None (cheap: the
        file is read only when its time stamp or size moved)."""
        stamp = self._now()
        if stamp is None or stamp == self._stamp:
            return None
        text = self.read()
        return text if text is not None and text != self.seen else None

    def follow(self, unsaved: bool, ask: Callable[[], None], show: Callable[[str], None]) -> bool:
        """After a save made elsewhere: `ask` which to keep when this side has unsaved
        changes too, else `show` theirs. True when theirs was shown."""
        theirs = self.changed()
        if theirs is None:
            return False
        if unsaved:
            ask()
            return False
        show(theirs)
        return True

    def write(self, text: str) -> bool:
        """Write `text` unless the disk changed since it was last seen (then False).

        OSError when the file cannot be written.
        """
        on_disk = self.read()
        if on_disk is not None and on_disk != self.seen:
            return False
        atomic_write_text(self.path, text)
        self.seen = text
        self._stamp = self._now()
        return True

    def overwrite(self, text: str) -> None:
        """Write `text` whatever the disk holds: the learner chose to keep this side."""
        atomic_write_text(self.path, text)
        self.seen = text
        self._stamp = self._now()


class KeepWhichScreen(ModalScreen[str]):
    """Both the TUI and another editor changed the answer: which one to keep?"""

    DEFAULT_CSS = """
    KeepWhichScreen { align: center middle; }
    KeepWhichScreen > Vertical {
        width: 64; max-width: 95%; height: auto;
        border: thick $warning; background: $surface; padding: 1 2;
    }
    KeepWhichScreen Horizontal { height: auto; margin-top: 1; align-horizontal: right; }
    KeepWhichScreen Button { margin-left: 2; }
    """
    BINDINGS = [
        Binding("d", "keep('disk')", "Keep the saved file"),
        Binding("t", "keep('here')", "Keep the text here"),
    ]

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                f"{self.path.name} was saved from another editor while you were changing it "
                "here. Which one do you keep? The other is lost.",
                markup=False,
            )
            with Horizontal():
                yield Button("The saved file (d)", id=DISK, variant="primary")
                yield Button("The text here (t)", id=HERE)

    def on_mount(self) -> None:
        self.query_one(f"#{DISK}", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(str(event.button.id))

    def action_keep(self, which: str) -> None:
        self.dismiss(which)
