"""The headless core never imports textual, and the UI process never imports torch.

The modules are found by walking tutor/ on disk, so a module added later is covered without
touching this file: anything outside the UI's own places is core and must stay headless.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import tutor

PACKAGE = Path(tutor.__file__).parent
# The UI: the app, the messages that cross screens, and one module per screen and widget.
UI_PARTS = ("tutor.app", "tutor.messages", "tutor.screens", "tutor.widgets")
# Benchmarks that drive the real UI on purpose (a developer tool, never loaded by the tutor).
DRIVES_THE_UI = ("tutor.bench.ui", "tutor.bench.playground")
HEAVY = ["torch", "numpy", "pandas", "sklearn"]


def _is_under(module: str, parts: tuple[str, ...]) -> bool:
    return any(module == part or module.startswith(part + ".") for part in parts)


def all_modules() -> list[str]:
    """Every module of the tutor package, by its dotted name, from the files on disk."""
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
        names.append(".".join(parts))
    return names


MODULES = all_modules()
CORE = [m for m in MODULES if not _is_under(m, UI_PARTS + DRIVES_THE_UI)]
UI = [m for m in MODULES if _is_under(m, UI_PARTS)]

# Imports each module in turn and names the first one after which a forbidden module appears.
IMPORT_EACH = """
import importlib, json, sys
modules, forbidden = json.loads(sys.argv[1]), json.loads(sys.argv[2])
culprits = {}
for module in modules:
    importlib.import_module(module)
    for name in forbidden:
        if name in sys.modules and name not in culprits:
            culprits[name] = module
print(json.dumps(culprits))
"""

START_APP = """
import asyncio, json, sys
from pathlib import Path
from tutor.app import TutorApp

async def press(pilot, key, then) -> None:
    # Press a key, then let the app run until the screen it leads to has really mounted.
    await pilot.press(key)
    for _ in range(1000):
        if type(pilot.app.screen).__name__ == then and pilot.app.screen.is_mounted:
            return
        await pilot.pause()
    raise SystemExit(f"{key} did not lead to {then}: {pilot.app.screen!r}")

async def visit() -> None:
    app = TutorApp(Path(sys.argv[1]))
    async with app.run_test(size=(80, 24)) as pilot:
        for place in app.places:  # every lesson and exercise screen
            app.go(place)
            await pilot.pause()
        app.go("lesson-01")
        await press(pilot, "r", "PlaygroundScreen")  # the lesson's example, in the playground
        await press(pilot, "escape", "PlaygroundScreen")  # leaves the editor
        await press(pilot, "question_mark", "HelpScreen")
        await press(pilot, "escape", "PlaygroundScreen")
        await press(pilot, "ctrl+p", "CommandPalette")
        while not app.screen.query("CommandList"):
            await pilot.pause()
        await press(pilot, "l", "CommandPalette")
        await press(pilot, "escape", "PlaygroundScreen")

asyncio.run(visit())
print(json.dumps(sorted(name for name in {heavy} if name in sys.modules)))
"""


def run_python(code: str, *args: str, timeout: int = 120) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def imported_by(modules: list[str], forbidden: list[str]) -> dict[str, str]:
    """{forbidden module: the first of `modules` that brought it in}, from a fresh process."""
    return json.loads(run_python(IMPORT_EACH, json.dumps(modules), json.dumps(forbidden)))


def test_the_walk_finds_the_core_and_the_ui() -> None:
    """The walk sees the modules the tutor is built from, so the tests below cover them."""
    for known in ("tutor.course", "tutor.progress", "tutor.shapes", "tutor.sandbox.client"):
        assert known in CORE, (known, CORE)
    for known in ("tutor.app", "tutor.screens.lesson", "tutor.widgets.shape_trace"):
        assert known in UI, (known, UI)
    assert len(CORE) + len(UI) + len(DRIVES_THE_UI) == len(MODULES)


def test_every_core_module_leaves_textual_out() -> None:
    culprits = imported_by(CORE, ["textual"])
    assert culprits == {}, f"these core modules import textual: {culprits}"


def test_every_ui_module_leaves_torch_and_friends_out() -> None:
    culprits = imported_by(UI, HEAVY)
    assert culprits == {}, f"the UI process would load: {culprits}"


@pytest.mark.parametrize("forbidden", ["textual", "torch"])
def test_the_check_notices_a_module_that_breaks_the_rule(forbidden: str) -> None:
    """The import walk is not blind: a module that pulls in the forbidden one is named."""
    culprits = imported_by(["tutor.course", forbidden, "tutor.paths"], [forbidden])
    assert culprits == {forbidden: forbidden}


def test_starting_the_app_leaves_torch_and_friends_out(learner_home: Path) -> None:
    script = START_APP.replace("{heavy}", repr(HEAVY))
    loaded = json.loads(run_python(script, str(learner_home), timeout=600))  # every screen
    assert loaded == []


def test_the_grader_leaves_torch_and_friends_out() -> None:
    """`cnn-tutor grade` runs many workers that hold torch; the grader itself holds none."""
    code = (
        "import sys, json, tutor.grading, tutor.commands.grade; "
        f"print(json.dumps(sorted(n for n in {HEAVY!r} if n in sys.modules)))"
    )
    assert json.loads(run_python(code)) == []
