"""A lesson: its text, the hidden answer, and the keys that move through the course."""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.reactive import reactive
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Markdown, OptionList, Static

from tutor.course import Exercise, Lesson
from tutor.messages import HOME, OpenPlace, OpenPlayground
from tutor.predictions import PredictionError, Verdict, lesson_predictions
from tutor.progress import Progress
from tutor.screens.links import link_target
from tutor.screens.toc import TocScreen
from tutor.widgets.lesson_list import LessonList
from tutor.widgets.prediction_box import PredictionBox
from tutor.widgets.title_bar import TitleBar

_WIDGET_FENCE = re.compile(r"^```(picture|predict)[ \t]*\n(.*?)^```[ \t]*(?:\n|$)", re.S | re.M)
# A picture block's name -> its widget (module, class), imported when a lesson shows it.
PICTURES = {
    "conv-stepper": ("tutor.widgets.conv_stepper", "ConvStepper"),
    "shape-calculator": ("tutor.widgets.shape_calculator", "ShapeCalculator"),
    "pooling": ("tutor.widgets.pooling_view", "PoolingView"),
    "receptive-field": ("tutor.widgets.receptive_field_view", "ReceptiveFieldView"),
    "feature-maps": ("tutor.widgets.feature_maps_view", "FeatureMapsView"),
    "channels-first": ("tutor.widgets.channels_first_view", "ChannelsFirstView"),
}


@dataclass(frozen=True)
class PictureBlock:
    """A ```picture block of a lesson: the picture's name, then any lines it is given."""

    name: str
    args: str = ""


@dataclass(frozen=True)
class PredictBlock:
    """A ```predict block of a lesson: its number among the lesson's predictions (from 1)."""

    number: int


def split_pictures(markdown: str) -> list[str | PictureBlock | PredictBlock]:
    """The lesson as Markdown parts with the picture and prediction blocks between them."""
    parts: list[str | PictureBlock | PredictBlock] = []
    start, predictions = 0, 0
    for match in _WIDGET_FENCE.finditer(markdown):
        parts.append(markdown[start : match.start()])
        if match.group(1) == "predict":
            predictions += 1
            parts.append(PredictBlock(predictions))
        else:
            name, _, args = match.group(2).strip().partition("\n")
            parts.append(PictureBlock(name.strip(), args))
        start = match.end()
    parts.append(markdown[start:])
    return parts


def make_picture(block: PictureBlock, home: Path) -> Widget:
    """The widget of a picture block (a note in its place if the name is unknown)."""
    if block.name not in PICTURES:
        known = ", ".join(PICTURES)
        note = f"(A picture named '{block.name}' does not exist; known pictures: {known}.)"
        return Static(note, classes="lesson-picture -unknown", markup=False)
    module, name = PICTURES[block.name]
    widget: Widget = getattr(importlib.import_module(module), name).from_block(block.args, home)
    widget.add_class("lesson-picture")
    return widget


