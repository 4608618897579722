"""Snapshots of the home screen and of lessons (the first screen of lessons 1 and 6, the
last screen of lesson 8), on a small and on a large terminal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tutor.app import TutorApp

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


def left_off_at(home: Path, place: str) -> TutorApp:
    data = {"version": 1, "lessons_read": [], "last_screen": place}
    (home / "progress.json").write_text(json.dumps(data), encoding="utf-8")
    return TutorApp(home)


@pytest.mark.parametrize("size", SIZES)
def test_home(snap_compare, learner_home: Path, size: tuple[int, int]) -> None:
    assert snap_compare(TutorApp(learner_home), terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_lesson_1(snap_compare, learner_home: Path, size: tuple[int, int]) -> None:
    assert snap_compare(TutorApp(learner_home), press=["enter"], terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_lesson_6_opens_on_its_title(
    snap_compare, learner_home: Path, size: tuple[int, int]
) -> None:
    assert snap_compare(left_off_at(learner_home, "lesson-06"), terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_lesson_8_last_screen(snap_compare, learner_home: Path, size: tuple[int, int]) -> None:
    app = left_off_at(learner_home, "lesson-08")
    assert snap_compare(app, press=["end"], terminal_size=size)
