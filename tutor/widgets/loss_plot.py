"""The loss curve of the current run over earlier runs, each series labelled ("run 2 lr=0.01")."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from textual_plotext import PlotextPlot

from tutor import events

MAX_POINTS = 400  # per series drawn; more are thinned evenly, the last always kept


@dataclass
class LossSeries:
    """One run's losses: per step, and each epoch's mean at the step that ended it."""

    label: str
    steps: list[int] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    epoch_steps: list[int] = field(default_factory=list)
    epoch_means: list[float] = field(default_factory=list)
    _epoch_end: int = 0

    def add(self, event: events.Loss | events.Epoch) -> None:
        """Take one `loss` or `epoch` event (other value names are not losses and are skipped)."""
        if isinstance(event, events.Epoch):
            if math.isfinite(event.mean_loss):
                self._epoch_end += event.steps
                self.epoch_steps.append(self._epoch_end)
                self.epoch_means.append(event.mean_loss)
        elif event.name == "loss" and math.isfinite(event.value):
            self.steps.append(event.step or len(self.steps) + 1)
            self.values.append(event.value)


def thinned(xs: list[int], ys: list[float]) -> tuple[list[int], list[float]]:
    if len(xs) <= MAX_POINTS:
        return xs, ys
    stride = len(xs) / MAX_POINTS
    picks = sorted({int(i * stride) for i in range(MAX_POINTS)} | {len(xs) - 1})
    return [xs[i] for i in picks], [ys[i] for i in picks]


class LossPlot(PlotextPlot):
    """Training loss per step (lines) and per-epoch mean (dots), this run and earlier ones."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.series: list[LossSeries] = []
        self._dirty = False

    def on_mount(self) -> None:
        super().on_mount()
        self.set_interval(0.25, self._redraw)
        self._draw()

    def start_series(self, label: str) -> None:
        self.series.append(LossSeries(label))
        self._dirty = True

    def add_events(self, found: list[events.Loss | events.Epoch]) -> None:
        """Add `loss` and `epoch` events to the newest series."""
        if not self.series:
            self.start_series("run")
        for event in found:
            self.series[-1].add(event)
        self._dirty = True

    def clear_overlays(self) -> None:
        """Keep only the newest run."""
        del self.series[:-1]
        self._dirty = True
        self._redraw()

    def _redraw(self) -> None:
        if self._dirty:
            self._dirty = False
            self._draw()

    def _draw(self) -> None:
        plt = self.plt
        plt.clear_data()
        plt.title("training loss")
        plt.xlabel("step")
        for series in self.series:
            if series.steps:
                plt.plot(*thinned(series.steps, series.values), label=series.label)
            if series.epoch_means:
                plt.scatter(series.epoch_steps, series.epoch_means, marker="●")
        self.refresh()
