"""Every lesson screen: their form, their links, and every python example run for real.

Shape comments in the examples (`y = conv(x)  # -> (8, 16, 28, 28)`) are claims the learner
reads; the running test turns each one into an assertion, so a wrong claim fails here.
"""

from __future__ import annotations

import ast
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tokenize
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from tutor.course import ANSWER_MARKER, Exercise, Lesson, load_exercises, load_lessons
from tutor.paths import lessons_dir
from tutor.predictions import (
    FENCE,
    Prediction,
    PredictionError,
    lesson_predictions,
    parse_prediction,
)
from tutor.screens.lesson import PictureBlock, make_picture, split_pictures

# The lesson files, read from lessons/ (a stray or misnamed file is caught below).
EXPECTED_FILES = tuple(lesson.path.name for lesson in load_lessons())

# The longest line of code a lesson may hold: an 80-column terminal shows 74 characters of
# a code block (the lesson's margins and the block's padding take the rest).
CODE_WIDTH = 74

CHECK_HEADING = "## Check yourself"
CSV_NAME = "mnist_small.csv"
TITLE_MAX = 40
RUN_TIMEOUT_S = 180

_FENCED = re.compile(r"^```.*?^```[ \t]*$", re.S | re.M)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_ARROW = re.compile(r"^#\s*->")
_WIDGET_BLOCK = re.compile(r"^```(?:predict|picture)[ \t]*\n.*?^```[ \t]*$", re.S | re.M)


def _lesson(name: str) -> Lesson:
    by_name = {lesson.path.name: lesson for lesson in load_lessons()}
    if name not in by_name:
        pytest.fail(f"lessons/{name} is missing (looked in {lessons_dir()})")
    return by_name[name]


def _prose(markdown: str) -> str:
    """The lesson without its fenced blocks, so code comments never pass for headings."""
    return _FENCED.sub("", markdown)


def _block_start_line(lesson: Lesson, source: str) -> int:
    """The line of the lesson file on which a block's first line of code stands."""
    return lesson.markdown[: lesson.markdown.index(source)].count("\n") + 1


per_lesson = pytest.mark.parametrize(
    "name", EXPECTED_FILES, ids=[n.removesuffix(".md") for n in EXPECTED_FILES]
)


# --- shape comments -------------------------------------------------------------------------


@dataclass(frozen=True)
class Instrumented:
    """A block with each `# -> (shape)` comment replaced by an assertion on the same line."""

    source: str
    checks: int
    problems: tuple[str, ...]


def instrument(source: str, where: str, first_line: int = 1) -> Instrumented:
    """Turn every arrow shape comment into `; assert tuple(name.shape) == shape, message`.

    The assertion goes on the statement's own last line, so line numbers in a traceback
    still match the block. `where` names the lesson file; `first_line` is the block's
    first line in it, so messages point at the Markdown the author edits.
    """
    tree = ast.parse(source)
    # The last line of each assignment to a single name -> (that name, where it ends).
    assigns: dict[int, tuple[str, int]] = {}
    for node in ast.walk(tree):
        target: ast.expr
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target = node.target
        else:
            continue
        if isinstance(target, ast.Name) and node.end_lineno and node.end_col_offset:
            assigns[node.end_lineno] = (target.id, node.end_col_offset)

    lines = source.splitlines()
    problems: list[str] = []
    checks = 0
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    for tok in tokens:
        if tok.type != tokenize.COMMENT or not _ARROW.match(tok.string):
            continue
        row, col = tok.start
        at = f"{where} line {first_line + row - 1}"
        claim = tok.string.split("->", 1)[1].strip()
        try:
            shape = ast.literal_eval(claim)
        except (ValueError, SyntaxError):
            shape = None
        if not isinstance(shape, tuple) or not all(
            isinstance(n, int) and not isinstance(n, bool) for n in shape
        ):
            problems.append(f"{at}: shape comment {claim!r} is not a tuple of integers")
            continue
        if row not in assigns:
            problems.append(f"{at}: a shape comment must end a line that assigns to a single name")
            continue
        name, end_col = assigns[row]
        if lines[row - 1][end_col:col].strip():
            problems.append(f"{at}: the shape comment must follow the assignment directly")
            continue
        message = f"{at}: the comment says {name} has shape {shape}, but it has "
        lines[row - 1] = (
            f"{lines[row - 1][:col].rstrip()}; "
            f"assert tuple({name}.shape) == {shape!r}, {message!r} + str(tuple({name}.shape))"
        )
        checks += 1
    return Instrumented("\n".join(lines) + "\n", checks, tuple(problems))


