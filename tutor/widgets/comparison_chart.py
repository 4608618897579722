"""Exercise 6's comparison: both loss curves, with and without BatchNorm, and both accuracies."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static
from textual_plotext import PlotextPlot

from tutor.checks.comparison import batch_losses, training_curves


class ComparisonChart(Vertical):
    """The two training runs of the same seed: a loss plot and a line per run."""

    def compose(self) -> ComposeResult:
        yield PlotextPlot(classes="comparison-plot")
        yield Static(classes="comparison-figures")

    def show(self, facts: dict[str, Any] | None) -> bool:
        """Draw the comparison held in `facts`; False (and hidden) when there is none."""
        curves = training_curves(facts)
        self.display = bool(curves)
        if not curves:
            return False
        plot = self.query_one(PlotextPlot)
        plt = plot.plt
        plt.clear_figure()
        per_batch = batch_losses(facts)
        for label, (loss, _) in curves.items():
            series = per_batch.get(label, loss)
            plt.plot(list(range(1, len(series) + 1)), series, label=label, marker="braille")
        plt.title("training loss per batch" if per_batch else "mean training loss per epoch")
        plt.xlabel("batch" if per_batch else "epoch")
        plot.refresh()
        lines = [
            f"{label:<18} final loss {loss[-1]:.3f}   test accuracy {accuracy[-1]:.1%}"
            for label, (loss, accuracy) in curves.items()
        ]
        training = (facts or {}).get("training", {})
        origin = "your SimpleCNN" if training.get("plain_from") == "yours" else "the tutor's"
        lines.append(f"Same seed, data and SGD; the run without BatchNorm is {origin}.")
        self.query_one(".comparison-figures", Static).update("\n".join(lines))
        return True
