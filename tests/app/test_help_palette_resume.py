"""Help, the command palette, and resuming where the learner left off."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

from tutor.app import TutorApp
from tutor.course import Lesson
from tutor.screens.exercise import ExerciseScreen
from tutor.screens.help import HelpScreen
from tutor.screens.home import HomeScreen
from tutor.screens.lesson import LessonScreen


async def test_help_lists_the_keys_of_the_app_and_the_screen(app: TutorApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter", "question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        sections = dict(app.screen.sections)
        assert ("n, →", "Next") in sections["On this screen"]
        assert ("a", "Answer") in sections["On this screen"]
        assert ("ctrl+q", "Quit") in sections["Everywhere"]
        assert ("?", "Help") in sections["Everywhere"]
        text = str(app.screen.query_one("#help-keys", Static).render())
        assert "ctrl+q" in text and "Contents" in text
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, LessonScreen)


async def test_help_follows_the_screen_beneath(app: TutorApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        sections = dict(app.screen.sections)
        assert "On this screen" not in sections
        assert ("ctrl+q", "Quit") in sections["Everywhere"]


async def test_palette_goes_to_lesson_5(app: TutorApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"lesson 5")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, LessonScreen)
        assert app.screen.lesson.number == 5


async def test_palette_goes_to_an_exercise_and_home(app: TutorApp) -> None:
    if not app.exercises:
        return
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.press(*f"exercise {app.exercises[0].number}")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ExerciseScreen)
        await pilot.press("ctrl+p", *"home")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)


async def test_a_new_session_resumes_at_the_last_lesson(
    learner_home: Path, lessons: tuple[Lesson, ...]
) -> None:
    first = TutorApp(learner_home)
    async with first.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter", "n", "n", "n")
        await pilot.pause()
        assert isinstance(first.screen, LessonScreen)
        assert first.screen.lesson == lessons[3]
        first.exit()
    second = TutorApp(learner_home)
    async with second.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(second.screen, LessonScreen)
        assert second.screen.lesson == lessons[3]
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(second.screen, HomeScreen)


async def test_an_unknown_last_place_starts_at_home(learner_home: Path) -> None:
    (learner_home / "progress.json").write_text('{"last_screen": "lesson-99"}', encoding="utf-8")
    app = TutorApp(learner_home)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
