"""The course map of the home screen: every lesson and exercise with the learner's state."""

from __future__ import annotations

from collections.abc import Sequence

from textual.content import Content
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from tutor.course import Exercise, Lesson
from tutor.predictions import open_predictions
from tutor.progress import FAILING, NOT_STARTED, PASSED, ExerciseState, Progress
from tutor.widgets.lesson_list import lesson_prompt

_STATE_LOOK = {
    PASSED: (" ✓ ", "$success"),
    FAILING: (" ✗ ", "$error"),
    NOT_STARTED: ("   ", ""),
}


_STATE_WIDTH = max(len(state) for state in _STATE_LOOK)


def exercise_prompt(exercise: Exercise, state: str) -> Content:
    """One exercise's row: a mark, its number, its state in words and its title."""
    mark, style = _STATE_LOOK.get(state, _STATE_LOOK[NOT_STARTED])
    return Content.assemble(
        (mark, style),
        (f"{exercise.number:>2}  ", "$text-muted"),
        (state.ljust(_STATE_WIDTH + 2), style or "$text-muted"),
        exercise.title,
    )


def open_mark(count: int) -> Content:
    """After a lesson read with predictions not yet made: how many are left."""
    word = "prediction" if count == 1 else "predictions"
    return Content.styled(f"  ? {count} {word} open", "$warning")


def _heading(text: str) -> Option:
    return Option(Content.styled(text, "bold $accent"), disabled=True)


class CourseMap(OptionList):
    """Lessons, then exercises; the option ids are place keys ("lesson-03", "exercise-01")."""

    def show(
        self,
        lessons: Sequence[Lesson],
        exercises: Sequence[Exercise],
        progress: Progress,
        current: str | None,
    ) -> None:
        """Fill the map from the course and the learner's progress; highlight `current`."""
        options = [_heading(f"Lessons ({len(lessons)})")]
        still_open = open_predictions(lessons, progress.predictions)
        for lesson in lessons:
            read = lesson.key in progress.lessons_read
            prompt = lesson_prompt(lesson, read)
            if read and lesson.key in still_open:
                prompt = Content.assemble(prompt, open_mark(still_open[lesson.key]))
            options.append(Option(prompt, id=lesson.key))
        options.append(_heading(f"Exercises ({len(exercises)})"))
        for ex in exercises:
            state = progress.exercises.get(ex.slug, ExerciseState()).state
            options.append(Option(exercise_prompt(ex, state), id=ex.key))
        if not exercises:
            options.append(Option("    The exercises are not here yet.", disabled=True))
        self.set_options(options)
        ids = {option.id for option in options}
        if current in ids:
            self.highlighted = self.get_option_index(current)