def test_instrument_turns_a_shape_comment_into_a_failing_check() -> None:
    block = "import numpy as np\nx = np.zeros((2, 3))  # -> (3, 2)\n"
    done = instrument(block, "demo.md", first_line=10)
    assert done.checks == 1 and not done.problems
    with pytest.raises(AssertionError, match=r"demo.md line 11: .*x has shape \(3, 2\)"):
        exec(compile(done.source, "demo", "exec"), {})
    ok = instrument(block.replace("(3, 2)", "(2, 3)"), "demo.md")
    exec(compile(ok.source, "demo", "exec"), {})


def test_instrument_rejects_shape_comments_it_cannot_check() -> None:
    block = "a, b = 1, 2  # -> (1,)\nprint(a)  # -> (1,)\nc = 3  # -> (B, 10)\n"
    problems = instrument(block, "demo.md").problems
    assert len(problems) == 3, problems


# --- the set of lessons ---------------------------------------------------------------------


def test_lessons_numbered_in_order() -> None:
    lessons = load_lessons()
    assert lessons, f"no lessons in {lessons_dir()}"
    assert [lesson.number for lesson in lessons] == list(range(1, len(lessons) + 1))
    for lesson in lessons:
        assert lesson.title.strip(), f"{lesson.path.name} has an empty title"
        assert len(lesson.title) < TITLE_MAX, (
            f"{lesson.path.name}: title {lesson.title!r} is {len(lesson.title)} characters; "
            f"keep it under {TITLE_MAX} for the table of contents"
        )


def test_no_stray_files_in_lessons() -> None:
    stray = sorted(p.name for p in lessons_dir().iterdir() if p.name not in EXPECTED_FILES)
    assert not stray, f"unexpected files in lessons/: {stray}"


@per_lesson
def test_lesson_opens_with_its_title(name: str) -> None:
    lesson = _lesson(name)
    first = next(line for line in lesson.markdown.splitlines() if line.strip())
    assert first == f"# {lesson.title}", f"{name}: the first line must be '# Title'"
    titles = re.findall(r"^# .*$", _prose(lesson.markdown), re.M)
    assert titles == [first], f"{name}: exactly one '#' heading expected, found {titles}"


@per_lesson
def test_python_blocks_parse(name: str) -> None:
    lesson = _lesson(name)
    assert lesson.examples, f"{name} has no ```python block to run"
    loose = [b.language for b in lesson.blocks if b.language in {"py", "python3", "pycon"}]
    assert not loose, f"{name}: fence runnable code with exactly ```python, not {loose}"
    for source in lesson.examples:
        start = _block_start_line(lesson, source)
        try:
            ast.parse(source)
        except SyntaxError as exc:
            line = start + (exc.lineno or 1) - 1
            pytest.fail(f"{name} line {line}: python block does not parse: {exc.msg}")


@per_lesson
def test_shape_comments_are_checkable(name: str) -> None:
    lesson = _lesson(name)
    problems: list[str] = []
    for source in lesson.examples:
        start = _block_start_line(lesson, source)
        problems += instrument(source, name, start).problems
    assert not problems, "\n".join(problems)


