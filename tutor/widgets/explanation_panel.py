"""What went wrong in a run, in plain words: the sandbox's explanation of an error event."""

from __future__ import annotations

from typing import Any

from textual.content import Content
from textual.widgets import Static


class ExplanationPanel(Static):
    """The error's kind, line and message, and the explanation with the fix; hidden when none."""

    def show_error(self, error: dict[str, Any], where: str) -> None:
        """Show `error` (an error event); `where` says where in the learner's file it points."""
        kind = str(error.get("kind") or "error")
        self.border_title = f"{kind} error{where}"
        self.update(
            Content.assemble(
                (str(error.get("message") or ""), "bold"),
                "\n",
                str(error.get("explanation") or ""),
            )
        )
        self.display = True

    def clear_error(self) -> None:
        self.update("")
        self.display = False
