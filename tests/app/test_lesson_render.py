"""Every word of every lesson reaches the screen, at every terminal size the tutor supports.

Each lesson is opened in Pilot, scrolled from top to bottom one screenful at a time, and the
text on screen is compared with the lesson's source: every heading (on a line of its own, so
nothing drawn over it), every paragraph and list item, every table cell, every line of code
(whole, not cut at the edge), every prediction's question and, once answered, its
explanation. Pictures are skipped: their text is their own tests' business.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token
from textual.pilot import Pilot

from tutor.app import TutorApp
from tutor.course import Lesson, load_lessons
from tutor.predictions import lesson_predictions
from tutor.screens.lesson import PictureBlock, PredictBlock, split_pictures

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
        for line in self.lines:
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
    """Scroll the lesson from top to bottom a screenful at a time, keeping what is shown."""
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
    for lesson in load_lessons():
        _home_with_every_prediction_answered(learner_home, lesson)
        app = TutorApp(learner_home)
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
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
