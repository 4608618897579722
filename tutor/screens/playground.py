"""The playground: edit an example, run it or train its model in the sandbox, watch it learn."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import (
    Footer,
    RichLog,
    Static,
    TabbedContent,
    TabPane,
    TextArea,
)
from textual.worker import Worker, WorkerState

from tutor import events
from tutor.data import parse_spec
from tutor.errors import UsageError
from tutor.playground_harness import DEFAULT_EXAMPLE, model_line, train_source
from tutor.progress import atomic_write_text
from tutor.sandbox.client import JobSpec, Sandbox
from tutor.screens.confirm import ConfirmScreen
from tutor.widgets.code_pane import CodePane
from tutor.widgets.explanation_panel import ExplanationPanel
from tutor.widgets.loss_plot import LossPlot
from tutor.widgets.results_view import ResultsView
from tutor.widgets.run_controls import RunControls
from tutor.widgets.run_progress import RunProgress
from tutor.widgets.shape_trace import ShapeTraceTable
from tutor.widgets.title_bar import TitleBar

APPLY_EVERY_S = 0.1  # incoming events are buffered and drawn at most this often
RUN_TIMEOUT_S = 900.0
PREPARE_DATA = (
    "import sys\nfrom tutor.data import prepared_csv\nfrom tutor.errors import UsageError\n"
    "try:\n    prepared_csv(sys.argv[1])\nexcept UsageError as exc:\n    sys.exit(str(exc))\n"
)


def playground_dir(home: Path) -> Path:
    """Where the learner's playground files and the last trained model live."""
    return home / "playground"


def default_playground() -> PlaygroundScreen:
    """The playground with the built-in example: a small CNN on the digits."""
    return PlaygroundScreen(DEFAULT_EXAMPLE, "the built-in example")


