"""The exercise screen: a form and a code exercise from first try to solution, on real sandboxes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.message import Message
from textual.notifications import Notify
from textual.pilot import Pilot
from textual.widgets import Input, Static

from tutor.app import TutorApp
from tutor.course import Exercise
from tutor.progress import PASSED, Progress
from tutor.sandbox.client import Sandbox
from tutor.screens.confirm import ConfirmScreen
from tutor.screens.exercise import ExerciseScreen
from tutor.screens.home import HomeScreen
from tutor.screens.solution import SolutionScreen
from tutor.widgets.answer_editor import AnswerEditor
from tutor.widgets.course_map import CourseMap
from tutor.widgets.hint_panel import HintPanel
from tutor.widgets.verdict_list import PartRow

LEVELS = ("full isolation (bubblewrap)", "partial isolation", "weak isolation")
WRONG_C = {"a": "16, 32, 32", "b": "16, 28, 28", "c": "16, 32, 32", "d": "3, 16, 16"}


def find(exercises: tuple[Exercise, ...], number: int) -> Exercise:
    return next(ex for ex in exercises if ex.number == number)


def screen(app: TutorApp) -> ExerciseScreen:
    assert isinstance(app.screen, ExerciseScreen), app.screen
    return app.screen


def parts(app: TutorApp) -> dict[str, PartRow]:
    return {row.part.id: row for row in screen(app).query(PartRow)}


async def fill(pilot: Pilot[None], values: dict[str, str]) -> None:
    """Type each value into its box, as a learner would."""
    for name, text in values.items():
        box = pilot.app.screen.query_one(f"#field-{name}", Input)
        box.focus()
        box.value = ""
        await pilot.press(*text)


async def check(pilot: Pilot[None]) -> None:
    await pilot.press("ctrl+r")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def notices(seen: list[Message]) -> list[str]:
    return [m.notification.message for m in seen if isinstance(m, Notify)]


async def test_form_exercise_from_first_try_to_solution(
    left_off_at: Callable[[str], TutorApp], learner_home: Path, exercises: tuple[Exercise, ...]
) -> None:
    ex = find(exercises, 1)
    app = left_off_at(ex.key)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await fill(pilot, WRONG_C)
        await check(pilot)
        rows = parts(app)
        assert not rows["c-stride"].part.passed
        assert "stride" in rows["c-stride"].part.message
        assert rows["a-same-padding"].part.passed
        box = screen(app).box
        assert box is not None and box.torch is False

        hints = screen(app).query_one(HintPanel)
        await pilot.press("f2")
        assert len(hints.query(".hint")) == 1
        await pilot.press("f2")
        assert len(hints.query(".hint")) == 2
        assert Progress.load(learner_home).exercise(ex.slug).hints_shown == 2

        await fill(pilot, {"c": "16, 16, 16"})
        await check(pilot)
        assert all(row.part.passed for row in parts(app).values())
        answer = (learner_home / "workspace" / f"{ex.folder.name}.py").read_text()
        assert "c = (16, 16, 16)" in answer and "d = (3, 16, 16)" in answer
        saved = Progress.load(learner_home).exercise(ex.slug)
        assert saved.state == PASSED and saved.tries == 2

        await pilot.press("f3")
        assert isinstance(app.screen, SolutionScreen)
        await pilot.press("escape", "escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        prompt = str(app.screen.query_one(CourseMap).get_option(ex.key).prompt)
        assert "passed" in prompt


async def test_invalid_input_is_explained_and_not_checked(
    left_off_at: Callable[[str], TutorApp], learner_home: Path
) -> None:
    app = left_off_at("exercise-01")
    seen: list[Message] = []
    async with app.run_test(size=(80, 24), message_hook=seen.append) as pilot:
        await pilot.pause()
        await fill(pilot, {"a": "16, 32"})
        error = screen(app).query_one("#error-a", Static)
        assert error.display
        assert "enter three whole numbers, e.g. 16, 32, 32" in str(error.render())
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert not screen(app).checking
        assert not parts(app)
    assert "Fix the box marked in red first, then check again." in notices(seen)
    assert Progress.load(learner_home).exercise("conv-arithmetic").tries == 0


async def test_the_form_is_filled_from_the_answer_file(
    left_off_at: Callable[[str], TutorApp], learner_home: Path, exercises: tuple[Exercise, ...]
) -> None:
    ex = find(exercises, 3)
    workspace = learner_home / "workspace"
    workspace.mkdir()
    text = 'cnn_params = 31530\nmlp_params = 79510\nmore_parameters = "mlp"\n'
    (workspace / f"{ex.folder.name}.py").write_text(text)
    app = left_off_at(ex.key)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        form = screen(app).query_one("#exercise-answer")
        assert form.query_one("#field-cnn_params", Input).value == "31530"
        assert form.query_one("#field-more_parameters").value == "mlp"  # type: ignore[attr-defined]
        assert form.query_one("#field-generalises_better").is_blank()  # type: ignore[attr-defined]


async def test_code_exercise_from_first_try_to_solution(
    left_off_at: Callable[[str], TutorApp], learner_home: Path, exercises: tuple[Exercise, ...]
) -> None:
    ex = find(exercises, 5)
    app = left_off_at(ex.key)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        editor = screen(app).query_one(AnswerEditor)
        assert editor.has_focus
        assert editor.text == ex.starter
        await check(pilot)
        assert parts(app) and not all(row.part.passed for row in parts(app).values())
        box = screen(app).box
        assert box is not None and box.torch is True

        editor.load_text(ex.solution)
        await check(pilot)
        assert all(row.part.passed for row in parts(app).values())
        assert (learner_home / "workspace" / f"{ex.folder.name}.py").read_text() == ex.solution
        assert Progress.load(learner_home).exercise(ex.slug).state == PASSED
        await pilot.press("escape", "escape")  # the first leaves the editor
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert box._proc is not None  # kept warm for the next screen ...
    assert box._proc is None  # ... and stopped with the app


async def test_code_edits_survive_a_restart_and_reset_restores_the_starter(
    left_off_at: Callable[[str], TutorApp], learner_home: Path, exercises: tuple[Exercise, ...]
) -> None:
    ex = find(exercises, 5)
    first = left_off_at(ex.key)
    async with first.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+e", "enter", *"# my own note")
    answer = learner_home / "workspace" / f"{ex.folder.name}.py"
    assert "# my own note" in answer.read_text()

    second = TutorApp(learner_home)
    async with second.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        editor = screen(second).query_one(AnswerEditor)
        assert "# my own note" in editor.text
        await pilot.press("f4")
        assert isinstance(second.screen, ConfirmScreen)
        await pilot.press("n")
        assert "# my own note" in editor.text
        await pilot.press("f4", "y")
        await pilot.pause()
        assert editor.text == ex.starter
        assert answer.read_text() == ex.starter


async def test_the_solution_waits_for_three_tries_and_a_confirmation(
    left_off_at: Callable[[str], TutorApp], learner_home: Path
) -> None:
    app = left_off_at("exercise-01")
    seen: list[Message] = []
    async with app.run_test(size=(80, 24), message_hook=seen.append) as pilot:
        await pilot.pause()
        await pilot.press("f3")
        assert isinstance(app.screen, ExerciseScreen)
        for _ in range(3):
            await check(pilot)
        await pilot.press("f3")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert isinstance(app.screen, ExerciseScreen)
        assert not Progress.load(learner_home).exercise("conv-arithmetic").solution_seen
        await pilot.press("f3", "y")
        await pilot.pause()
        assert isinstance(app.screen, SolutionScreen)
    assert any("after 3 checks; you have made 0" in notice for notice in notices(seen))
    saved = Progress.load(learner_home).exercise("conv-arithmetic")
    assert saved.solution_seen and saved.tries == 3 and saved.state != PASSED


async def test_code_that_does_not_parse_or_raises_is_a_failing_part(
    left_off_at: Callable[[str], TutorApp], exercises: tuple[Exercise, ...]
) -> None:
    app = left_off_at(find(exercises, 5).key)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        editor = screen(app).query_one(AnswerEditor)
        editor.load_text("class SimpleCNN(:\n")
        await check(pilot)
        assert list(parts(app)) == ["parses"]
        assert "not valid Python" in parts(app)["parses"].part.message
        editor.load_text('raise ValueError("no model today")\n')
        await check(pilot)
        assert list(parts(app)) == ["runs"]
        assert "no model today" in parts(app)["runs"].part.message
        assert isinstance(app.screen, ExerciseScreen)


async def test_a_sandbox_that_cannot_start_is_one_notice(
    left_off_at: Callable[[str], TutorApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A real Sandbox, asked for an isolation level that does not exist.
    monkeypatch.setattr(
        "tutor.screens.exercise.sandbox_for", lambda ex: Sandbox(torch=False, isolation="none-such")
    )
    app = left_off_at("exercise-01")
    seen: list[Message] = []
    async with app.run_test(size=(80, 24), message_hook=seen.append) as pilot:
        await pilot.pause()
        await check(pilot)
        assert isinstance(app.screen, ExerciseScreen)
        assert not app.screen.checking
    problems = [n for n in notices(seen) if n.startswith("The sandbox could not run the check")]
    assert len(problems) == 1 and "\n" not in problems[0]


async def test_the_isolation_level_is_shown_after_a_check(
    left_off_at: Callable[[str], TutorApp], exercises: tuple[Exercise, ...]
) -> None:
    app = left_off_at(find(exercises, 1).key)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        note = screen(app).query_one("#exercise-sandbox", Static)
        assert not str(note.render()).strip()
        await fill(pilot, WRONG_C)
        await check(pilot)
        box = screen(app).box
        assert box is not None and box.level
        text = str(note.render())
        assert text == f"sandbox: {box.note}"
        words = next(w for w in LEVELS if w in text)
        assert note.region.width >= text.index(words) + len(words)
        assert note.region.bottom <= app.size.height


async def wait_until(pilot: Pilot[None], condition: Callable[[], bool], tries: int = 60) -> bool:
    """Let the app run until `condition` holds (a bounded wait, not a timing assertion)."""
    for _ in range(tries):
        if condition():
            return True
        await pilot.pause(0.1)
    return condition()


async def test_an_external_save_is_shown_and_never_overwritten(
    left_off_at: Callable[[str], TutorApp], learner_home: Path, exercises: tuple[Exercise, ...]
) -> None:
    ex = find(exercises, 5)
    path = learner_home / "workspace" / f"{ex.folder.name}.py"
    app = left_off_at(ex.key)
    async with app.run_test(size=(80, 24)) as pilot:
        editor = screen(app).query_one(AnswerEditor)
        assert await wait_until(pilot, lambda: editor.text == ex.starter)
        path.write_text(ex.solution, encoding="utf-8")  # saved from a shell's editor
        assert await wait_until(pilot, lambda: editor.text == ex.solution)
        assert path.read_text(encoding="utf-8") == ex.solution  # not written back over
        editor.focus()
        editor.cursor_location = (editor.document.line_count - 1, 0)
        await pilot.press("#", " ", "o", "k")  # one edit in the TUI, on top of the new text
        assert await wait_until(pilot, lambda: "# ok" in path.read_text(encoding="utf-8"))
        assert path.read_text(encoding="utf-8").startswith(ex.solution.rstrip("\n"))
        await check(pilot)
        assert all(row.part.passed for row in parts(app).values())


@pytest.mark.parametrize(("key", "kept"), [("d", "disk"), ("t", "here")])
async def test_when_both_sides_changed_the_learner_chooses(
    left_off_at: Callable[[str], TutorApp],
    learner_home: Path,
    exercises: tuple[Exercise, ...],
    key: str,
    kept: str,
) -> None:
    from tutor.widgets.answer_file import KeepWhichScreen

    ex = find(exercises, 5)
    path = learner_home / "workspace" / f"{ex.folder.name}.py"
    app = left_off_at(ex.key)
    async with app.run_test(size=(80, 24)) as pilot:
        editor = screen(app).query_one(AnswerEditor)
        assert await wait_until(pilot, lambda: editor.text == ex.starter)
        editor.insert("# typed here\n", (0, 0))  # unsaved in the TUI ...
        path.write_text("# saved elsewhere\n" + ex.starter, encoding="utf-8")  # ... and a save
        assert await wait_until(pilot, lambda: isinstance(app.screen, KeepWhichScreen))
        assert path.read_text(encoding="utf-8").startswith("# saved elsewhere")  # untouched
        await pilot.press(key)
        await pilot.pause()
        wanted = "# saved elsewhere" if kept == "disk" else "# typed here"
        assert await wait_until(pilot, lambda: path.read_text(encoding="utf-8").startswith(wanted))
        assert editor.text.startswith(wanted)


async def test_an_external_save_fills_the_form(
    left_off_at: Callable[[str], TutorApp], learner_home: Path, exercises: tuple[Exercise, ...]
) -> None:
    ex = find(exercises, 4)
    path = learner_home / "workspace" / f"{ex.folder.name}.py"
    app = left_off_at(ex.key)
    async with app.run_test(size=(80, 24)) as pilot:
        box = screen(app).query_one("#field-max_pools", Input)
        await pilot.pause()
        path.write_text(ex.starter.replace("max_pools = None", "max_pools = 3 + 3"), "utf-8")
        note = screen(app).query_one("#error-max_pools", Static)
        # The value comes in, then the box's change message puts its sum under it.
        assert await wait_until(pilot, lambda: box.value == "3 + 3" and "= 6" in str(note.render()))
        assert "max_pools = 3 + 3" in path.read_text(encoding="utf-8")


async def test_progress_means_the_same_from_the_cli_and_the_tui(
    left_off_at: Callable[[str], TutorApp], learner_home: Path, exercises: tuple[Exercise, ...]
) -> None:
    import os
    import subprocess
    import sys

    from tutor.paths import HOME_ENV

    ex = find(exercises, 1)
    app = left_off_at(ex.key)  # the TUI has read the progress file before the CLI writes it
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        solution = learner_home.parent / "solution.py"
        solution.write_text(ex.solution, encoding="utf-8")
        done = subprocess.run(
            [sys.executable, "-m", "tutor", "check", "1", str(solution)],
            env={**os.environ, HOME_ENV: str(learner_home)},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        await fill(pilot, WRONG_C)  # then a failing check in the TUI
        await check(pilot)
        assert parts(app) and not all(row.part.passed for row in parts(app).values())
    state = Progress.load(learner_home).exercise(ex.slug)
    assert (state.state, state.tries, state.last) == (PASSED, 2, "failing")


async def test_the_editor_keeps_ten_lines_at_80x24_after_a_check(
    left_off_at: Callable[[str], TutorApp], exercises: tuple[Exercise, ...]
) -> None:
    app = left_off_at(find(exercises, 5).key)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await check(pilot)
        editor = screen(app).query_one(AnswerEditor)
        results = screen(app).query_one("#exercise-results")
        assert parts(app) and editor.region.height >= 10
        assert results.region.height >= 3 and results.region.y >= editor.region.bottom
        assert results.region.bottom <= app.size.height - 1  # above the footer


@pytest.mark.slow
async def test_exercise_6_chart_is_in_view_at_100x30(
    left_off_at: Callable[[str], TutorApp], learner_home: Path, exercises: tuple[Exercise, ...]
) -> None:
    ex = find(exercises, 6)
    (learner_home / "workspace").mkdir()
    (learner_home / "workspace" / f"{ex.folder.name}.py").write_text(ex.solution, "utf-8")
    app = left_off_at(ex.key)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await check(pilot)
        await pilot.pause()
        chart = screen(app).query_one("#comparison .comparison-plot")
        assert all(row.part.passed for row in parts(app).values())
        assert chart.region.height >= 8 and chart.region.bottom <= app.size.height - 1


async def test_a_value_the_form_cannot_show_is_kept_in_the_file(
    left_off_at: Callable[[str], TutorApp], learner_home: Path, exercises: tuple[Exercise, ...]
) -> None:
    ex = find(exercises, 3)  # its solution writes the counts with parentheses
    path = learner_home / "workspace" / f"{ex.folder.name}.py"
    app = left_off_at(ex.key)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        path.write_text(ex.solution, encoding="utf-8")  # saved from a shell
        note = screen(app).query_one("#error-cnn_params", Static)
        assert await wait_until(pilot, lambda: "kept as your file has it" in str(note.render()))
        await check(pilot)
        assert all(row.part.passed for row in parts(app).values())
    assert path.read_text(encoding="utf-8") == ex.solution  # never written over
