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


def exercise_prompt(exercise: Exercise, state: str, title_width: int) -> Content:
    """One exercise's row: a mark, its number, its title and its state in words."""
    mark, style = _STATE_LOOK.get(state, _STATE_LOOK[NOT_STARTED])
    return Content.assemble(
        (mark, style),
        (f"{exercise.number:>2}  ", "$text-muted"),
        exercise.title.ljust(title_width),
        "  ",
        (state, style or "$text-muted"),
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
        width = max((len(exercise.title) for exercise in exercises), default=0)
        for ex in exercises:
            state = progress.exercises.get(ex.slug, ExerciseState()).state
            options.append(Option(exercise_prompt(ex, state, width), id=ex.key))
        if not exercises:
            options.append(Option("    The exercises are not here yet.", disabled=True))
        self.set_options(options)
        ids = {option.id for option in options}
        if current in ids:
            self.highlighted = self.get_option_index(current)
