"""The playground's run tabs (Code, Trace, Loss, Output, Results) and where a run's events go.

`RunTabs.apply` is the one place that reads a run's events: rows go to the trace, losses
to the plot, text to the output, the evaluation to the results, and what the screen must
act on (errors, progress, the evaluation, the end) comes back as a `Reported`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import RichLog, TabbedContent, TabPane

from tutor import events
from tutor.widgets.loss_plot import LossPlot
from tutor.widgets.results_view import ResultsView
from tutor.widgets.run_notices import OUTPUT_EVENTS, as_output
from tutor.widgets.shape_trace import ShapeTrace


@dataclass
class Reported:
    """What in a batch of events the screen acts on; the tabs drew the rest."""

    errors: list[events.Error] = field(default_factory=list)
    progress: dict[str, Any] | None = None  # the harness's latest progress
    epoch: int | None = None  # a plain script's latest epoch, as the tracer counted
    evaluation: dict[str, Any] | None = None
    done: events.Done | None = None


CODE, TRACE, LOSS, OUTPUT, RESULTS = (
    "tab-code",
    "tab-trace",
    "tab-loss",
    "tab-output",
    "tab-results",
)


class RunOutput(RichLog):
    """What the run printed, whole lines as they complete."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(wrap=True, markup=False, max_lines=5000, **kwargs)
        self._partial = ""

    def clear_output(self) -> None:
        self.clear()
        self._partial = ""

    def add_text(self, text: str) -> None:
        text = self._partial + text
        *lines, self._partial = text.split("\n")
        limit = int(self.max_lines or 0)
        if limit and len(lines) > limit:
            lines = lines[-limit:]
        if lines:
            self.write("\n".join(lines))

    def end(self, line: str) -> None:
        """The run ended: flush the unfinished line, then say how it ended."""
        if self._partial:
            self.write(self._partial)
            self._partial = ""
        self.write(line)


class RunTabs(Vertical):
    """The tabs that show a run; Code is an empty tab standing for the code pane beside it."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.events_seen = 0

    def compose(self) -> ComposeResult:
        with TabbedContent(id="pg-tabs", initial=CODE):
            yield TabPane("Code", id=CODE)
            with TabPane("Trace", id=TRACE):
                yield ShapeTrace(id="pg-trace-view")
            with TabPane("Loss", id=LOSS):
                yield LossPlot(id="pg-loss")
            with TabPane("Output", id=OUTPUT):
                yield RunOutput(id="pg-output")
            with TabPane("Results", id=RESULTS):
                yield ResultsView(id="pg-results")

    @property
    def active(self) -> str:
        return self.query_one(TabbedContent).active

    @active.setter
    def active(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab

    def offer_code_tab(self, offered: bool) -> None:
        """Narrow: Code is a tab; wide: the code sits beside the tabs, so its tab goes."""
        tabs = self.query_one(TabbedContent)
        if offered:
            tabs.show_tab(CODE)
        else:
            if tabs.active == CODE:
                tabs.active = TRACE
            tabs.hide_tab(CODE)

    def begin(self, label: str) -> None:
        """A new run: forget the last one's trace and output; start its loss series."""
        self.query_one(ShapeTrace).clear_trace()
        self.query_one(RunOutput).clear_output()
        self.query_one(LossPlot).start_series(label)

    def apply(self, found: list[events.Event], script: bool) -> Reported:
        """Draw a batch of events (a few widget updates, however many events)."""
        self.events_seen += len(found)
        shapes = [e for e in found if isinstance(e, events.Shape)]
        if shapes:
            self.query_one(ShapeTrace).add_shapes(shapes)
        losses = [e for e in found if isinstance(e, (events.Loss, events.Epoch))]
        if losses:
            self.query_one(LossPlot).add_events(losses)
        # printed text, and the doctor's warnings and the run's notes as lines of their own
        text = "".join(as_output(e).text for e in found if isinstance(e, OUTPUT_EVENTS))
        if text:
            self.query_one(RunOutput).add_text(text)
        report = Reported()
        steps = [e for e in found if isinstance(e, events.Result) and e.name == "progress"]
        epochs = [e for e in losses if isinstance(e, events.Epoch)]
        if steps:
            data = steps[-1].data
            report.progress = data if isinstance(data, dict) else {}
        elif script and epochs:
            report.epoch = epochs[-1].epoch
        for event in found:
            if isinstance(event, events.Error):
                report.errors.append(event)
            elif isinstance(event, events.Result) and event.name == "evaluation":
                if isinstance(event.data, dict):
                    self.query_one(ResultsView).show_evaluation(event.data, self._label())
                    report.evaluation = event.data
            elif isinstance(event, events.Done):
                report.done = event
        return report

    def _label(self) -> str:
        series = self.query_one(LossPlot).series
        return series[-1].label if series else "run"

    def end(self, line: str) -> None:
        self.query_one(RunOutput).end(line)

    def clear_overlays(self) -> None:
        self.query_one(LossPlot).clear_overlays()

    def next_tab(self, skip_code: bool) -> None:
        order = [CODE, TRACE, LOSS, OUTPUT, RESULTS][1 if skip_code else 0 :]
        self.active = order[(order.index(self.active) + 1) % len(order)]
