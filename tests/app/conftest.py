"""Fixtures for the Pilot tests: the app on a fresh learner home, and the course."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tutor.app import TutorApp
from tutor.course import Exercise, Lesson, load_exercises, load_lessons


@pytest.fixture
def lessons() -> tuple[Lesson, ...]:
    return load_lessons()


@pytest.fixture
def exercises() -> tuple[Exercise, ...]:
    return load_exercises()


@pytest.fixture
def app(learner_home: Path) -> TutorApp:
    return TutorApp(learner_home)


@pytest.fixture
def left_off_at(learner_home: Path) -> Callable[[str], TutorApp]:
    """An app whose learner left off at a place in an earlier session."""

    def make(place: str) -> TutorApp:
        data = {"version": 1, "lessons_read": [], "last_screen": place}
        (learner_home / "progress.json").write_text(json.dumps(data), encoding="utf-8")
        return TutorApp(learner_home)

    return make
