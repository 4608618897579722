"""What went wrong in a run, in plain words: the sandbox's explanation of an error event."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from tutor import events


class ExplanationPanel(Static):
    """The error's kind, line and message, and the explanation with the fix; hidden when none."""

    def show_error(self, error: events.Error, where: str) -> None:
        """Show `error` (an error event); `where` says where in the learner's file it points."""
        self.show_problem(f"{error.kind} error{where}", error.message, error.explanation)

    def show_problem(self, title: str, message: str, explanation: str) -> None:
        """Show a problem that is not a run's error event (a run that could not start)."""
        self.border_title = title
        self.update(Content.assemble((message, "bold"), "\n", explanation))
        self.display = True

    def clear_error(self) -> None:
        self.update("")
        self.display = False
