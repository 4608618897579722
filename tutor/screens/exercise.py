"""An exercise's statement and how to check an answer (the full screen comes later)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Header, Markdown, Static

from tutor.course import Exercise, Lesson
from tutor.messages import OpenPlace
from tutor.screens.links import link_target

HOW_TO_CHECK = (
    "Your answer file is [b]$file[/b]. Edit it in your own editor, then check it from a "
    "shell with [b]cnn-tutor check $n[/b], or [b]cnn-tutor watch $n[/b] to re-check on "
    "every save."
)


class ExerciseScreen(Screen[None]):
    """The statement of one exercise; Esc goes back to where the learner came from."""

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("l", "lesson", "Its lesson"),
    ]

    def __init__(
        self,
        exercise: Exercise,
        lessons: Sequence[Lesson],
        exercises: Sequence[Exercise],
        back: str,
        home: Path,
    ) -> None:
        super().__init__()
        self.home = home
        self.exercise = exercise
        self.lessons = lessons
        self.exercises = exercises
        self.back = back
        self.sub_title = f"Exercise {exercise.number} of {len(exercises)}: {exercise.title}"

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="exercise-scroll"):
            how_to = Content.from_markup(
                HOW_TO_CHECK, n=self.exercise.number, file=self._answer_file()
            )
            yield Static(how_to, id="how-to")
            yield Markdown(self._statement(), id="exercise-body", open_links=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#exercise-scroll").focus()

    def _answer_file(self) -> str:
        """The learner's copy of the starter (made on first visit), as they would type it."""
        from tutor.checks.loader import workspace_answer  # not needed for the app's start

        try:
            path = workspace_answer(self.home, self.exercise)
        except OSError as exc:
            return f"not available ({exc.strerror})"
        try:
            return "~/" + str(path.relative_to(Path.home()))
        except ValueError:
            return str(path)

    def _statement(self) -> str:
        try:
            return self.exercise.statement
        except OSError as exc:
            return f"# {self.exercise.title}\n\nThe statement could not be read: {exc}\n"

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