@per_lesson
def test_ends_with_check_yourself_and_a_hidden_answer(name: str) -> None:
    lesson = _lesson(name)
    text = lesson.markdown
    prose = _prose(text)
    sections = re.findall(r"^## .*$", prose, re.M)
    assert CHECK_HEADING in sections, f"{name}: no '{CHECK_HEADING}' section"
    assert sections[-1] == CHECK_HEADING, (
        f"{name}: '{CHECK_HEADING}' must be the last section, but {sections[-1]!r} follows"
    )
    assert text.count(ANSWER_MARKER) == 1, (
        f"{name}: expected exactly one {ANSWER_MARKER} marker, found {text.count(ANSWER_MARKER)}"
    )
    assert ANSWER_MARKER in text.splitlines(), f"{name}: the marker must stand on its own line"
    heading_at = text.index(f"\n{CHECK_HEADING}\n")
    marker_at = text.index(ANSWER_MARKER)
    assert heading_at < marker_at, f"{name}: the answer marker comes before '{CHECK_HEADING}'"
    question = text[heading_at + len(CHECK_HEADING) + 2 : marker_at].strip()
    assert question, f"{name}: '{CHECK_HEADING}' asks no question before the marker"
    assert lesson.answer, f"{name}: nothing after the answer marker"
    assert not lesson.answer.startswith("#"), f"{name}: the answer must be prose, not a heading"


@per_lesson
def test_relative_links_resolve(name: str) -> None:
    lesson = _lesson(name)
    prose = _INLINE_CODE.sub("", _prose(lesson.markdown))
    missing: list[str] = []
    for target in _LINK.findall(prose):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            continue
        path = (lesson.path.parent / target.split("#", 1)[0]).resolve()
        if path.exists():
            continue
        parts = Path(target).parts
        if len(parts) >= 3 and parts[:2] == ("..", "exercises"):
            folder = lesson.path.parent.parent / "exercises" / parts[2]
            if not folder.is_dir():
                missing.append(f"{target}: exercise folder exercises/{parts[2]} does not exist")
                continue
        missing.append(f"{target}: no such file")
    assert not missing, f"{name} has broken links:\n" + "\n".join(missing)


def test_a_lesson_introduces_only_its_own_exercises() -> None:
    """A link to an exercise stands in the lesson its exercise.toml names, before the check."""
    lesson_of = {ex.folder.name: ex.lesson for ex in load_exercises()}
    for lesson in load_lessons():
        for match in re.finditer(r"\(\.\./exercises/([^/)]+)/README\.md\)", lesson.markdown):
            folder = match.group(1)
            assert lesson_of.get(folder) == lesson.number, (
                f"{lesson.path.name} links to exercises/{folder}, whose exercise.toml says "
                f"lesson = {lesson_of.get(folder)}"
            )
            assert match.start() < lesson.markdown.index(CHECK_HEADING), (
                f"{lesson.path.name}: mention exercises/{folder} before '{CHECK_HEADING}'"
            )


@per_lesson
def test_code_lines_fit_an_80_column_terminal(name: str) -> None:
    lesson = _lesson(name)
    long = [
        f"{name} line {_block_start_line(lesson, block.source) + i}: {len(line)} characters"
        for block in lesson.blocks
        if block.language not in ("picture", FENCE)
        for i, line in enumerate(block.source.splitlines())
        if len(line) > CODE_WIDTH
    ]
    assert not long, f"code lines over {CODE_WIDTH} characters are cut at 80x24:\n" + "\n".join(
        long
    )


# --- predictions ----------------------------------------------------------------------------


@per_lesson
def test_each_lesson_asks_for_a_prediction_that_checks_its_own_answer(name: str) -> None:
    lesson = _lesson(name)
    try:
        predictions = lesson_predictions(lesson)
    except PredictionError as exc:
        pytest.fail(str(exc))
    assert predictions, f"{name}: no ```predict block"
    for prediction in predictions:
        assert prediction.check(prediction.answer).correct, prediction.key
        assert ANSWER_MARKER not in prediction.reveal, prediction.key


