"""Snapshots of a form exercise (1) and a code exercise (5) before checking, small and large."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from tutor.app import TutorApp

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


def app_at(home: Path, place: str, monkeypatch: pytest.MonkeyPatch) -> TutorApp:
    """The app resumed at `place`, with the answer file shown as ~/learner-home/... ."""
    monkeypatch.setenv("HOME", str(home.parent))
    data = {"version": 1, "lessons_read": [], "last_screen": place}
    (home / "progress.json").write_text(json.dumps(data), encoding="utf-8")
    return TutorApp(home)


async def still_cursor(pilot: Pilot[None]) -> None:
    await pilot.pause()
    for widget in pilot.app.screen.query("Input, TextArea"):
        assert isinstance(widget, (Input, TextArea))
        widget.cursor_blink = False
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
def test_form_exercise(
    snap_compare, learner_home: Path, monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]
) -> None:
    app = app_at(learner_home, "exercise-01", monkeypatch)
    assert snap_compare(app, run_before=still_cursor, terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_code_exercise(
    snap_compare, learner_home: Path, monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]
) -> None:
    app = app_at(learner_home, "exercise-05", monkeypatch)
    assert snap_compare(app, run_before=still_cursor, terminal_size=size)
