"""The playground with a real sandbox: run, explain, stop, keep edits, train and compare."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static, TextArea

from tutor.app import TutorApp
from tutor.playground_harness import DEFAULT_EXAMPLE
from tutor.sandbox.client import Sandbox
from tutor.screens.home import HomeScreen
from tutor.screens.playground import PlaygroundScreen
from tutor.widgets.explanation_panel import ExplanationPanel
from tutor.widgets.loss_plot import LossPlot
from tutor.widgets.results_view import ResultsView
from tutor.widgets.shape_trace import ShapeTraceTable

pytestmark = pytest.mark.slow

WAIT_S = 120.0  # a safety net for a stuck run, not a timing assertion
LEVEL_WORDS = ("full isolation (bubblewrap)", "partial isolation", "weak isolation")


async def wait_for(pilot: Pilot[None], condition: Callable[[], bool], what: str) -> None:
    """Let the app run until `condition` holds."""
    for _ in range(int(WAIT_S / 0.1)):
        if condition():
            return
        await pilot.pause(0.1)
    raise AssertionError(f"gave up waiting for {what}")


async def open_example(pilot: Pilot[None]) -> PlaygroundScreen:
    await pilot.pause()
    await pilot.press("r")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, PlaygroundScreen), "playground")
    return pilot.app.screen  # type: ignore[return-value]


async def run_to_end(pilot: Pilot[None], screen: PlaygroundScreen, key: str) -> None:
    """Start a run with `key` and wait for its outcome (a warm run of a short script can
    start and end between two looks at the screen)."""
    before = screen.runs
    await pilot.press(key)
    await wait_for(pilot, lambda: screen.runs > before, "the run to start")
    await wait_for(pilot, lambda: not screen.running and bool(screen.outcome), "the run to end")


def shows_isolation(note: Static, box: Sandbox | None) -> bool:
    """The one-line sandbox note is on screen and its level words are not cut off."""
    text = str(note.render())
    words = next((w for w in LEVEL_WORDS if w in text), "")
    visible = note.region.width >= len(text.split(words)[0] + words) if words else False
    return bool(box and box.level) and visible and note.region.bottom <= note.screen.size.height


def editor(screen: PlaygroundScreen) -> TextArea:
    return screen.query_one("#pg-editor", TextArea)


def job_processes(box: Sandbox) -> list[int]:
    """Processes under the sandbox worker other than its spare pair: what a job left behind."""
    assert box._proc is not None
    children: dict[int, list[int]] = {}
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            state, ppid = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[:2]
        except (OSError, ValueError):
            continue
        if state != "Z":
            children.setdefault(int(ppid), []).append(int(entry))
    found: list[tuple[int, int]] = []
    todo = [(box._proc.pid, 0)]
    while todo:
        pid, depth = todo.pop()
        for child in children.get(pid, []):
            try:
                cmd = Path(f"/proc/{child}/cmdline").read_bytes()
            except OSError:
                continue
            if b"tutor.sandbox.worker" in cmd and not cmd.startswith(b"bwrap"):
                found.append((depth + 1, child))
            todo.append((child, depth + 1))
    if not found:
        return []
    top = min(depth for depth, _ in found)
    return [pid for depth, pid in found if depth > top and not _waiting_spare(pid)]


def _waiting_spare(pid: int) -> bool:
    try:
        wchan = Path(f"/proc/{pid}/wchan").read_text()
    except OSError:
        return True
    return wchan in ("pipe_read", "do_wait", "anon_pipe_read")


async def test_lesson_7_example_runs_with_its_shape_trace(
    left_off_at: Callable[[str], TutorApp],
) -> None:
    app = left_off_at("lesson-07")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_example(pilot)
        await run_to_end(pilot, screen, "f5")
        assert screen.outcome == "ok"
        table = screen.query_one(ShapeTraceTable)
        rows = [table.get_row_at(i) for i in range(table.row_count)]
        assert any(
            row[1] == "(8, 16, 28, 28)" and row[0].lstrip().startswith("Conv2d") for row in rows
        )
        assert any(row[3] == "⌊(28 − 3 + 2·1)/1⌋ + 1 = 28" for row in rows)
        assert any(row[3] == "⌊(28 − 2 + 2·0)/2⌋ + 1 = 14" for row in rows)
        assert [row[4] for row in rows if row[4]][:2] == ["3×3 px", "4×4 px"]  # conv, pool
        # The formula and the field are in view at 100 columns without scrolling sideways.
        assert table.scroll_x == 0 and table.virtual_size.width <= table.size.width
        detail = str(screen.query_one("#pg-trace-detail", Static).render())
        assert "⌊(28 − 3 + 2·1)/1⌋ + 1 = 28" in detail and "receptive field 3×3 px" in detail
        assert screen.query_one(LossPlot).series[-1].values  # the example's one loss call


async def test_a_broken_model_is_explained_at_its_line(
    left_off_at: Callable[[str], TutorApp],
) -> None:
    app = left_off_at("lesson-07")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_example(pilot)
        text = editor(screen).text
        editor(screen).load_text(text.replace("nn.Linear(3136, 10)", "nn.Linear(3000, 10)"))
        await run_to_end(pilot, screen, "f5")
        assert screen.outcome == "error"
        panel = screen.query_one(ExplanationPanel)
        assert panel.display
        line = int(str(panel.border_title).rsplit("line ", 1)[1])
        assert "3000" in str(panel.render()) or "3136" in str(panel.render())
        assert editor(screen).cursor_location == (line - 1, 0)
        assert "model[4]" in editor(screen).document.get_line(line - 1)
        assert editor(screen).has_focus


async def test_stop_ends_the_job_at_once(left_off_at: Callable[[str], TutorApp]) -> None:
    app = left_off_at("lesson-07")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_example(pilot)
        editor(screen).load_text("import time\nwhile True:\n    time.sleep(0.01)\n")
        await pilot.press("f5")
        await wait_for(pilot, lambda: screen.running, "the run to start")
        box = screen.sandbox
        assert box is not None
        await wait_for(pilot, lambda: bool(job_processes(box)), "the job's process")
        await pilot.press("f7")
        await wait_for(pilot, lambda: not screen.running, "the run to stop")
        await wait_for(pilot, lambda: not job_processes(box), "the job's processes to end")
        assert screen.outcome == "stopped"
        assert not screen.has_class("-running")
        assert not screen.workers or all(w.group != "sandbox" for w in screen.workers)


async def test_edits_survive_a_restart(
    learner_home: Path, left_off_at: Callable[[str], TutorApp]
) -> None:
    app = left_off_at("lesson-07")
    saved = learner_home / "playground" / "lesson-07-1.py"
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_example(pilot)
        editor(screen).move_cursor((0, 0))
        await pilot.press("#", " ", "m", "i", "n", "e", "enter")
        await wait_for(pilot, saved.is_file, "the edit to be saved")
    assert saved.read_text(encoding="utf-8").startswith("# mine\nimport torch")
    async with left_off_at("lesson-07").run_test(size=(80, 24)) as pilot:
        screen = await open_example(pilot)
        assert editor(screen).text.startswith("# mine\nimport torch")


async def test_training_twice_overlays_the_runs_and_saves_the_model(
    learner_home: Path, left_off_at: Callable[[str], TutorApp]
) -> None:
    app = left_off_at("lesson-07")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_example(pilot)
        screen.query_one("#epochs", Input).value = "1"
        await run_to_end(pilot, screen, "f6")
        assert screen.outcome == "ok"
        results = screen.query_one(ResultsView)
        assert results.accuracy is not None and 0.0 <= results.accuracy <= 1.0
        assert len(results.confusion) == 10 and all(len(row) == 10 for row in results.confusion)
        assert sum(map(sum, results.confusion)) == 360  # a fifth of the 1,797 digits
        saved = json.loads((learner_home / "playground" / "last_model.json").read_text())
        assert len(saved["filters"]) == 16 and len(saved["filters"][0]) == 3
        assert len(saved["feature_maps"]) == 16 and len(saved["feature_maps"][0]) == 28
        assert len(saved["digit"]) == 28

        screen.query_one("#lr", Input).value = "0.01"
        await run_to_end(pilot, screen, "f6")
        plot = screen.query_one(LossPlot)
        assert [s.label for s in plot.series] == ["run 1 sgd lr=0.1", "run 2 sgd lr=0.01"]
        assert all(s.values and s.epoch_means for s in plot.series)
        await pilot.press("f8")
        assert [s.label for s in plot.series] == ["run 2 sgd lr=0.01"]


async def test_a_bad_data_file_stays_explained_until_the_next_run(
    left_off_at: Callable[[str], TutorApp], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("label,pixel0\nseven,0\n", encoding="utf-8")
    app = left_off_at("lesson-07")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_example(pilot)
        screen.query_one("#data", Input).value = f"csv:{bad}"
        await pilot.press("f5")
        panel = screen.query_one(ExplanationPanel)
        await wait_for(pilot, lambda: panel.display and not screen.running, "the explanation")
        said = str(panel.render())
        assert str(bad) in said and "Traceback" not in said
        assert screen.outcome == "error"
        await pilot.pause(1.0)  # a toast would be gone by now; the panel is not
        assert panel.display and str(bad) in str(panel.render())
        assert "stopped" not in str(screen.query_one("#run-status", Static).render())
        screen.query_one("#data", Input).value = "digits"
        editor(screen).load_text("print('fine')\n")
        await run_to_end(pilot, screen, "f5")
        assert screen.outcome == "ok" and not panel.display


async def test_the_home_key_and_the_palette_open_the_built_in_example(app: TutorApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, PlaygroundScreen), "playground")
        assert editor(app.screen).text == DEFAULT_EXAMPLE  # type: ignore[arg-type]
        await pilot.press("escape", "escape")  # the first leaves the editor
        await wait_for(pilot, lambda: isinstance(app.screen, HomeScreen), "home")

        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"playground")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, PlaygroundScreen), "playground")
        sub_title = app.screen.sub_title
        assert sub_title is not None and "built-in example" in sub_title


async def test_the_isolation_level_is_shown_after_a_run(
    left_off_at: Callable[[str], TutorApp],
) -> None:
    app = left_off_at("lesson-07")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_example(pilot)
        editor(screen).load_text("print('hello')\n")
        await run_to_end(pilot, screen, "f5")
        assert screen.outcome == "ok"
        note = screen.query_one("#pg-sandbox", Static)
        assert shows_isolation(note, screen.sandbox)
        assert screen.sandbox is not None and screen.sandbox.note in str(note.render())