def _answer_patterns(prediction: Prediction) -> list[re.Pattern[str]]:
    """How a prediction's answer could be written elsewhere in the lesson."""
    if prediction.kind == "number":
        value = int(re.sub(r"[,_ ]", "", prediction.answer))
        return [_number_pattern(value)] if value >= 10 else []
    if prediction.kind == "shape":
        numbers = [int(n) for n in re.findall(r"\d+", prediction.answer)]
        return [re.compile(r"\b" + r"\s*[,×x]\s*".join(map(str, numbers)) + r"\b")]
    return []


@per_lesson
def test_a_prediction_is_not_answered_before_it_is_asked(name: str) -> None:
    """The answer shows only in the prediction's explanation, not in the lesson's text or
    code, where the learner would read it before committing to a guess."""
    lesson = _lesson(name)
    outside = _WIDGET_BLOCK.sub("", lesson.body)
    for prediction in lesson_predictions(lesson):
        for pattern in _answer_patterns(prediction):
            found = pattern.search(outside)
            assert found is None, (
                f"{prediction.key}: the lesson shows the answer {found.group(0)!r} outside the "
                "prediction's explanation"
            )


def test_predictions_are_checked_by_kind() -> None:
    block = "question: What shape?\nanswer: 8, 16, 14, 14\n---\nBecause."
    shape = parse_prediction(block, "demo-1")
    assert shape.check("(8, 16, 14, 14)").correct
    assert not shape.check("8, 16, 28, 28").correct
    with pytest.raises(PredictionError, match="not a shape"):
        shape.check("sixteen")
    count = parse_prediction("question: How many?\nanswer: 31,000\n---\nSo.", "demo-2")
    assert count.check("31000").correct and count.check("31,000").correct
    with pytest.raises(PredictionError, match="not a whole number"):
        count.check("3.1e4")
    choice = parse_prediction(
        "question: Which?\nchoices: max | mean\nanswer: mean\n---\nThe mean.", "demo-3"
    )
    assert choice.check("b").correct and choice.check("Mean").correct
    assert not choice.check("a").correct
    with pytest.raises(PredictionError, match="none of the choices"):
        choice.check("median")
    with pytest.raises(PredictionError, match="'---'"):
        parse_prediction("question: Q\nanswer: 3", "demo-4")


# --- no answer before its exercise -----------------------------------------------------------


@dataclass(frozen=True)
class Giveaway:
    """One way an exercise's answer can be shown: a pattern, and (for a shape) the
    exercise's input, which must show in the same place for the shape to count."""

    what: str
    pattern: re.Pattern[str]
    context: re.Pattern[str] | None = None


def _number_pattern(value: int) -> re.Pattern[str]:
    return re.compile(rf"(?<![\d,.]){value:,}(?![\d,])|(?<![\d,.]){value}(?![\d,])")


def _shape_pattern(shape: tuple[int, ...]) -> re.Pattern[str]:
    return re.compile(r"(?<!\d)" + r"\s*[,×x]\s*".join(map(str, shape)) + r"(?!\d)")


def _answer_lines(exercise: Exercise) -> list[str]:
    """The solution's lines of code that its starter lacks: the exercise's answer as code."""

    def code(source: str) -> list[str]:
        lines = (line.split("#", 1)[0].strip() for line in source.splitlines())
        return [line for line in lines if len(line) >= 12]

    given = set(code(exercise.starter))
    return [line for line in code(exercise.solution) if line not in given]


