"""The playground's controls: run, train, stop, and what to train with on which device."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Button, Input, Label, Select

from tutor.data import parse_spec
from tutor.playground_harness import TrainSettings, train_source
from tutor.sandbox.client import JobSpec

DEVICES = [("auto", "auto"), ("cpu", "cpu"), ("cuda", "cuda")]
OPTIMIZERS = [("SGD", "sgd"), ("Adam", "adam")]
MAX_EPOCHS = 100
DATA_HINT = "digits, csv:PATH or idx:DIR"


def _number(text: str, kind: type[float] | type[int], what: str, low: float, high: float) -> Any:
    try:
        value = kind(text.strip())
    except ValueError:
        raise ValueError(f"{what} must be a number between {low:g} and {high:g}") from None
    if not low <= value <= high:
        raise ValueError(f"{what} must be between {low:g} and {high:g} (found {text.strip()})")
    return value


class RunControls(Vertical):
    """Buttons and settings; posts RunRequested or StopRequested, the screen does the work."""

    class RunRequested(Message):
        """The learner asked for a run: `kind` is "script" or "train"."""

        def __init__(self, kind: str) -> None:
            super().__init__()
            self.kind = kind

    class StopRequested(Message):
        """The learner asked to stop the running job."""

    running: reactive[bool] = reactive(False)

    def compose(self) -> ComposeResult:
        with Horizontal(classes="controls-row"):
            yield Button("Run F5", id="run-script", variant="primary", compact=True)
            yield Button("Train F6", id="run-train", variant="success", compact=True)
            yield Button("Stop F7", id="run-stop", variant="error", compact=True, disabled=True)
            yield Label("device", id="device-label", classes="controls-label")
            yield Select(DEVICES, value="auto", allow_blank=False, compact=True, id="device")
            yield Label("optimiser", classes="controls-label")
            yield Select(OPTIMIZERS, value="sgd", allow_blank=False, compact=True, id="optimizer")
        with Horizontal(classes="controls-row"):
            yield Label("data", classes="controls-label")
            yield Input("digits", placeholder=DATA_HINT, compact=True, id="data")
            yield Label("lr", classes="controls-label")
            yield Input("0.1", compact=True, id="lr", classes="controls-number")
            yield Label("batch", classes="controls-label")
            yield Input(
                str(TrainSettings.batch_size), compact=True, id="batch", classes="controls-number"
            )
            yield Label("epochs", classes="controls-label")
            yield Input("3", compact=True, id="epochs", classes="controls-number")

    def watch_running(self, running: bool) -> None:
        self.set_class(running, "-running")
        self.query_one("#run-script", Button).disabled = running
        self.query_one("#run-train", Button).disabled = running
        self.query_one("#run-stop", Button).disabled = not running

    def show_devices(self, cuda: bool, count: int = 0) -> None:
        """Say what this machine has; offer cuda only where there is a GPU."""
        select: Select[str] = self.query_one("#device", Select)
        chosen = select.value
        if cuda:
            select.set_options(DEVICES)
            label = f"device ({count} GPU{'s' if count > 1 else ''})" if count else "device (GPU)"
        else:
            select.set_options(DEVICES[:2])
            label = "device (no GPU)"
        select.value = chosen if cuda or chosen != "cuda" else "auto"
        self.query_one("#device-label", Label).update(label)

    @property
    def device(self) -> str:
        return str(self.query_one("#device", Select).value)

    @property
    def data(self) -> str:
        return self.query_one("#data", Input).value.strip() or "digits"

    def train_settings(self) -> TrainSettings:
        """The chosen settings, or ValueError with a sentence saying which one is wrong."""

        def field(name: str) -> str:
            return self.query_one(f"#{name}", Input).value

        return TrainSettings(
            optimizer=str(self.query_one("#optimizer", Select).value),
            lr=_number(field("lr"), float, "The learning rate", 1e-6, 10),
            batch_size=_number(field("batch"), int, "The batch size", 1, 4096),
            epochs=_number(field("epochs"), int, "Epochs", 1, MAX_EPOCHS),
            device=self.device,
        )

    def job(self, kind: str, code: str, filename: str, timeout_s: float) -> tuple[str, JobSpec]:
        """A label ("sgd lr=0.1" or "script") and the job for `code` run as `kind`
        ("script" or "train") with these settings; UsageError or ValueError, with a
        sentence, when a setting is wrong."""
        parse_spec(self.data)
        if kind != "train":
            return "script", JobSpec(code, filename, self.device, self.data, timeout_s)
        settings = self.train_settings()
        source = train_source(code, settings)
        return settings.label, JobSpec(source, filename, self.device, self.data, timeout_s)

    @on(Button.Pressed, "#run-script")
    def _run_script(self) -> None:
        self.post_message(self.RunRequested("script"))

    @on(Button.Pressed, "#run-train")
    def _run_train(self) -> None:
        self.post_message(self.RunRequested("train"))

    @on(Button.Pressed, "#run-stop")
    def _stop(self) -> None:
        self.post_message(self.StopRequested())