class LessonScreen(Screen[None]):
    """One lesson, read top to bottom; the side list appears on a wide terminal."""

    BINDINGS = [
        Binding("n", "next", "Next"),
        Binding("right", "next", "Next", show=False, priority=True),
        Binding("p", "previous", "Prev"),
        Binding("left", "previous", "Prev", show=False, priority=True),
        Binding("t", "contents", "Contents"),
        Binding("a", "answer", "Answer"),
        Binding("e", "exercise", "Exercise"),
        Binding("r", "example", "Example"),
        Binding("escape", "home", "Home"),
    ]

    HORIZONTAL_BREAKPOINTS = [(110, "-wide")]
    AUTO_FOCUS = "#lesson-scroll"  # the arrows and page keys scroll the lesson

    answer_shown: reactive[bool] = reactive(False)

    def __init__(
        self,
        lesson: Lesson,
        lessons: Sequence[Lesson],
        exercises: Sequence[Exercise],
        progress: Progress,
    ) -> None:
        super().__init__()
        self.lesson = lesson
        self.lessons = lessons
        self.exercises = exercises
        self.progress = progress  # the learner's: predictions are kept there
        self.complete = False  # every part mounted (the first text comes first)
        self.read = progress.lessons_read
        self.sub_title = f"Lesson {lesson.number} of {len(lessons)}: {lesson.title}"

    def compose(self) -> ComposeResult:
        # Every part is a widget of its own, so nothing is lost between a first screenful
        # and the rest. The parts up to the first text come first; the rest is mounted
        # right after the first frame (see _mount_rest); `complete` says it is all in.
        parts = list(self._parts())
        first = next((i for i, w in enumerate(parts) if w.id == "lesson-body"), len(parts))
        self._rest = parts[first + 1 :]
        yield TitleBar()
        with Horizontal(id="lesson-layout"):
            yield LessonList(id="lesson-side")
            with VerticalScroll(id="lesson-scroll"):
                yield from parts[: first + 1]
                if self.lesson.answer is not None:
                    yield Static("Press [b]a[/b] to show the answer.", id="answer-hint")
                    answer = Markdown(id="answer", open_links=False)
                    answer.border_title = "Answer"
                    yield answer
        yield Footer(compact=True, show_command_palette=False)

    def _parts(self) -> Iterator[Widget]:
        """The lesson's Markdown, pictures and predictions, in order; the first part is
        #lesson-body (it holds the title), the other Markdown parts .lesson-part."""
        try:
            predictions = lesson_predictions(self.lesson)
        except PredictionError as exc:
            predictions = []
            yield Static(f"(This lesson's predictions cannot be read: {exc})", markup=False)
        first = True
        for part in split_pictures(self.lesson.body):
            if isinstance(part, PictureBlock):
                yield make_picture(part, self.progress.home)
            elif isinstance(part, PredictBlock):
                if part.number <= len(predictions):
                    prediction = predictions[part.number - 1]
                    yield PredictionBox(prediction, self._recorded(prediction.key))
            elif first:
                first = False
                yield Markdown(part, id="lesson-body", open_links=False)
            elif part.strip():
                yield Markdown(part, classes="lesson-part", open_links=False)

    def _recorded(self, key: str) -> Verdict | None:
        guess = self.progress.predictions.get(key)
        return Verdict(guess.given, guess.correct) if guess is not None else None

    def on_mount(self) -> None:
        self.call_after_refresh(self._mount_rest)

    async def _mount_rest(self) -> None:
        """The side list, and the lesson after its first text, in order, before the
        answer (if any)."""
        self.query_one(LessonList).show(self.lessons, self.read, self.lesson.key)
        rest, self._rest = self._rest, []
        if rest:
            scroll = self.query_one("#lesson-scroll")
            hint = self.query("#answer-hint")
            await scroll.mount_all(rest, before=hint.first() if hint else None)
        self.complete = True

    @on(PredictionBox.Answered)
    def record_prediction(self, event: PredictionBox.Answered) -> None:
        """Keep the learner's prediction, so the course map knows it is no longer open."""
        progress = self.progress
        progress.record_prediction(event.prediction.key, event.verdict.given, event.verdict.correct)
        try:
            progress.save()
        except OSError as exc:
            self.notify(
                f"Your prediction could not be saved to {progress.path}: {exc.strerror}",
                severity="error",
                markup=False,
            )

    async def watch_answer_shown(self, shown: bool) -> None:
        self.set_class(shown, "-answer-shown")
        if shown:
            answer = self.query_one("#answer", Markdown)
            if not answer.source:
                await answer.update(self.lesson.answer or "")
            self.call_after_refresh(self.query_one("#lesson-scroll").scroll_to_widget, answer)

    def _neighbour(self, step: int) -> Lesson | None:
        index = self.lessons.index(self.lesson) + step
        return self.lessons[index] if 0 <= index < len(self.lessons) else None

    def action_next(self) -> None:
        lesson = self._neighbour(+1)
        if lesson is None:
            self.notify("This is the last lesson. Press h for the course map.")
        else:
            self.post_message(OpenPlace(lesson.key))

    def action_previous(self) -> None:
        lesson = self._neighbour(-1)
        if lesson is None:
            self.notify("This is the first lesson.")
        else:
            self.post_message(OpenPlace(lesson.key))

    def action_contents(self) -> None:
        self.app.push_screen(TocScreen(self.lessons, self.read, self.lesson.key), self._jump)

    def _jump(self, place: str | None) -> None:
        if place is not None and place != self.lesson.key:
            self.post_message(OpenPlace(place))

    def action_answer(self) -> None:
        if self.lesson.answer is None:
            self.notify("This lesson has no hidden answer.")
        else:
            self.answer_shown = not self.answer_shown

    def action_exercise(self) -> None:
        exercise = next((ex for ex in self.exercises if ex.lesson == self.lesson.number), None)
        if exercise is None:
            self.notify("No exercise for this lesson")
        else:
            self.post_message(OpenPlace(exercise.key))

    def action_example(self) -> None:
        if not self.lesson.examples:
            self.notify("This lesson has no Python example to run.")
        else:
            origin = f"Lesson {self.lesson.number}: {self.lesson.title}"
            self.post_message(
                OpenPlayground(self.lesson.examples[0], origin, f"{self.lesson.key}-1")
            )

    def action_home(self) -> None:
        self.post_message(OpenPlace(HOME))

    @on(OptionList.OptionSelected, "#lesson-side")
    def side_list_chosen(self, event: OptionList.OptionSelected) -> None:
        self._jump(event.option.id)

    @on(Markdown.LinkClicked)
    def follow_link(self, event: Markdown.LinkClicked) -> None:
        place = link_target(event.href, self.lesson.path, self.lessons, self.exercises)
        if place is not None:
            self._jump(place)
        elif "://" in event.href:
            self.app.open_url(event.href)
        else:
            message = f"That link leads outside the course: {event.href}"
            self.notify(message, severity="warning", markup=False)
