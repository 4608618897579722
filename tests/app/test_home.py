"""The home screen: the course map, opening an item, and starting on a damaged state file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.message import Message
from textual.notifications import Notify

from tutor.app import TutorApp
from tutor.course import Exercise, Lesson, load_exercises
from tutor.paths import lessons_dir
from tutor.progress import Progress
from tutor.screens.home import HomeScreen
from tutor.screens.lesson import LessonScreen
from tutor.widgets.course_map import CourseMap


def map_ids(app: TutorApp) -> list[str]:
    course_map = app.screen.query_one(CourseMap)
    return [option.id for option in course_map.options if option.id is not None]


def test_the_course_holds_every_lesson_file(lessons: tuple[Lesson, ...]) -> None:
    assert [lesson.path.name for lesson in lessons] == sorted(
        path.name for path in lessons_dir().glob("*.md")
    )


async def test_home_lists_every_lesson_and_exercise(
    app: TutorApp, lessons: tuple[Lesson, ...], exercises: tuple[Exercise, ...]
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        ids = map_ids(app)
        assert [i for i in ids if i.startswith("lesson-")] == [le.key for le in lessons]
        assert [i for i in ids if i.startswith("exercise-")] == [ex.key for ex in exercises]


async def test_enter_opens_the_highlighted_lesson_and_marks_it_read(
    app: TutorApp, learner_home: Path, lessons: tuple[Lesson, ...]
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.screen.query_one(CourseMap).highlighted_option.id == lessons[0].key
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, LessonScreen)
        assert app.screen.lesson == lessons[0]
    saved = Progress.load(learner_home)
    assert saved.lessons_read == {lessons[0].key}
    assert saved.last_screen == lessons[0].key


async def test_back_home_the_next_lesson_is_suggested(
    app: TutorApp, lessons: tuple[Lesson, ...]
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter", "escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert app.screen.query_one(CourseMap).highlighted_option.id == lessons[1].key
        assert app.progress.last_screen == "home"


async def test_a_damaged_progress_file_is_set_aside_with_a_notice(learner_home: Path) -> None:
    (learner_home / "progress.json").write_text("{not json", encoding="utf-8")
    seen: list[Message] = []
    app = TutorApp(learner_home)
    async with app.run_test(size=(80, 24), message_hook=seen.append) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
    notices = [m.notification.message for m in seen if isinstance(m, Notify)]
    assert any("damaged" in notice for notice in notices)
    assert list(learner_home.glob("progress.json.corrupt-*"))


async def test_without_exercises_the_map_lists_none(
    learner_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "no-exercises"
    empty.mkdir()
    monkeypatch.setattr("tutor.app.load_exercises", lambda: load_exercises(empty))
    app = TutorApp(learner_home)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert not [i for i in map_ids(app) if i.startswith("exercise-")]
        await pilot.press("enter", "e")
        await pilot.pause()
        assert isinstance(app.screen, LessonScreen)


async def test_a_passed_exercise_shows_its_state(
    learner_home: Path, exercises: tuple[Exercise, ...]
) -> None:
    if not exercises:
        pytest.skip("exercises/ is still empty")
    data = {"exercises": {exercises[0].slug: {"state": "passed", "tries": 1}}}
    (learner_home / "progress.json").write_text(json.dumps(data), encoding="utf-8")
    app = TutorApp(learner_home)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        course_map = app.screen.query_one(CourseMap)
        prompt = str(course_map.get_option(exercises[0].key).prompt)
        assert "passed" in prompt
