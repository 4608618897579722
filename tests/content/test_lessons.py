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

from tutor.course import ANSWER_MARKER, Lesson, load_exercises, load_lessons
from tutor.paths import lessons_dir

# The lesson files, read from lessons/ (a stray or misnamed file is caught below).
EXPECTED_FILES = tuple(lesson.path.name for lesson in load_lessons())

CHECK_HEADING = "## Check yourself"
CSV_NAME = "mnist_small.csv"
TITLE_MAX = 40
RUN_TIMEOUT_S = 180

_FENCED = re.compile(r"^```.*?^```[ \t]*$", re.S | re.M)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_ARROW = re.compile(r"^#\s*->")


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
