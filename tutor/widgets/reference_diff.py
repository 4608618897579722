"""The reference diff under a model exercise's verdict: the learner's layers beside the
reference's, row by row, the first row that differs marked and coloured."""

from __future__ import annotations

from textual.content import Content
from textual.widget import Widget

from tutor.checks.refdiff import ReferenceDiff, diff_table

MARK = "▶"


class ReferenceDiffView(Widget):
    """The diff as an aligned table, laid out afresh for the widget's own width."""

    def __init__(self, diff: ReferenceDiff, *, id: str | None = None) -> None:
        differs = diff.first_difference is not None
        super().__init__(id=id, classes="-differs" if differs else "-same")
        self.diff = diff

    def render(self) -> Content:
        table = diff_table(self.diff, self.content_size.width or 80, MARK)
        pieces: list[str | tuple[str, str]] = [("Your model beside the reference\n", "bold")]
        for index, line in enumerate(table.lines):
            if index == table.marked:
                pieces.append((line, "bold $text-error"))
            elif index < 2:
                pieces.append((line, "$text-muted"))
            else:
                pieces.append(line)
            pieces.append("\n")
        style = "$text-success" if table.marked is None else "$text-error"
        pieces.append((table.summary, style))
        return Content.assemble(*pieces)
