"""The playground: edit an example, run it or train its model in the sandbox, watch it learn."""

from __future__ import annotations

from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, Static, TabbedContent
from textual.worker import Worker, WorkerState

from tutor import events
from tutor.errors import UsageError
from tutor.playground_harness import prepare_data
from tutor.sandbox.client import JobSpec, Sandbox
from tutor.sandbox.pool import Lease, WarmSandboxes
from tutor.sandbox.warmup import ALL_WARM
from tutor.screens.confirm import ConfirmScreen
from tutor.trained_model import playground_dir, save_snapshot
from tutor.widgets.code_pane import CodePane
from tutor.widgets.run_controls import RunControls
from tutor.widgets.run_progress import RunProgress
from tutor.widgets.run_tabs import CODE, LOSS, RESULTS, TRACE, RunTabs
from tutor.widgets.title_bar import TitleBar

APPLY_EVERY_S = 0.1  # incoming events are buffered and drawn at most this often
RUN_TIMEOUT_S = 120.0  # the README's limit for a run


class PlaygroundScreen(Screen[None]):
    """An editable example with its shape trace, loss curve, output and training results."""

    BINDINGS = [
        Binding("ctrl+r,f5", "run('script')", "Run", priority=True),
        Binding("f6", "run('train')", "Train", priority=True),
        Binding("f7", "stop", "Stop", priority=True),
        Binding("f8", "clear_runs", "Clear runs", priority=True),
        Binding("f9", "next_tab", "Next tab", priority=True),
        Binding("f4", "reset", "Restore"),
        Binding("escape", "back", "Back"),
        Binding("f1", "app.help", "Help"),  # "?" is typed into the editor
    ]
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]

    running: reactive[bool] = reactive(False)

    def __init__(
        self,
        code: str,
        origin: str,
        slug: str = "example",
        *,
        home: Path,
        sandboxes: WarmSandboxes,
    ) -> None:
        super().__init__()
        self.code = code
        self.origin = origin
        self.slug = slug
        self.home = home
        self.lease = Lease(sandboxes, ALL_WARM)  # a script may use any of it
        self.sub_title = f"Playground: {origin}"
        self._pending: list[events.Event] = []
        self.runs = 0  # runs started here (each gets its number)
        self._label = self._kind = ""
        self._learner_lines = 0
        self.outcome = ""

    def compose(self) -> ComposeResult:
        yield TitleBar()
        yield RunControls(id="pg-controls")
        yield RunProgress(RUN_TIMEOUT_S, id="pg-progress")
        yield Static("sandbox: starting ...", id="pg-sandbox", markup=False)
        with Vertical(id="pg-body"):
            yield RunTabs(id="pg-run")
            yield CodePane(playground_dir(self.home) / f"{self.slug}.py", self.code, id="pg-code")
        yield Footer(compact=True, show_command_palette=False)

    @property
    def sandbox(self) -> Sandbox | None:
        return self.lease.box

    @property
    def code_pane(self) -> CodePane:
        return self.query_one(CodePane)

    @property
    def tabs(self) -> RunTabs:
        return self.query_one(RunTabs)

    def on_mount(self) -> None:
        self.set_interval(APPLY_EVERY_S, self.apply_events)
        self._layout_tabs()
        self.code_pane.editor.focus()
        self.warm_up()

    def on_resize(self) -> None:
        # After Screen's own resize handler has set the -wide / -narrow breakpoint class.
        self.call_later(self._layout_tabs)

    def _layout_tabs(self) -> None:
        self.tabs.offer_code_tab(not self.has_class("-wide"))
        self.set_class(self.tabs.active == CODE, "-code-tab")

    @on(TabbedContent.TabActivated)
    def _tab_changed(self, event: TabbedContent.TabActivated) -> None:
        self.set_class(event.pane.id == CODE, "-code-tab")
        if event.pane.id == CODE:
            self.code_pane.editor.focus()

    def show_tab(self, tab: str) -> None:
        if tab != CODE or not self.has_class("-wide"):
            self.tabs.active = tab
        self.set_class(self.tabs.active == CODE, "-code-tab")

    def watch_running(self, running: bool) -> None:
        self.set_class(running, "-running")
        self.query_one(RunControls).running = running

    # -- the sandbox ----------------------------------------------------------------------
    async def _box(self) -> Sandbox:
        box = await self.lease.get()
        self.query_one("#pg-sandbox", Static).update(f"sandbox: {box.note}")
        self.query_one(RunControls).show_devices(box.cuda, box.info.cuda_devices)
        return box

    @work(group="warm", exit_on_error=False)
    async def warm_up(self) -> None:
        """Start the sandbox while the learner reads, so the first run starts at once."""
        await self._box()

    async def on_unmount(self) -> None:
        await self.lease.give_back()

    @work(exclusive=True, group="sandbox", exit_on_error=False)
    async def run_job(self, spec: JobSpec) -> None:
        """Run one job and buffer its events; cancelling this worker stops the job."""
        try:
            assert spec.data is not None
            await prepare_data(spec.data)
            box = await self._box()
            async for event in box.run(spec):
                self._pending.append(event)
        finally:
            self.apply_events()
            self.running = False
            if not self.outcome:
                self.query_one(RunProgress).finish(f"{self._label} stopped")
                self.outcome = "stopped"

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state != WorkerState.ERROR or event.worker.group != "sandbox":
            return
        self.running, self.outcome = False, "error"
        error = event.worker.error or RuntimeError("unknown")
        self.show_tab(CODE)
        self.code_pane.explain_start_failure(error, usage=isinstance(error, UsageError))
        self.query_one(RunProgress).finish(f"✗ {self._label} did not start: {error}")

    # -- actions ------------------------------------------------------------------------
    def action_run(self, kind: str) -> None:
        if self.running:
            self.notify("A run is going on; F7 stops it.")
            return
        pane = self.code_pane
        try:
            what, spec = self.query_one(RunControls).job(
                kind, pane.text, pane.path.name, RUN_TIMEOUT_S
            )
        except (UsageError, ValueError) as exc:
            self.show_tab(CODE)
            pane.explain_start_failure(exc, usage=True)
            return
        if not pane.save():
            return  # a save from elsewhere waits for the learner's choice
        self.runs += 1
        self._kind, self._learner_lines = kind, len(pane.text.splitlines())
        self.outcome = ""
        self._label = f"run {self.runs} {what}"
        pane.clear_error()
        self.tabs.begin(self._label)
        self.query_one(RunProgress).start(self._label)
        self.show_tab(LOSS if kind == "train" else TRACE)
        self.running = True
        self.run_job(spec)

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
        self.tabs.clear_overlays()
        self.notify("Earlier runs cleared from the loss chart.")

    def action_next_tab(self) -> None:
        self.tabs.next_tab(skip_code=self.has_class("-wide"))

    def action_reset(self) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                self.code_pane.reset()
                self.code_pane.clear_error()
                self.notify("The original example is back.")

        question = f"Put back the original code ({self.origin})? Your edits are lost."
        self.app.push_screen(ConfirmScreen(question), answered)

    @on(RunControls.RunRequested)
    def _run_requested(self, message: RunControls.RunRequested) -> None:
        self.action_run(message.kind)

    @on(RunControls.StopRequested)
    async def _stop_requested(self) -> None:
        await self.action_stop()

    # -- what the run reports -------------------------------------------------------------
    def apply_events(self) -> None:
        """Hand what arrived since the last call to the tabs, in one batch."""
        progress = self.query_one(RunProgress)
        if not self._pending:
            if self.running:
                progress.tick()
            return
        events, self._pending = self._pending, []
        report = self.tabs.apply(events, script=self._kind == "script")
        progress.heard(report)
        for error in report.errors:
            self.show_tab(CODE)
            training, lines = self._kind == "train", self._learner_lines
            self.code_pane.explain(
                error, training=training, learner_lines=lines, limit_s=RUN_TIMEOUT_S
            )
        if report.evaluation is not None:
            self.show_tab(RESULTS)
            try:
                save_snapshot(self.home, report.evaluation, self.origin)
            except OSError as exc:
                self.notify(f"The trained model's filters could not be saved: {exc}", markup=False)
        if report.done is not None:
            self.outcome = progress.finish_run(self._label, report.done)
            elapsed = report.done.elapsed_s
            self.tabs.end(f"-- {self._label}: {self.outcome} after {elapsed:.2f} s")