class PlaygroundScreen(Screen[None]):
    """An editable example with its shape trace, loss curve, output and training results."""

    BINDINGS = [
        Binding("f5", "run('script')", "Run", priority=True),
        Binding("f6", "run('train')", "Train", priority=True),
        Binding("f7", "stop", "Stop", priority=True),
        Binding("f8", "clear_runs", "Clear runs", priority=True),
        Binding("f2", "show_code", "Code", priority=True, show=False),
        Binding("f3", "next_tab", "Next tab", priority=True, show=False),
        Binding("ctrl+r", "reset", "Reset"),
        Binding("escape", "back", "Back"),
        Binding("f1", "help", "Help"),
    ]
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]

    running: reactive[bool] = reactive(False)

    def __init__(self, code: str, origin: str, slug: str = "example") -> None:
        super().__init__()
        self.code = code
        self.origin = origin
        self.slug = slug
        self.sub_title = f"Playground: {origin}"
        self.sandbox: Sandbox | None = None
        self._starting = asyncio.Lock()
        self._pending: list[events.Event] = []
        self._prepared: set[str] = set()
        self._runs = 0
        self._label = ""
        self._kind = ""
        self._learner_lines = 0
        self._partial = ""
        self.outcome = ""
        self.events_seen = 0

    @property
    def home(self) -> Path:
        from tutor.paths import learner_home

        progress = getattr(self.app, "progress", None)
        return progress.home if progress is not None else learner_home()

    def compose(self) -> ComposeResult:
        yield TitleBar()
        yield RunControls(id="pg-controls")
        yield RunProgress(id="pg-progress")
        yield Static("sandbox: starting ...", id="pg-sandbox", markup=False)
        with Vertical(id="pg-body"):
            with TabbedContent(id="pg-tabs", initial="tab-code"):
                yield TabPane("Code", id="tab-code")
                with TabPane("Trace", id="tab-trace"):
                    yield ShapeTraceTable(id="pg-trace")
                with TabPane("Loss", id="tab-loss"):
                    yield LossPlot(id="pg-loss")
                with TabPane("Output", id="tab-output"):
                    yield RichLog(id="pg-output", wrap=True, markup=False, max_lines=5000)
                with TabPane("Results", id="tab-results"):
                    yield ResultsView(id="pg-results")
            path = playground_dir(self.home) / f"{self.slug}.py"
            yield CodePane(path, self.code, id="pg-code")
        yield Footer(compact=True, show_command_palette=False)

    @property
    def code_pane(self) -> CodePane:
        return self.query_one(CodePane)

    def on_mount(self) -> None:
        self.set_interval(APPLY_EVERY_S, self.apply_events)
        self._layout_tabs()
        self.code_pane.editor.focus()
        self.warm_up()

    def on_resize(self) -> None:
        # After Screen's own resize handler has set the -wide / -narrow breakpoint class.
        self.call_later(self._layout_tabs)

    def _layout_tabs(self) -> None:
        """Wide: the code sits beside the tabs, so its tab goes; narrow: Code is a tab."""
        tabs = self.query_one(TabbedContent)
        if self.has_class("-wide"):
            if tabs.active == "tab-code":
                tabs.active = "tab-trace"
            tabs.hide_tab("tab-code")
        else:
            tabs.show_tab("tab-code")
        self.set_class(tabs.active == "tab-code", "-code-tab")

    @on(TabbedContent.TabActivated)
    def _tab_changed(self, event: TabbedContent.TabActivated) -> None:
        self.set_class(event.pane.id == "tab-code", "-code-tab")
        if event.pane.id == "tab-code":
            self.code_pane.editor.focus()

    def show_tab(self, tab: str) -> None:
        if tab != "tab-code" or not self.has_class("-wide"):
            self.query_one(TabbedContent).active = tab

    def watch_running(self, running: bool) -> None:
        self.set_class(running, "-running")
        self.query_one(RunControls).running = running

    # -- the sandbox ----------------------------------------------------------------------
    async def _box(self) -> Sandbox:
        async with self._starting:
            if self.sandbox is None:
                self.sandbox = Sandbox()
            await self.sandbox.start()
            self.query_one("#pg-sandbox", Static).update(f"sandbox: {self.sandbox.note}")
            count = self.sandbox.info.cuda_devices
            self.query_one(RunControls).show_devices(self.sandbox.cuda, count)
            return self.sandbox

    @work(group="warm", exit_on_error=False)
    async def warm_up(self) -> None:
        """Start the sandbox while the learner reads, so the first run starts at once."""
        await self._box()

    async def on_unmount(self) -> None:
        if self.sandbox is not None:
            await self.sandbox.close()

    async def _prepare(self, data: str) -> None:
        """Make the data set's CSV in a separate process: the UI never loads numpy or pandas."""
        if data in self._prepared:
            return
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", PREPARE_DATA, data, stderr=asyncio.subprocess.PIPE
        )
        _, err = await proc.communicate()
        if proc.returncode:
            lines = err.decode(errors="replace").strip().splitlines()
            raise UsageError(lines[-1] if lines else f"the data {data!r} could not be prepared")
        self._prepared.add(data)

    @work(exclusive=True, group="sandbox", exit_on_error=False)
    async def run_job(self, spec: JobSpec) -> None:
        """Run one job and buffer its events; cancelling this worker stops the job."""
        try:
            assert spec.data is not None
            await self._prepare(spec.data)
            box = await self._box()
            async for event in box.run(spec):
                self._pending.append(event)
        finally:
            self.apply_events()
            self.running = False
            if not self.outcome:
                self.query_one(RunProgress).finish("stopped")
                self.outcome = "stopped"

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.running = False
            error = event.worker.error
            usage = isinstance(error, UsageError)
            message = str(error) if usage else f"The sandbox failed: {error}"
            self.notify(message, severity="error", markup=False)

    # -- actions ------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "help":  # F1 stands in for "?" while the editor takes what is typed
            return isinstance(self.focused, TextArea)
        return True

    def action_help(self) -> None:
        self.app.action_help()  # type: ignore[attr-defined]

    def action_run(self, kind: str) -> None:
        if self.running:
            self.notify("A run is going on; F7 stops it.")
            return
        controls = self.query_one(RunControls)
        try:
            parse_spec(controls.data)
            settings = controls.train_settings() if kind == "train" else None
        except (UsageError, ValueError) as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        pane = self.code_pane
        pane.save()
        code = pane.text
        self._runs += 1
        self._kind, self._learner_lines = kind, len(code.splitlines())
        self._partial = self.outcome = ""
        self._label = f"run {self._runs} " + (settings.label if settings else "script")
        source = train_source(code, settings) if settings else code
        self.query_one(ShapeTraceTable).clear_trace()
        self.query_one(RichLog).clear()
        pane.query_one(ExplanationPanel).clear_error()
        self.query_one(LossPlot).start_series(self._label)
        self.query_one(RunProgress).start(self._label)
        self.show_tab("tab-loss" if settings else "tab-trace")
        self.running = True
        self.run_job(
            JobSpec(
                source=source,
                filename=pane.path.name,
                device=controls.device,
                data=controls.data,
                timeout_s=RUN_TIMEOUT_S,
            )
        )

    async def action_stop(self) -> None:
        if not self.running:
            return
        if self.sandbox is not None:
            await self.sandbox.cancel()
        self.workers.cancel_group(self, "sandbox")

    async def action_back(self) -> None:
        if self.running:
            await self.action_stop()
        else:
            self.app.pop_screen()

    def action_clear_runs(self) -> None:
        self.query_one(LossPlot).clear_overlays()
        self.notify("Earlier runs cleared from the loss chart.")

    def action_show_code(self) -> None:
        self.show_tab("tab-code")
        self.code_pane.editor.focus()

    def action_next_tab(self) -> None:
        tabs = self.query_one(TabbedContent)
        wide = self.has_class("-wide")
        order = [p.id for p in tabs.query(TabPane) if p.id and not (wide and p.id == "tab-code")]
        tabs.active = order[(order.index(tabs.active) + 1) % len(order)]

    def action_reset(self) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                self.code_pane.reset()
                self.notify("The original example is back.")

        question = f"Put back the original code ({self.origin})? Your edits are lost."
        self.app.push_screen(ConfirmScreen(question), answered)

    @on(RunControls.RunRequested)
    def _run_requested(self, message: RunControls.RunRequested) -> None:
        self.action_run(message.kind)

    @on(RunControls.StopRequested)
    async def _stop_requested(self) -> None:
        await self.action_stop()

    # -- events to widgets, coalesced -----------------------------------------------------
    def apply_events(self) -> None:
        """Draw what arrived since the last call: a few widget updates, however many events."""
        progress = self.query_one(RunProgress)
        if not self._pending:
            if self.running:
                progress.tick()
            return
        found, self._pending = self._pending, []
        self.events_seen += len(found)
        shapes = [e for e in found if isinstance(e, events.Shape)]
        if shapes:
            self.query_one(ShapeTraceTable).add_shapes(shapes)
        losses = [e for e in found if isinstance(e, (events.Loss, events.Epoch))]
        if losses:
            self.query_one(LossPlot).add_events(losses)
        self._write_output([e for e in found if isinstance(e, events.Output)])
        steps = [e for e in found if isinstance(e, events.Result) and e.name == "progress"]
        if steps:
            progress.update_progress(steps[-1].data)
        elif self._kind == "script" and (
            epochs := [e for e in losses if isinstance(e, events.Epoch)]
        ):
            progress.update_epoch(epochs[-1].epoch)
        for event in found:
            if isinstance(event, events.Error):
                self._show_error(event)
            elif isinstance(event, events.Result) and event.name == "evaluation":
                self._show_evaluation(event.data)
            elif isinstance(event, events.Done):
                self._finish(event)

    def _write_output(self, output: list[events.Output]) -> None:
        if not output:
            return
        text = self._partial + "".join(e.text for e in output)
        *lines, self._partial = text.split("\n")
        log = self.query_one(RichLog)
        if len(lines) > log.max_lines:
            lines = lines[-int(log.max_lines or 0) :]
        if lines:
            log.write("\n".join(lines))

    def _show_error(self, error: events.Error) -> None:
        pane = self.code_pane
        line = error.line
        where = ""
        if isinstance(line, int) and 0 < line <= self._learner_lines:
            where = f" at line {line}"
        elif self._kind == "train":
            line = model_line(pane.text)
            where = " while training your model"
        else:
            line = None
        pane.query_one(ExplanationPanel).show_error(error, where)
        if line:
            pane.point_at(line)
        self.show_tab("tab-code")
        pane.editor.focus()

    def _show_evaluation(self, data: dict[str, Any]) -> None:
        self.query_one(ResultsView).show_evaluation(data, self._label)
        self.show_tab("tab-results")
        if data.get("filters"):
            keep = ("accuracy", "filters", "feature_maps", "digit", "digit_label")
            saved = {"version": 1, "source": self.origin, **{k: data.get(k) for k in keep}}
            try:
                atomic_write_text(playground_dir(self.home) / "last_model.json", json.dumps(saved))
            except OSError as exc:
                self.notify(f"The trained model's filters could not be saved: {exc}", markup=False)

    def _finish(self, done: events.Done) -> None:
        if self._partial:
            self.query_one(RichLog).write(self._partial)
            self._partial = ""
        elapsed = done.elapsed_s
        ok = done.status == "ok"
        self.outcome = "ok" if ok else "error"
        device = done.device
        self.query_one(RichLog).write(f"-- {self._label}: {self.outcome} after {elapsed:.2f} s")
        text = f"✓ {self._label} finished on {device}"
        failed = f"✗ {self._label} failed: the explanation is over the code"
        self.query_one(RunProgress).finish(text if ok else failed)
