"""An exercise: the statement, the learner's answer (a form or code), checks, hints, solution."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Button, Footer, LoadingIndicator, Markdown, Static
from textual.worker import Worker, WorkerState

from tutor.checks.curve_cache import checks_cache
from tutor.checks.loader import workspace_answer
from tutor.checks.runner import answer_filename, check_answer, sandbox_for
from tutor.checks.verdict import Verdict
from tutor.course import Exercise, Lesson
from tutor.messages import OpenPlace
from tutor.progress import PASSED, Progress
from tutor.sandbox.pool import Lease, WarmSandboxes
from tutor.screens.confirm import ConfirmScreen
from tutor.screens.links import link_target
from tutor.screens.solution import SolutionScreen
from tutor.widgets.answer_editor import AnswerEditor
from tutor.widgets.answer_form import AnswerForm
from tutor.widgets.hint_panel import HintPanel
from tutor.widgets.title_bar import TitleBar
from tutor.widgets.verdict_list import VerdictList

if TYPE_CHECKING:
    from tutor.sandbox.client import Sandbox

T = TypeVar("T")
TRIES_BEFORE_SOLUTION = 3
HOW_TO = (
    "[b]$what[/b]; [b]ctrl+r[/b] checks. Your answer file: [b]$file[/b] (from a shell: "
    "[b]cnn-tutor check $n[/b])."
)


def read_or(reader: Callable[[], T], fallback: T) -> T:
    """What `reader` reads from the exercise's files, or `fallback` if it cannot."""
    try:
        return reader()
    except OSError:
        return fallback


