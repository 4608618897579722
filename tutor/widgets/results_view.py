"""After Train model: the test accuracy, the confusion matrix and misclassified digits."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from tutor.widgets.confusion_grid import ConfusionGrid
from tutor.widgets.digit_strip import DigitStrip

WAITING = "Train the model (F6) to see its test accuracy, confusion matrix and mistakes here."


class ResultsView(VerticalScroll):
    """The evaluation a training run reported; `accuracy` is None until there is one."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.accuracy: float | None = None
        self.confusion: list[list[int]] = []

    def compose(self) -> ComposeResult:
        yield Static(WAITING, id="pg-accuracy")
        yield ConfusionGrid(id="pg-confusion")
        yield Static("Misclassified test digits (true → predicted):", id="pg-digits-title")
        yield DigitStrip(id="pg-digits")

    def show_evaluation(self, data: dict[str, Any], label: str) -> None:
        self.accuracy = float(data.get("accuracy") or 0.0)
        self.confusion = data.get("confusion") or []
        correct = sum(row[i] for i, row in enumerate(self.confusion))
        total = sum(sum(row) for row in self.confusion)
        self.query_one("#pg-accuracy", Static).update(
            Content.from_markup(
                "[b]$label[/b]: test accuracy [b]$accuracy[/b] ($correct of $total right)",
                label=label,
                accuracy=f"{self.accuracy:.1%}",
                correct=correct,
                total=total,
            )
        )
        self.query_one(ConfusionGrid).show_matrix(self.confusion)
        self.query_one(DigitStrip).show_digits(data.get("misclassified") or [])
        self.set_class(True, "-trained")