def giveaways(exercise: Exercise) -> list[Giveaway]:
    """An exercise's answers, from its own files: the values of a numeric exercise's
    solution (a count, a square side, a shape on the statement's input)."""
    if exercise.kind != "numeric":
        return []
    values: dict[str, object] = {}
    exec(compile(exercise.solution, str(exercise.folder / "solution.py"), "exec"), values)
    inputs = [
        tuple(int(n) for n in re.findall(r"\d+", found))
        for found in re.findall(r"\(\d+(?:, \d+){2}\)|\d+x\d+", exercise.statement)
    ]
    context = (
        re.compile("|".join(_shape_pattern(shape).pattern for shape in set(inputs)))
        if inputs
        else None
    )
    out: list[Giveaway] = []
    for field in exercise.fields:
        value = values.get(field["name"])
        what = f"exercise {exercise.number} {field['name']} = {value!r}"
        if isinstance(value, bool) or isinstance(value, str):
            continue
        if isinstance(value, int) and value >= 1000:
            out.append(Giveaway(what, _number_pattern(value)))
        elif isinstance(value, int) and value >= 10:
            out.append(Giveaway(what, _shape_pattern((value, value))))
        elif isinstance(value, tuple):
            out.append(Giveaway(what, _shape_pattern(value), context))
    return out


