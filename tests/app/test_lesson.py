"""The lesson screen: every word of every lesson on screen, moving through the course, the
answer, the predictions, the exercise, links, examples.

The render-completeness test opens each lesson in Pilot, scrolls it from top to bottom one
screenful at a time, and compares the text on screen with the lesson's source: every heading
(on a line of its own, so nothing is drawn over it), every paragraph and list item, every
table cell, every line of code (whole, not cut at the edge), every prediction's question and,
once answered, its explanation. Pictures are skipped: their text is their own tests' business.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token
from textual.message import Message
from textual.notifications import Notify
from textual.pilot import Pilot
from textual.widgets import Input, Markdown, Static, TextArea

from tutor.app import TutorApp
from tutor.course import Exercise, Lesson, load_lessons
from tutor.predictions import lesson_predictions
from tutor.screens.exercise import ExerciseScreen
from tutor.screens.home import HomeScreen
from tutor.screens.lesson import LessonScreen, PictureBlock, PredictBlock, split_pictures
from tutor.screens.playground import PlaygroundScreen
from tutor.screens.toc import TocScreen
from tutor.widgets.prediction_box import PredictionBox


def shown_lesson(app: TutorApp) -> int:
    assert isinstance(app.screen, LessonScreen), app.screen
    return app.screen.lesson.number


async def test_n_p_and_arrows_move_between_lessons(app: TutorApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        assert shown_lesson(app) == 1
        await pilot.press("n")
        await pilot.pause()
        assert shown_lesson(app) == 2
        await pilot.press("right")
        await pilot.pause()
        assert shown_lesson(app) == 3
        await pilot.press("p", "left")
        await pilot.pause()
        assert shown_lesson(app) == 1
        await pilot.press("p")
        await pilot.pause()
        assert shown_lesson(app) == 1
        assert len(app.screen_stack) == 2


async def test_t_opens_the_contents_and_jumps(app: TutorApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter", "t")
        await pilot.pause()
        assert isinstance(app.screen, TocScreen)
        await pilot.press("down", "down", "down", "enter")
        await pilot.pause()
        assert shown_lesson(app) == 4
        assert len(app.screen_stack) == 2


async def test_a_reveals_the_answer_and_hides_it_again(
    left_off_at: Callable[[str], TutorApp], lessons: tuple[Lesson, ...]
) -> None:
    lesson = next(le for le in lessons if le.answer)
    app = left_off_at(lesson.key)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        answer = app.screen.query_one("#answer", Markdown)
        assert not answer.display
        await pilot.press("a")
        await pilot.pause()
        assert answer.display
        assert answer.source == lesson.answer
        assert app.screen.has_class("-answer-shown")
        await pilot.press("a")
        await pilot.pause()
        assert not answer.display


async def test_e_opens_the_exercise_and_escape_comes_back(
    left_off_at: Callable[[str], TutorApp],
    lessons: tuple[Lesson, ...],
    exercises: tuple[Exercise, ...],
) -> None:
    if not exercises:
        pytest.skip("exercises/ is still empty")
    exercise = exercises[0]
    lesson = next(le for le in lessons if le.number == exercise.lesson)
    app = left_off_at(lesson.key)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, ExerciseScreen)
        assert app.screen.exercise == exercise
        assert app.progress.last_screen == exercise.key
        how_to = str(app.screen.query_one("#how-to", Static).render())
        assert f"cnn-tutor check {exercise.number}" in how_to
        assert exercise.folder.name in how_to
        await pilot.press("escape")
        await pilot.pause()
        assert shown_lesson(app) == lesson.number


async def test_e_without_an_exercise_says_so(
    left_off_at: Callable[[str], TutorApp],
    lessons: tuple[Lesson, ...],
    exercises: tuple[Exercise, ...],
) -> None:
    prepared = {ex.lesson for ex in exercises}
    lesson = next(le for le in lessons if le.number not in prepared)
    app = left_off_at(lesson.key)
    seen: list[Message] = []
    async with app.run_test(size=(80, 24), message_hook=seen.append) as pilot:
        await pilot.press("e")
        await pilot.pause()
        assert shown_lesson(app) == lesson.number
    notices = [m.notification.message for m in seen if isinstance(m, Notify)]
    assert "No exercise for this lesson" in notices


async def test_r_opens_the_first_example_in_the_playground(
    left_off_at: Callable[[str], TutorApp], lessons: tuple[Lesson, ...]
) -> None:
    lesson = next(le for le in lessons if le.examples)
    app = left_off_at(lesson.key)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, PlaygroundScreen)
        editor = app.screen.query_one(TextArea)
        assert not editor.read_only
        assert editor.text.rstrip("\n") == lesson.examples[0].rstrip("\n")
        await pilot.press("escape", "escape")  # out of the editor, then back
        await pilot.pause()
        assert shown_lesson(app) == lesson.number


async def test_links_to_a_lesson_and_an_exercise_are_followed(
    left_off_at: Callable[[str], TutorApp],
    lessons: tuple[Lesson, ...],
    exercises: tuple[Exercise, ...],
) -> None:
    app = left_off_at(lessons[0].key)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        body = app.screen.query_one("#lesson-body", Markdown)
        body.post_message(Markdown.LinkClicked(body, lessons[4].path.name))
        await pilot.pause()
        assert shown_lesson(app) == 5
        if exercises:
            href = f"../exercises/{exercises[0].folder.name}/README.md"
            body = app.screen.query_one("#lesson-body", Markdown)
            body.post_message(Markdown.LinkClicked(body, href))
            await pilot.pause()
            assert isinstance(app.screen, ExerciseScreen)
            assert app.screen.exercise == exercises[0]


async def test_escape_and_h_go_home(app: TutorApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter", "escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("enter", "h")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert len(app.screen_stack) == 2


async def screen_text(app: TutorApp, pilot: Pilot[None]) -> str:
    """Everything the lesson shows, read by scrolling it from top to bottom."""
    return "\n".join(line.strip() for line in (await read_the_whole_lesson(app, pilot)).lines)


async def test_a_prediction_is_typed_checked_and_only_then_explained(
    left_off_at: Callable[[str], TutorApp], lessons: tuple[Lesson, ...], learner_home: Path
) -> None:
    lesson = lessons[0]
    prediction = lesson_predictions(lesson)[0]
    explanation = prediction.reveal.split("\n")[0]
    app = left_off_at(lesson.key)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        before = await screen_text(app, pilot)
        assert flat(prediction.question)[:60] in flat(before)
        assert explanation not in before, "the explanation shows before the prediction"
        await pilot.press("tab")
        assert isinstance(app.focused, Input), app.focused
        await pilot.press(*"a lot", "enter")  # not a number: said so, nothing recorded
        await pilot.pause()
        assert "'a lot' is not a whole number" in await screen_text(app, pilot)
        assert not (learner_home / "progress.json").read_text().count('"predictions"')
        field = app.screen.query_one(Input)
        field.value = ""
        await pilot.press(*"784", "left", "enter")  # the arrow stays in the field
        await pilot.pause()
        assert shown_lesson(app) == lesson.number
        after = await screen_text(app, pilot)
        assert "✗ You predicted 784; the answer is 78,400." in after
        assert explanation in after
    saved = json.loads((learner_home / "progress.json").read_text(encoding="utf-8"))
    assert saved["predictions"] == {prediction.key: {"given": "784", "correct": False}}


async def test_a_recorded_prediction_stays_answered_and_leaves_the_course_map(
    learner_home: Path, lessons: tuple[Lesson, ...]
) -> None:
    lesson = lessons[2]
    prediction = lesson_predictions(lesson)[0]
    data = {"version": 1, "lessons_read": [lesson.key], "last_screen": "home"}
    (learner_home / "progress.json").write_text(json.dumps(data), encoding="utf-8")
    app = TutorApp(learner_home)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        course_map = app_text(pilot)
        assert f"{lesson.title}  ? 1 prediction open" in course_map
        app.go(lesson.key)
        await pilot.pause()
        assert shown_lesson(app) == 3
        await pilot.press("tab", *prediction.answer, "enter")
        await pilot.pause()
        assert f"✓ You predicted {prediction.answer}: right." in await screen_text(app, pilot)
        await pilot.press("escape")
        await pilot.pause()
        assert "prediction open" not in app_text(pilot)
    app = TutorApp(learner_home)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.go(lesson.key)
        await pilot.pause()
        text = await screen_text(app, pilot)
        assert f"✓ You predicted {prediction.answer}: right." in text
        assert not app.screen.query_one(Input).display  # nothing left to type


def app_text(pilot: Pilot[None]) -> str:
    """The screen as it is now, line by line."""
    strips = pilot.app.screen._compositor.render_strips()
    return "\n".join(strip.text.rstrip() for strip in strips)


# --- every word on screen ---------------------------------------------------------------

SIZES = [(80, 24), (100, 30), (160, 45)]
_SPACES = re.compile(r"\s+")
_TABLE_EDGE = re.compile(r"^[┌├└╭╰┏┣┗]")


def flat(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


@dataclass(frozen=True)
class Expected:
    """One thing of the source that must be on screen: kind is heading, text, cell or code."""

    kind: str
    text: str


def _inline_text(token: Token) -> str:
    out = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            out.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            out.append(" ")
        elif child.type == "image":
            out.append(child.content)
    return flat("".join(out))


def expected_of_markdown(markdown: str) -> list[Expected]:
    """Headings, paragraphs (list items and quotes included), table cells and code lines."""
    tokens = MarkdownIt("gfm-like").parse(markdown)
    out: list[Expected] = []
    context: list[str] = []
    for token in tokens:
        if token.type.endswith("_open"):
            context.append(token.type.removesuffix("_open"))
        elif token.type.endswith("_close"):
            context.pop()
        elif token.type == "inline":
            text = _inline_text(token)
            if not text:
                continue
            if context and context[-1] == "heading":
                out.append(Expected("heading", text))
            elif context and context[-1] in ("th", "td"):
                out.append(Expected("cell", text))
            else:
                out.append(Expected("text", text))
        elif token.type in ("fence", "code_block"):
            out += [Expected("code", line.rstrip()) for line in token.content.splitlines()]
    return [e for e in out if e.text.strip()]


def expected_of_lesson(lesson: Lesson) -> list[Expected]:
    """What the lesson must show, in order, with every prediction answered."""
    predictions = lesson_predictions(lesson)
    out: list[Expected] = []
    for part in split_pictures(lesson.body):
        if isinstance(part, PictureBlock):
            continue
        if isinstance(part, PredictBlock):
            prediction = predictions[part.number - 1]
            out.append(Expected("text", flat(prediction.question)))
            out += [
                Expected("text", f"({chr(97 + i)}) {c}") for i, c in enumerate(prediction.choices)
            ]
            out.append(Expected("text", f"The answer is {prediction.shown_answer}"))
            out += expected_of_markdown(prediction.reveal)
        else:
            out += expected_of_markdown(part)
    return out


@dataclass
class Screenful:
    """The lesson as read on screen: its lines, and the text of its table cells."""

    lines: list[str]

    def units(self) -> list[str]:
        """Lines outside tables (quote bars dropped), then table cells joined across the
        lines a cell wraps over."""
        units: list[str] = []
        row: list[list[str]] | None = None
        box: tuple[int, int] | None = None  # the columns of a prediction's box sides
        for line in self.lines:
            if line.strip().startswith(f"╭─ {PredictionBox.TITLE}"):
                box = (line.index("╭"), line.rindex("╮"))
                continue
            if box is not None:
                left, right = box
                if line[left : left + 1] == "╰":
                    box = None
                    continue
                line = line[left + 1 : right]
            text = line.strip()
            if _TABLE_EDGE.match(text):
                if row:
                    units += [flat(" ".join(cell)) for cell in row]
                row = [] if not text.startswith(("└", "╰", "┗")) else None
                continue
            if row is not None and text.startswith("│"):
                cells = text.strip("│").split("│")
                if not row:
                    row.extend([] for _ in cells)
                for cell, fragment in zip(row, cells, strict=False):
                    cell.append(fragment)
                continue
            units.append(flat(text.lstrip("▌")))
        return units


async def read_the_whole_lesson(app: TutorApp, pilot: Pilot[None]) -> Screenful:
    """Scroll the lesson from top to bottom a screenful at a time, keeping what is shown.

    The lesson's first text comes with the first frame and the rest just after it: the
    reading starts once the screen says every part is in."""
    screen = app.screen
    assert isinstance(screen, LessonScreen)
    for _ in range(200):
        if screen.complete:
            break
        await pilot.pause(0.01)
    assert screen.complete, "the lesson's later parts were never mounted"
    scroll = app.screen.query_one("#lesson-scroll")
    region = scroll.scrollable_content_region
    lines: list[str] = []
    y = 0
    while True:
        scroll.scroll_to(y=y, animate=False, immediate=True)
        await pilot.pause()
        strips = app.screen._compositor.render_strips()
        lines += [s.crop(region.x, region.right).text for s in strips[region.y : region.bottom]]
        if y >= scroll.max_scroll_y:
            return Screenful(lines)
        y = min(y + region.height, int(scroll.max_scroll_y))


def missing_from(screen: Screenful, expected: list[Expected]) -> list[str]:
    """What of `expected` is not on screen, in order; a heading must fill its own line."""
    problems: list[str] = []
    units = screen.units()
    text = " ".join(units)
    stripped_lines = [line.strip() for line in screen.lines]
    at, line_at = 0, 0
    for item in expected:
        if item.kind == "code":
            found = next(
                (
                    i
                    for i in range(line_at, len(stripped_lines))
                    if item.text.strip() in screen.lines[i]
                ),
                None,
            )
            if found is None:
                problems.append(f"code line missing or cut: {item.text!r}")
            else:
                line_at = found
            continue
        if item.kind == "heading":
            found = next(
                (i for i in range(line_at, len(stripped_lines)) if stripped_lines[i] == item.text),
                None,
            )
            if found is None:
                problems.append(f"heading not on a line of its own: {item.text!r}")
            else:
                line_at = found
        where = text.find(item.text, at)
        if where < 0:
            problems.append(f"{item.kind} missing: {item.text[:100]!r}")
        else:
            at = where
    return problems


def _home_with_every_prediction_answered(home: Path, lesson: Lesson) -> None:
    predictions = {
        p.key: {"given": p.answer, "correct": True}
        for le in load_lessons()
        for p in lesson_predictions(le)
    }
    data = {"version": 1, "lessons_read": [], "last_screen": lesson.key, "predictions": predictions}
    (home / "progress.json").write_text(json.dumps(data), encoding="utf-8")


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
async def test_every_block_of_every_lesson_is_on_screen(
    learner_home: Path, size: tuple[int, int]
) -> None:
    problems: list[str] = []
    lessons = load_lessons()
    _home_with_every_prediction_answered(learner_home, lessons[0])
    app = TutorApp(learner_home)
    async with app.run_test(size=size) as pilot:  # one app, lesson after lesson
        for lesson in lessons:
            app.go(lesson.key)
            await pilot.pause()
            assert shown_lesson(app) == lesson.number
            screen = await read_the_whole_lesson(app, pilot)
            expected = expected_of_lesson(lesson)
            assert len(expected) > 20, f"{lesson.path.name}: the source reads as almost empty"
            problems += [f"{lesson.path.name}: {p}" for p in missing_from(screen, expected)]
    assert not problems, f"at {size[0]}x{size[1]}:\n" + "\n".join(problems)


def test_the_reader_finds_what_is_missing() -> None:
    """The comparison itself: a lost paragraph, a cut code line and a covered heading fail."""
    lines = [
        "              Title              ",
        "  First paragraph that wraps    ",
        "  onto a second line.           ",
        "  ┌─────┬──────┐",
        "  │ a   │ long │",
        "  │     │ cell │",
        "  └─────┴──────┘",
        "    x = 1  # a code line that is cu",
        "  Sect█on",
    ]
    expected = [
        Expected("heading", "Title"),
        Expected("text", "First paragraph that wraps onto a second line."),
        Expected("cell", "long cell"),
        Expected("code", "x = 1  # a code line that is cut"),
        Expected("heading", "Section"),
        Expected("text", "A paragraph that never arrived."),
    ]
    problems = missing_from(Screenful(lines), expected)
    assert len(problems) == 4, problems
    assert "cut" in problems[0] and "Section" in problems[1] and "never arrived" in problems[-1]
