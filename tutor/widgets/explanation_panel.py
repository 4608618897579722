"""What went wrong in a run, in plain words: the sandbox's explanation of an error event."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from tutor import events


class ExplanationPanel(Static):
    """The error's kind, line and message, and the explanation with the fix; hidden when none."""

    def show_error(self, error: events.Error, where: str) -> None:
        """Show `error` (an error event); `where` says where in the learner's file it points."""
        self.border_title = f"{error.kind} error{where}"
        self.update(Content.assemble((error.message, "bold"), "\n", error.explanation))
        self.display = True

    def clear_error(self) -> None:
        self.update("")
        self.display = False