def _plain(renderable: object) -> str:
    from rich.console import Console

    console = Console(width=120, record=True, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


def picture_texts(block: PictureBlock, home: Path) -> list[str]:
    """What a lesson picture can show without the learner typing anything: its first
    state, every stack or example its keys switch to, as plain text."""
    from tutor.shapes import trace_stack
    from tutor.widgets.picture import Picture
    from tutor.widgets.receptive_field_view import STACKS, ReceptiveFieldView
    from tutor.widgets.shape_calculator import EXAMPLES, ShapeCalculator, parse_shape, result_table

    widget = make_picture(block, home)
    if isinstance(widget, ShapeCalculator):
        stacks = [(widget.start_shape, widget.start_layers)]
        stacks += [(shape, layers) for _, shape, layers in EXAMPLES]
        texts = []
        for shape_text, layers in stacks:
            shape = parse_shape(shape_text)
            assert shape is not None, f"{block}: bad input shape {shape_text!r}"
            texts.append(_plain(result_table(shape, trace_stack(shape, layers.splitlines()))))
        return texts
    if isinstance(widget, ReceptiveFieldView):
        texts = []
        for index, (_, windows) in enumerate(STACKS):
            widget.stack, widget.depth = index, len(windows)
            texts.append(widget.draw().plain)
        return texts
    if isinstance(widget, Picture):
        return [widget.draw().plain]
    return []


def places_before(exercise: Exercise, home: Path) -> list[tuple[str, str]]:
    """(where, text) of everything a learner reads before the exercise: each part and
    picture of the lessons up to its own, and the starters of the other exercises that
    those lessons open."""
    places: list[tuple[str, str]] = []
    for lesson in load_lessons()[: exercise.lesson]:
        for part in split_pictures(lesson.markdown):
            if isinstance(part, PictureBlock):
                where = f"{lesson.path.name}, picture {part.name}"
                places += [(where, text) for text in picture_texts(part, home)]
            elif isinstance(part, str):
                places.append((lesson.path.name, part))
    for other in load_exercises():
        if other != exercise and other.lesson <= exercise.lesson:
            places.append((f"exercise {other.number}'s starter", other.starter))
    return places


def test_the_giveaway_finder_finds_the_known_giveaways() -> None:
    """Lesson 7 once worked out 31,530, and lesson 3's calculator showed exercise 1(c)."""
    exercises = {ex.number: ex for ex in load_exercises()}
    cnn = next(g for g in giveaways(exercises[3]) if "cnn_params" in g.what)
    assert cnn.pattern.search("| total | 31,530 |") and cnn.pattern.search("# 31530")
    assert not cnn.pattern.search("131,530") and not cnn.pattern.search("31,5301")
    c = next(g for g in giveaways(exercises[1]) if " c = " in g.what)
    table = "input  (1, 3, 32, 32)\n1  Conv2d(3, 16, 3, padding=1, stride=2)  (1, 16, 16, 16)"
    assert c.pattern.search(table) and c.context is not None and c.context.search(table)
    assert not (c.context.search("(1, 16, 16, 16) from a 1x28x28 digit"))
    side = next(g for g in giveaways(exercises[7]) if "receptive_field" in g.what)
    assert side.pattern.search("Unit (1, 1) sees 18×18 input pixels")


def test_no_lesson_or_other_starter_gives_an_exercise_away(tmp_path: Path) -> None:
    problems: list[str] = []
    for exercise in load_exercises():
        answer_lines = _answer_lines(exercise)
        for where, text in places_before(exercise, tmp_path):
            for giveaway in giveaways(exercise):
                found = giveaway.pattern.search(text)
                if found and (giveaway.context is None or giveaway.context.search(text)):
                    problems.append(f"{where} shows {giveaway.what} ({found.group(0)!r})")
            shown = [line for line in answer_lines if line in text]
            if len(answer_lines) >= 3 and len(shown) >= 0.8 * len(answer_lines):
                problems.append(
                    f"{where} holds {len(shown)} of the {len(answer_lines)} lines of "
                    f"exercise {exercise.number}'s solution"
                )
    assert not problems, "answers shown before their exercise:\n" + "\n".join(problems)


# --- running every example ------------------------------------------------------------------


@pytest.fixture(scope="session")
def mnist_small_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An MNIST-layout CSV built from scikit-learn's 8x8 digits, upscaled to 28x28."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    nearest = ((np.arange(28) + 0.5) * 8 / 28).astype(int)  # nearest-neighbour rows/cols
    big = digits.images[:, nearest][:, :, nearest]  # (n, 28, 28), values 0-16
    pixels = np.rint(big * 255 / 16).astype(np.int64).reshape(len(big), 784)
    table = np.column_stack([digits.target, pixels])
    header = ",".join(["label"] + [f"pixel{i}" for i in range(784)])
    path = tmp_path_factory.mktemp("data") / CSV_NAME
    np.savetxt(path, table, fmt="%d", delimiter=",", header=header, comments="")
    return path


_DRIVER = """\
import json, os, runpy, sys
for step in json.loads(sys.argv[1]):
    os.chdir(step["cwd"])
    print(f"--- {step['label']}", flush=True)
    runpy.run_path(step["file"], run_name="__main__")
"""


@pytest.mark.slow
@per_lesson
def test_python_blocks_run_and_shapes_hold(
    name: str, mnist_small_csv: Path, tmp_path: Path
) -> None:
    """Each block runs on its own, in a fresh namespace, in a folder holding mnist_small.csv
    only if the block reads it; every shape comment is asserted."""
    lesson = _lesson(name)
    with_csv = tmp_path / "with-csv"
    bare = tmp_path / "bare"
    with_csv.mkdir()
    bare.mkdir()
    shutil.copy(mnist_small_csv, with_csv / CSV_NAME)

    steps = []
    for i, source in enumerate(lesson.examples, start=1):
        start = _block_start_line(lesson, source)
        done = instrument(source, name, start)
        assert not done.problems, "\n".join(done.problems)
        file = tmp_path / f"block_{i}.py"
        file.write_text(done.source, encoding="utf-8")
        cwd = with_csv if CSV_NAME in source else bare
        steps.append(
            {"file": str(file), "cwd": str(cwd), "label": f"{name} block {i} (line {start})"}
        )
    driver = tmp_path / "driver.py"
    driver.write_text(_DRIVER, encoding="utf-8")

    # One thread each: the examples are small, and the machine may be shared.
    env = {"OMP_NUM_THREADS": "1", **os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    try:
        proc = subprocess.run(
            [sys.executable, str(driver), json.dumps(steps)],
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT_S,
            env=env,
            cwd=bare,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{name}: its python blocks ran longer than {RUN_TIMEOUT_S} s")
    assert proc.returncode == 0, (
        f"{name}: a python block failed\n--- stdout\n{proc.stdout[-4000:]}"
        f"\n--- stderr\n{proc.stderr[-4000:]}"
    )
