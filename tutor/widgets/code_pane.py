"""The learner's editable copy of an example, saved as they type and restored next time.

The file is kept in step with other editors the way an exercise's answer file is (see
`AnswerEditor`): a save from elsewhere shows here, and is never written over.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import TextArea

from tutor import events
from tutor.playground_harness import model_line
from tutor.widgets.answer_editor import AnswerEditor
from tutor.widgets.explanation_panel import ExplanationPanel


class PlaygroundEditor(AnswerEditor):
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
        editor = PlaygroundEditor.for_file(path, self.original, id="pg-editor")
        assert isinstance(editor, PlaygroundEditor)
        editor.cursor_blink = False
        self._editor = editor

    def compose(self) -> ComposeResult:
        panel = ExplanationPanel(id="pg-explain")
        panel.display = False
        yield panel
        yield self._editor

    @property
    def editor(self) -> TextArea:
        return self._editor  # kept: it is still readable while the pane is being removed

    @property
    def text(self) -> str:
        return self._editor.text

    def save(self) -> bool:
        """Write the editor's text now; False while a save from elsewhere awaits a choice."""
        return self._editor.source_to_check() is not None

    def reset(self) -> None:
        """Put the original example back (the learner confirmed it)."""
        self._editor.reset()

    def point_at(self, line: int) -> None:
        """Move the cursor to the start of 1-based `line`, show it, and focus the editor."""
        editor = self._editor
        row = max(0, min(line - 1, editor.document.line_count - 1))
        editor.cursor_location = (row, 0)
        editor.scroll_cursor_visible(center=True)
        editor.focus()

    def show_error(self, error: events.Error, where: str = "") -> None:
        """Show an explanation over the code until the next run (`clear_error`)."""
        self.query_one(ExplanationPanel).show_error(error, where)

    def explain_start_failure(self, error: BaseException, usage: bool) -> None:
        """A run that could not start: bad data (or a device this machine lacks), or a
        sandbox that failed; said over the code until the next run."""
        panel = self.query_one(ExplanationPanel)
        if usage:
            fix = "Mend the settings above (data: digits, csv:PATH or idx:DIR) and run again."
            panel.show_problem("the run could not start", str(error), fix)
        else:
            fix = "The sandbox that runs your code failed; run again."
            panel.show_problem("sandbox error", str(error), fix)

    def explain(
        self, error: events.Error, *, training: bool, learner_lines: int, limit_s: float
    ) -> None:
        """Show a run's error over the code and put the cursor on the line it points at
        (for a training run that failed in the harness: the line that makes `model`)."""
        line = error.line
        where = ""
        if isinstance(line, int) and 0 < line <= learner_lines:
            where = f" at line {line}"
        elif training:
            line = model_line(self.text)
            where = " while training your model"
        else:
            line = None
        if error.kind == "timeout":  # said once, with what can be done here
            error = dataclasses.replace(
                error,
                message=f"stopped: still running after the playground's limit of {limit_s:g} s",
                explanation="Look for a loop that never ends, or train for fewer epochs or "
                "on less data. From a shell, `cnn-tutor run FILE --timeout S` allows longer.",
            )
        self.show_error(error, where)
        if line:
            self.point_at(line)
        else:
            self._editor.focus()

    def clear_error(self) -> None:
        self.query_one(ExplanationPanel).clear_error()
