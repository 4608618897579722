"""The headless core never imports textual, and the UI process never imports torch."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

CORE = [
    "tutor.course",
    "tutor.progress",
    "tutor.paths",
    "tutor.data",
    "tutor.checks",
    "tutor.sandbox",
    "tutor.grading",
]
HEAVY = ["torch", "numpy", "pandas", "sklearn"]

START_APP = """
import asyncio, json, sys
from pathlib import Path
from tutor.app import TutorApp

async def visit() -> None:
    app = TutorApp(Path(sys.argv[1]))
    async with app.run_test(size=(80, 24)) as pilot:
        for place in app.places:  # every lesson and exercise screen
            app.go(place)
            await pilot.pause()
        app.go("lesson-01")
        await pilot.press("r", "escape", "question_mark", "escape", "ctrl+p", "l", "escape")
        await pilot.pause()

asyncio.run(visit())
print(json.dumps(sorted(name for name in {heavy} if name in sys.modules)))
"""


def run_python(code: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize("module", CORE)
def test_core_module_leaves_textual_out(module: str) -> None:
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} does not exist yet")
    code = f"import sys, {module}; print('textual' in sys.modules)"
    assert run_python(code) == "False"


def test_starting_the_app_leaves_torch_and_friends_out(learner_home: Path) -> None:
    loaded = json.loads(run_python(START_APP.replace("{heavy}", repr(HEAVY)), str(learner_home)))
    assert loaded == []


def test_the_grader_leaves_torch_and_friends_out() -> None:
    """`cnn-tutor grade` runs many workers that hold torch; the grader itself holds none."""
    code = (
        "import sys, json, tutor.grading, tutor.commands.grade; "
        f"print(json.dumps(sorted(n for n in {HEAVY!r} if n in sys.modules)))"
    )
    assert json.loads(run_python(code)) == []