class ExerciseScreen(Screen[None]):
    """One exercise; Esc goes back to where the learner came from."""

    BINDINGS = [
        Binding("ctrl+r,f5", "check", "Check", priority=True),
        Binding("f2", "hint", "Hint"),
        Binding("f3", "solution", "Solution"),
        Binding("f4", "reset", "Reset"),
        Binding("escape", "back", "Back"),
        Binding("l", "lesson", "Its lesson"),
    ]

    HORIZONTAL_BREAKPOINTS = [(110, "-wide")]

    checking: reactive[bool] = reactive(False)

    def __init__(
        self,
        exercise: Exercise,
        lessons: Sequence[Lesson],
        exercises: Sequence[Exercise],
        back: str,
        progress: Progress,
        sandboxes: WarmSandboxes | None = None,
    ) -> None:
        super().__init__(classes="-form" if exercise.kind == "numeric" else "-code")
        self.exercise = exercise
        self.lessons = lessons
        self.exercises = exercises
        self.back = back
        self.progress = progress
        self.path: Path | None = None
        make = partial(sandbox_for, exercise)
        self.lease = Lease(sandboxes or WarmSandboxes(), exercise.warm, make)
        self.sub_title = f"Exercise {exercise.number} of {len(exercises)}: {exercise.title}"

    @property
    def is_form(self) -> bool:
        return self.exercise.kind == "numeric" and bool(self.exercise.fields)

    def compose(self) -> ComposeResult:
        ex = self.exercise
        try:
            self.path = workspace_answer(self.progress.home, ex)
            shown = str(self.path).replace(str(Path.home()), "~", 1)
        except OSError as exc:
            shown = f"not available ({exc.strerror})"
        what = "Fill in the boxes" if self.is_form else "Edit the code"
        yield TitleBar()
        with Horizontal(id="exercise-layout"):
            with VerticalScroll(id="exercise-reading"):
                how_to = Content.from_markup(HOW_TO, what=what, file=shown, n=ex.number)
                yield Static(how_to, id="how-to")
                yield Markdown(self._statement(), id="exercise-body", open_links=False)
                hints: list[str] = read_or(lambda: ex.hints, [])
                yield HintPanel(hints, self.progress.exercise(ex.slug).hints_shown, id="hints")
            with Vertical(id="exercise-work"):
                starter = read_or(lambda: ex.starter, "")
                if self.path is not None and self.is_form:
                    yield AnswerForm(ex.fields, self.path, starter, id="exercise-answer")
                elif self.path is not None:
                    yield AnswerEditor.for_file(self.path, starter, id="exercise-answer")
                with Horizontal(id="exercise-actions"):
                    yield Button("Check ^r", id="check", variant="primary", compact=True)
                    yield Button("Hint F2", id="hint", compact=True)
                    yield Button("Solution F3", id="solution", compact=True)
                    yield Button("Reset F4", id="reset", compact=True)
                with Horizontal(id="exercise-status"):
                    yield LoadingIndicator()
                    yield Static("Checking in the sandbox…")
                yield Static(id="exercise-sandbox", markup=False)
                with VerticalScroll(id="exercise-results"):
                    yield VerdictList(id="verdict")
        yield Footer()

    def on_mount(self) -> None:
        boxes = self.query("#exercise-answer Input, #exercise-answer Select, AnswerEditor")
        (boxes.first() if boxes else self.query_one("#exercise-reading")).focus()
        self.warm_up()

    @work(group="warm", exit_on_error=False)
    async def warm_up(self) -> None:
        """Take a warm sandbox (or start one) while the learner reads and types; a failure
        to start is said by the first check."""
        with contextlib.suppress(Exception):
            await self.lease.get()

    @property
    def box(self) -> Sandbox | None:
        return self.lease.box

    async def on_unmount(self) -> None:
        await self.lease.give_back()

    def watch_checking(self, checking: bool) -> None:
        self.set_class(checking, "-checking")

    # -- checking -----------------------------------------------------------------------
    def action_check(self) -> None:
        answer = self._answer()
        if answer is None:
            self.notify("There is no answer file to check (see the line above the statement).")
            return
        source = answer.source_to_check()
        if source is not None:
            self.run_check(source)

    @work(exclusive=True, group="sandbox", exit_on_error=False)
    async def run_check(self, source: str) -> None:
        self.checking = True
        try:
            box = await self.lease.get()
            filename = answer_filename(self.path)
            cache = checks_cache(self.progress.home)
            verdict = await check_answer(
                box, self.exercise, source, filename=filename, cache_dir=cache
            )
        finally:
            self.checking = False
            if self.box is not None and self.box.level:
                note = self.query_one("#exercise-sandbox", Static)
                note.update(f"sandbox: {self.box.note}")
                note.display = True
        await self._show_verdict(verdict)

    async def _show_verdict(self, verdict: Verdict) -> None:
        self.add_class("-verdict")
        await self.query_one(VerdictList).show(verdict)
        self._change_progress(lambda p: p.record_check(self.exercise.slug, verdict.passed))

    @on(Worker.StateChanged)
    def _check_failed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.group == "sandbox":
            from tutor.errors import UsageError
            from tutor.sandbox.client import SandboxError

            error = event.worker.error
            what = "The sandbox could not run the check"
            if not isinstance(error, (SandboxError, UsageError)):
                what = f"The check stopped on an error of the tutor ({type(error).__name__})"
            self.notify(f"{what}: {error}", severity="error", markup=False, timeout=10)

    @on(AnswerForm.Submitted)
    @on(Button.Pressed, "#check")
    def _check_pressed(self) -> None:
        self.action_check()

    @on(Button.Pressed, "#hint, #solution, #reset")
    async def _action_pressed(self, event: Button.Pressed) -> None:
        await self.run_action(str(event.button.id))

    # -- hints, solution, reset ---------------------------------------------------------
    async def action_hint(self) -> None:
        hints = self.query_one(HintPanel)
        box = await hints.reveal_next()
        if box is None:
            more = "" if hints.hints else " (this exercise has none)"
            self.notify(f"Every hint is shown{more}. F3 opens the solution after 3 checks.")
            return
        self.call_after_refresh(box.scroll_visible, top=True, animate=False)

        def seen(progress: Progress) -> None:
            state = progress.exercise(self.exercise.slug)
            state.hints_shown = max(state.hints_shown, hints.shown)

        self._change_progress(seen)

    def action_solution(self) -> None:
        state = Progress.load(self.progress.home).exercise(self.exercise.slug)  # CLI tries too
        if state.state == PASSED or state.solution_seen:
            self._show_solution()
        elif state.tries < TRIES_BEFORE_SOLUTION:
            self.notify(
                f"The solution opens after {TRIES_BEFORE_SOLUTION} checks; you have made "
                f"{state.tries}. A hint (F2) may be all you need."
            )
        else:
            question = (
                "Show the solution? You can still solve it yourself: the hints (F2) lead "
                "there one step at a time."
            )
            self.app.push_screen(ConfirmScreen(question), self._seen)

    def _seen(self, yes: bool | None) -> None:
        if yes:

            def seen(progress: Progress) -> None:
                progress.exercise(self.exercise.slug).solution_seen = True

            self._change_progress(seen)
            self._show_solution()

    def _show_solution(self) -> None:
        source = read_or(lambda: self.exercise.solution, "# The solution could not be read.")
        self.app.push_screen(SolutionScreen(f"Solution of exercise {self.exercise.number}", source))

    def action_reset(self) -> None:
        question = (
            "Start over? Your answer file is replaced by the starter and what you wrote is lost."
        )
        self.app.push_screen(ConfirmScreen(question), self._reset)

    async def _reset(self, yes: bool | None) -> None:
        answer = self._answer()
        if not yes or answer is None:
            return
        answer.reset()
        await self.query_one(VerdictList).clear()
        self.remove_class("-verdict")
        self.notify("Your answer is back to the starter.")

    # -- moving around and helpers ------------------------------------------------------
    def action_back(self) -> None:
        self.post_message(OpenPlace(self.back))

    def action_lesson(self) -> None:
        lesson = next((le for le in self.lessons if le.number == self.exercise.lesson), None)
        if lesson is None:
            self.notify(f"Lesson {self.exercise.lesson} is not in the course yet.")
        else:
            self.post_message(OpenPlace(lesson.key))

    @on(Markdown.LinkClicked)
    def follow_link(self, event: Markdown.LinkClicked) -> None:
        readme = self.exercise.folder / "README.md"
        place = link_target(event.href, readme, self.lessons, self.exercises)
        if place is not None:
            self.post_message(OpenPlace(place))
        elif "://" in event.href:
            self.app.open_url(event.href)

    def _answer(self) -> AnswerForm | AnswerEditor | None:
        found = [
            w for w in self.query("#exercise-answer") if isinstance(w, (AnswerForm, AnswerEditor))
        ]
        return found[0] if found else None

    def _statement(self) -> str:
        text = read_or(lambda: self.exercise.statement, "")
        return text or f"# {self.exercise.title}\n\nThe statement could not be read.\n"

    def _change_progress(self, change: Callable[[Progress], object]) -> None:
        """Make `change` on the progress file under its lock (what the CLI wrote is kept)."""
        try:
            with self.progress.changing() as progress:
                change(progress)
        except OSError as exc:
            self.notify(f"Your progress could not be saved: {exc.strerror}", severity="error")
        if self.progress.notice:
            notice, self.progress.notice = self.progress.notice, None
            self.notify(notice, severity="warning", markup=False, timeout=15)
