"""Snapshots of the playground after lesson 7's example ran (a fixed seed, so a fixed trace).

The machine shows through the device label and the sandbox note, so both are pinned: no GPU
(CUDA_VISIBLE_DEVICES empty) and the isolation level every machine has (limits).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tutor.app import TutorApp
from tutor.sandbox.isolation import LEVEL_ENV
from tutor.screens.playground import PlaygroundScreen

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


async def run_lesson_7_example(pilot: Pilot[None]) -> None:
    pilot.app.animation_level = "none"  # no tab underline caught mid-slide
    await pilot.pause()
    await pilot.press("r")
    for _ in range(1200):  # a safety net of two minutes, not a timing assertion
        screen = pilot.app.screen
        if isinstance(screen, PlaygroundScreen) and screen.sandbox and screen.sandbox.info.pid:
            break
        await pilot.pause(0.1)
    await pilot.press("f5")
    for _ in range(1200):
        if screen.outcome and not screen.running:
            break
        await pilot.pause(0.1)
    await pilot.pause(0.3)


@pytest.mark.slow
@pytest.mark.parametrize("size", SIZES)
def test_playground_after_a_run(
    snap_compare, learner_home: Path, monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]
) -> None:
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    monkeypatch.setenv(LEVEL_ENV, "limits")
    progress = {"version": 1, "lessons_read": [], "last_screen": "lesson-07"}
    (learner_home / "progress.json").write_text(json.dumps(progress), encoding="utf-8")
    app = TutorApp(learner_home)
    assert snap_compare(app, run_before=run_lesson_7_example, terminal_size=size)
