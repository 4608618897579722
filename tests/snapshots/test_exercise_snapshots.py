"""Snapshots of a form exercise (1) and a code exercise (5) before checking, small and large;
and of exercise 5's verdict on a wrong model, with its reference diff."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from tutor.app import TutorApp
from tutor.checks import runner
from tutor.checks.loader import workspace_answer
from tutor.course import find_exercise
from tutor.sandbox.isolation import LEVEL_ENV
from tutor.screens.exercise import ExerciseScreen

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


async def type_a_sum(pilot: Pilot[None]) -> None:
    await still_cursor(pilot)
    box = pilot.app.screen.query_one("#field-cnn_params", Input)
    box.focus()
    await pilot.press(*"16 * 9 + 16")
    await pilot.pause()


def test_form_shows_the_value_of_a_sum(
    snap_compare, learner_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = app_at(learner_home, "exercise-03", monkeypatch)
    assert snap_compare(app, run_before=type_a_sum, terminal_size=(80, 24))


async def test_every_editor_is_highlighted(
    learner_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """tree-sitter is installed (textual[syntax]): the snapshots above show its colours."""
    app = app_at(learner_home, "exercise-05", monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        editors = list(app.screen.query(TextArea))
        assert editors and all(e.is_syntax_aware for e in editors)
        await pilot.press("escape", "escape", "y")  # the map, then the playground
        for _ in range(50):
            await pilot.pause(0.1)
            if app.screen.query(TextArea):
                break
        assert all(e.is_syntax_aware for e in app.screen.query(TextArea))


class StoppedClock:
    """A clock that does not move, so the verdict's "in 0.00 s" is the same on every run."""

    @staticmethod
    def perf_counter() -> float:
        return 0.0


async def check_and_show_the_diff(pilot: Pilot[None]) -> None:
    await still_cursor(pilot)
    await pilot.press("ctrl+r")
    await pilot.app.workers.wait_for_complete()
    screen = pilot.app.screen
    assert isinstance(screen, ExerciseScreen) and not screen.checking
    await pilot.pause()
    screen.query_one("#reference-diff").scroll_visible(top=True, animate=False)
    await pilot.pause()


@pytest.mark.slow
def test_code_exercise_verdict_with_the_reference_diff(
    snap_compare, learner_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real check of exercise 5's forgotten-pool mistake in the sandbox; the diff under the
    verdict marks the Linear row. The clock and the isolation level are pinned."""
    ex = find_exercise("5")
    mistake = ex.folder / "mistakes" / "in-features--second-pool-forgotten.py"
    workspace_answer(learner_home, ex).write_text(mistake.read_text(), encoding="utf-8")
    monkeypatch.setattr(runner, "time", StoppedClock)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    monkeypatch.setenv(LEVEL_ENV, "limits")
    app = app_at(learner_home, "exercise-05", monkeypatch)
    assert snap_compare(app, run_before=check_and_show_the_diff, terminal_size=(120, 40))
