"""The course is data: what lessons/ and exercises/ hold is all the tutor and its help know.

Pictures named in a lesson must exist, and the command-line help reads its exercise numbers
from the exercise folders rather than repeating them.
"""

from __future__ import annotations

import importlib
import re
import subprocess
import sys

import pytest

from tutor.course import exercise_numbers, load_exercises, load_lessons
from tutor.screens.lesson import PICTURES, PictureBlock, split_pictures

LESSONS = {lesson.path.name: lesson for lesson in load_lessons()}


def unknown_pictures(markdown: str) -> list[str]:
    """The names of the picture blocks of a lesson that no picture widget answers to."""
    blocks = [part for part in split_pictures(markdown) if isinstance(part, PictureBlock)]
    return [block.name for block in blocks if block.name not in PICTURES]


@pytest.mark.parametrize("name", list(LESSONS), ids=[n.removesuffix(".md") for n in LESSONS])
def test_every_picture_a_lesson_names_exists(name: str) -> None:
    unknown = unknown_pictures(LESSONS[name].markdown)
    assert not unknown, (
        f"{name} shows pictures that do not exist: {unknown}; known pictures: {', '.join(PICTURES)}"
    )


def test_an_unknown_picture_name_is_caught() -> None:
    """The check above is not blind: a misspelt name in a lesson is reported."""
    lesson = "# A lesson\n\n```picture\nconv-steper\n```\n\n```picture\npooling\n```\n"
    assert unknown_pictures(lesson) == ["conv-steper"]


def test_the_lessons_show_pictures() -> None:
    """The lessons do use picture blocks, so the test above has something to read."""
    shown = {
        part.name
        for lesson in LESSONS.values()
        for part in split_pictures(lesson.markdown)
        if isinstance(part, PictureBlock)
    }
    assert shown, "no lesson shows a picture"


@pytest.mark.parametrize("picture", list(PICTURES))
def test_every_registered_picture_has_its_widget(picture: str) -> None:
    module, name = PICTURES[picture]
    widget = getattr(importlib.import_module(module), name, None)
    assert widget is not None, f"picture {picture!r}: {module} has no {name}"
    assert callable(getattr(widget, "from_block", None)), f"{name} has no from_block"


def test_exercise_numbers_for_help_are_read_from_the_course() -> None:
    numbers = sorted(ex.number for ex in load_exercises())
    assert exercise_numbers() == f"{numbers[0]}-{numbers[-1]}"


def test_check_help_names_the_exercises_of_the_course() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tutor", "check", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    text = re.sub(r"\s+", " ", done.stdout)
    assert f"exercise number ({exercise_numbers()}) or slug" in text
