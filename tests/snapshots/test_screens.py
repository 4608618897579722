"""Snapshots of the home screen and of lesson 1, on a small and on a large terminal."""

from __future__ import annotations

from pathlib import Path

import pytest

from tutor.app import TutorApp

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


@pytest.mark.parametrize("size", SIZES)
def test_home(snap_compare, learner_home: Path, size: tuple[int, int]) -> None:
    assert snap_compare(TutorApp(learner_home), terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_lesson_1(snap_compare, learner_home: Path, size: tuple[int, int]) -> None:
    assert snap_compare(TutorApp(learner_home), press=["enter"], terminal_size=size)
