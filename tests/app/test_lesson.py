"""The lesson screen: moving through the course, the answer, the exercise, links, examples."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.message import Message
from textual.notifications import Notify
from textual.widgets import Markdown, Static, TextArea

from tutor.app import TutorApp
from tutor.course import Exercise, Lesson
from tutor.screens.exercise import ExerciseScreen
from tutor.screens.home import HomeScreen
from tutor.screens.lesson import LessonScreen
from tutor.screens.playground import PlaygroundScreen
from tutor.screens.toc import TocScreen


def shown_lesson(app: TutorApp) -> int:
    assert isinstance(app.screen, LessonScreen), app.screen
    return app.screen.lesson.number


async def test_n_p_and_arrows_move_between_lessons(app: TutorApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        assert shown_lesson(app) == 1
        await pilot.press("n")
        await pilot.pause()
        assert shown_lesson(app) == 2
        await pilot.press("right")
        await pilot.pause()
        assert shown_lesson(app) == 3
        await pilot.press("p", "left")
        await pilot.pause()
        assert shown_lesson(app) == 1
        await pilot.press("p")
        await pilot.pause()
        assert shown_lesson(app) == 1
        assert len(app.screen_stack) == 2


async def test_t_opens_the_contents_and_jumps(app: TutorApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter", "t")
        await pilot.pause()
        assert isinstance(app.screen, TocScreen)
        await pilot.press("down", "down", "down", "enter")
        await pilot.pause()
        assert shown_lesson(app) == 4
        assert len(app.screen_stack) == 2


async def test_a_reveals_the_answer_and_hides_it_again(
    left_off_at: Callable[[str], TutorApp], lessons: tuple[Lesson, ...]
) -> None:
    lesson = next(le for le in lessons if le.answer)
    app = left_off_at(lesson.key)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        answer = app.screen.query_one("#answer", Markdown)
        assert not answer.display
        await pilot.press("a")
        await pilot.pause()
        assert answer.display
        assert answer.source == lesson.answer
        assert app.screen.has_class("-answer-shown")
        await pilot.press("a")
        await pilot.pause()
        assert not answer.display


async def test_e_opens_the_exercise_and_escape_comes_back(
    left_off_at: Callable[[str], TutorApp],
    lessons: tuple[Lesson, ...],
    exercises: tuple[Exercise, ...],
) -> None:
    if not exercises:
        pytest.skip("exercises/ is still empty")
    exercise = exercises[0]
    lesson = next(le for le in lessons if le.number == exercise.lesson)
    app = left_off_at(lesson.key)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, ExerciseScreen)
        assert app.screen.exercise == exercise
        assert app.progress.last_screen == exercise.key
        how_to = str(app.screen.query_one("#how-to", Static).render())
        assert f"cnn-tutor check {exercise.number}" in how_to
        assert exercise.folder.name in how_to
        await pilot.press("escape")
        await pilot.pause()
        assert shown_lesson(app) == lesson.number


async def test_e_without_an_exercise_says_so(
    left_off_at: Callable[[str], TutorApp],
    lessons: tuple[Lesson, ...],
    exercises: tuple[Exercise, ...],
) -> None:
    prepared = {ex.lesson for ex in exercises}
    lesson = next(le for le in lessons if le.number not in prepared)
    app = left_off_at(lesson.key)
    seen: list[Message] = []
    async with app.run_test(size=(80, 24), message_hook=seen.append) as pilot:
        await pilot.press("e")
        await pilot.pause()
        assert shown_lesson(app) == lesson.number
    notices = [m.notification.message for m in seen if isinstance(m, Notify)]
    assert "No exercise for this lesson" in notices


async def test_r_opens_the_first_example_in_the_playground(
    left_off_at: Callable[[str], TutorApp], lessons: tuple[Lesson, ...]
) -> None:
    lesson = next(le for le in lessons if le.examples)
    app = left_off_at(lesson.key)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, PlaygroundScreen)
        editor = app.screen.query_one(TextArea)
        assert not editor.read_only
        assert editor.text.rstrip("\n") == lesson.examples[0].rstrip("\n")
        await pilot.press("escape", "escape")  # out of the editor, then back
        await pilot.pause()
        assert shown_lesson(app) == lesson.number


async def test_links_to_a_lesson_and_an_exercise_are_followed(
    left_off_at: Callable[[str], TutorApp],
    lessons: tuple[Lesson, ...],
    exercises: tuple[Exercise, ...],
) -> None:
    app = left_off_at(lessons[0].key)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        body = app.screen.query_one("#lesson-body", Markdown)
        body.post_message(Markdown.LinkClicked(body, lessons[4].path.name))
        await pilot.pause()
        assert shown_lesson(app) == 5
        if exercises:
            href = f"../exercises/{exercises[0].folder.name}/README.md"
            body = app.screen.query_one("#lesson-body", Markdown)
            body.post_message(Markdown.LinkClicked(body, href))
            await pilot.pause()
            assert isinstance(app.screen, ExerciseScreen)
            assert app.screen.exercise == exercises[0]


async def test_escape_and_h_go_home(app: TutorApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter", "escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("enter", "h")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert len(app.screen_stack) == 2
