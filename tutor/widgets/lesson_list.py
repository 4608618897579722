"""A list of the lessons, each with a tick once read: the side list and the contents."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from textual.content import Content
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from tutor.course import Lesson

READ_MARK = "✓"


def lesson_prompt(lesson: Lesson, read: bool) -> Content:
    """One lesson's row: a tick when read, its number and its title."""
    mark = (f" {READ_MARK} ", "$success") if read else "   "
    return Content.assemble(mark, (f"{lesson.number:>2}  ", "$text-muted"), lesson.title)


class LessonList(OptionList):
    """The lessons in order; the option ids are the lesson keys ("lesson-03")."""

    def show(self, lessons: Sequence[Lesson], read: Collection[str], current: str | None) -> None:
        """Fill the list and highlight the `current` lesson, if any."""
        self.set_options(
            Option(lesson_prompt(lesson, lesson.key in read), id=lesson.key) for lesson in lessons
        )
        if current is not None and any(lesson.key == current for lesson in lessons):
            self.highlighted = self.get_option_index(current)
