"""How far a run has got: a bar for epochs and batches, and the time left."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import ProgressBar, Static

from tutor import events

if TYPE_CHECKING:
    from tutor.widgets.run_tabs import Reported

QUIET_S = 20.0  # a run silent this long is said to be so, with how to stop it


def duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    return f"{seconds // 60}:{seconds % 60:02d}"


class RunProgress(Horizontal):
    """Epoch e/E, batch b/B and time left while training; elapsed time for any run."""

    def __init__(self, limit_s: float = 120.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.limit_s = limit_s
        self._started = 0.0
        self._heard = 0.0
        self._epoch = ""

    def compose(self) -> ComposeResult:
        yield ProgressBar(total=1, show_percentage=False, show_eta=False, id="run-bar")
        yield Static("idle: F5 runs the script, F6 trains the model", id="run-status")

    def start(self, what: str) -> None:
        self._started = self._heard = time.monotonic()
        self._epoch = ""
        self.query_one(ProgressBar).update(total=None, progress=0)
        self.query_one("#run-status", Static).update(f"{what}: starting ...")

    def elapsed(self) -> float:
        return time.monotonic() - self._started

    def update_epoch(self, epoch: int) -> None:
        """A script without the harness: the epoch the tracer counted."""
        self._epoch = f"epoch {epoch + 1} "
        self.query_one("#run-status", Static).update(
            f"{self._epoch}running, {duration(self.elapsed())} so far"
        )

    def heard(self, report: Reported) -> None:
        """The run sent something (it is not stuck): show its progress or epoch, if any."""
        self._heard = time.monotonic()
        if report.progress is not None:
            self.update_progress(report.progress)
        elif report.epoch is not None:
            self.update_epoch(report.epoch)

    def tick(self) -> None:
        """Refresh the elapsed time; say so when the run has been silent a while."""
        quiet = time.monotonic() - self._heard
        status = self.query_one("#run-status", Static)
        if quiet >= QUIET_S:
            status.update(
                f"no output for {duration(quiet)} ({duration(self.elapsed())} in all): still "
                f"working, or stuck in a loop? F7 stops it (the limit is {duration(self.limit_s)})"
            )
        elif self.query_one(ProgressBar).total is None:
            status.update(f"{self._epoch}running, {duration(self.elapsed())} so far")

    def update_progress(self, data: dict[str, Any]) -> None:
        """The harness's progress: epoch, epochs, batch, batches, elapsed_s."""
        epochs, batches = int(data.get("epochs") or 1), int(data.get("batches") or 1)
        epoch, batch = int(data.get("epoch") or 1), int(data.get("batch") or 0)
        done = (epoch - 1) * batches + batch
        total = epochs * batches
        self.query_one(ProgressBar).update(total=total, progress=done)
        elapsed = float(data.get("elapsed_s") or 0.0)
        left = elapsed * (total - done) / done if done else 0.0
        self.query_one("#run-status", Static).update(
            f"epoch {epoch}/{epochs}  batch {batch}/{batches}  "
            f"{duration(left) if done else '?'} left"
        )

    def finish_run(self, label: str, done: events.Done) -> str:
        """Say how the run `label` ended (its `done` event); its outcome: "ok" or "error"."""
        if done.status == "ok":
            self.finish(f"✓ {label} finished on {done.device}")
            return "ok"
        self.finish(f"✗ {label} failed: the explanation is over the code")
        return "error"

    def finish(self, text: str) -> None:
        bar = self.query_one(ProgressBar)
        bar.update(total=bar.total or 1, progress=bar.total or 1)
        self.query_one("#run-status", Static).update(text)
