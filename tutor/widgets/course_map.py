"""The course map of the home screen: every lesson and exercise with the learner's state."""

from __future__ import annotations

from collections.abc import Sequence

from textual.content import Content
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from tutor.course import Exercise, Lesson
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
        options += [
            Option(lesson_prompt(lesson, lesson.key in progress.lessons_read), id=lesson.key)
            for lesson in lessons
        ]
        options.append(_heading(f"Exercises ({len(exercises)})"))
        for ex in exercises:
            state = progress.exercises.get(ex.slug, ExerciseState()).state
            options.append(Option(exercise_prompt(ex, state), id=ex.key))
        if not exercises:
            options.append(Option("    The exercises are not here yet.", disabled=True))
        self.set_options(options)
        ids = {option.id for option in options}
        if current is not None and current in ids:
            self.highlighted = self.get_option_index(current)
