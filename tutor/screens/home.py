"""The home screen: a welcome, where to continue, and the course map."""

from __future__ import annotations

from collections.abc import Sequence

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static

from tutor.course import Exercise, Lesson
from tutor.messages import OpenPlace
from tutor.progress import PASSED, Progress
from tutor.widgets.course_map import CourseMap
from tutor.widgets.title_bar import TitleBar

WELCOME = (
    "[b]Welcome to cnn-tutor[/b]: from MLPs to convolutional networks in PyTorch.\n"
    "[$text-muted]↑↓ choose, Enter opens, ? lists every key, ctrl+p finds a lesson.[/]"
)


def next_step(
    lessons: Sequence[Lesson], exercises: Sequence[Exercise], progress: Progress
) -> Lesson | Exercise | None:
    """The first lesson not read or exercise not passed, each exercise after its lesson."""
    passed = {slug for slug, state in progress.exercises.items() if state.state == PASSED}
    order: list[Lesson | Exercise] = []
    for lesson in lessons:
        order.append(lesson)
        order += [ex for ex in exercises if ex.lesson == lesson.number]
    order += [ex for ex in exercises if ex not in order]
    done = progress.lessons_read | {ex.key for ex in exercises if ex.slug in passed}
    return next((item for item in order if item.key not in done), None)


def describe(item: Lesson | Exercise) -> str:
    """How the learner sees an item named, e.g. Lesson 3: The 2D convolution."""
    kind = "Lesson" if isinstance(item, Lesson) else "Exercise"
    return f"{kind} {item.number}: {item.title}"


class HomeScreen(Screen[None]):
    """The course map; Enter opens the highlighted lesson or exercise."""

    SUB_TITLE = "Course map"

    def __init__(
        self, lessons: Sequence[Lesson], exercises: Sequence[Exercise], progress: Progress
    ) -> None:
        super().__init__()
        self.lessons = lessons
        self.exercises = exercises
        self.progress = progress

    def compose(self) -> ComposeResult:
        yield TitleBar()
        with Vertical(id="home-column"):
            yield Static(WELCOME, id="welcome")
            yield Static(id="continue")
            yield CourseMap(id="course-map")
        yield Footer()

    def on_screen_resume(self) -> None:
        """Show the map as the progress stands now (a lesson may have been read since)."""
        step = next_step(self.lessons, self.exercises, self.progress)
        text: str | Content
        if step is None:
            text = "You have read every lesson and passed every exercise. Well done!"
        else:
            text = Content.from_markup("Continue with [b]$step[/b].", step=describe(step))
        self.query_one("#continue", Static).update(text)
        course_map = self.query_one(CourseMap)
        course_map.show(self.lessons, self.exercises, self.progress, step.key if step else None)
        course_map.focus()

    @on(OptionList.OptionSelected, "#course-map")
    def open_place(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.post_message(OpenPlace(event.option.id))
