"""Lessons and exercises as plain records, loaded from Markdown and TOML (no textual)."""

from __future__ import annotations

import ast
import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from tutor.paths import exercises_dir, lessons_dir

_LESSON_NAME = re.compile(r"^(\d\d)-([a-z0-9-]+)\.md$")
_EXERCISE_NAME = re.compile(r"^(\d\d)-([a-z0-9-]+)$")
_FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```\s*$", re.S | re.M)
ANSWER_MARKER = "<!-- answer -->"
_HEADING = re.compile(r"^#\s+(.+?)\s*$", re.M)


class ContentError(ValueError):
    """A lesson or exercise file that does not have the expected form."""


@dataclass(frozen=True)
class CodeBlock:
    """A fenced block of a lesson: its language tag and its text."""

    language: str
    source: str

    @property
    def runnable(self) -> bool:
        return self.language == "python"


@dataclass(frozen=True)
class Lesson:
    number: int
    slug: str
    title: str
    path: Path
    markdown: str
    blocks: tuple[CodeBlock, ...] = field(default=())

    @property
    def key(self) -> str:
        return f"lesson-{self.number:02d}"

    @property
    def body(self) -> str:
        """The lesson as shown at first: everything before the `<!-- answer -->` marker."""
        return self.markdown.split(ANSWER_MARKER, 1)[0].rstrip() + "\n"

    @property
    def answer(self) -> str | None:
        """The answer to the closing "Check yourself" question, revealed on request."""
        parts = self.markdown.split(ANSWER_MARKER, 1)
        return parts[1].strip() if len(parts) == 2 else None

    @property
    def examples(self) -> list[str]:
        """The runnable python examples, in order."""
        return [b.source for b in self.blocks if b.runnable]


@dataclass(frozen=True)
class Exercise:
    number: int
    slug: str
    title: str
    lesson: int
    kind: str  # "numeric" (no torch needed) or "code"
    folder: Path
    limits: dict[str, float] = field(default_factory=dict)
    fields: tuple[dict[str, str], ...] = field(default=())
    # What its checks use beyond torch, for the warm worker to import ahead of time
    # (groups of tutor.sandbox.warmup.WARM_GROUPS: "train", "data").
    warm: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"exercise-{self.number:02d}"

    @property
    def statement(self) -> str:
        return (self.folder / "README.md").read_text(encoding="utf-8")

    @property
    def starter(self) -> str:
        return (self.folder / "starter.py").read_text(encoding="utf-8")

    @property
    def solution(self) -> str:
        return (self.folder / "solution.py").read_text(encoding="utf-8")

    @property
    def check_source(self) -> str:
        """The judge, read by the tutor: it never goes into the sandbox."""
        return (self.folder / "check.py").read_text(encoding="utf-8")

    @property
    def probe_source(self) -> str:
        """The probe, the only checking code that runs beside the answer, in the sandbox."""
        return (self.folder / "probe.py").read_text(encoding="utf-8")

    @property
    def has_referee(self) -> bool:
        return (self.folder / "referee.py").is_file()

    @property
    def referee_source(self) -> str | None:
        """The referee's part of the check (torch, run by the referee), if the exercise has one."""
        path = self.folder / "referee.py"
        return path.read_text(encoding="utf-8") if path.is_file() else None

    @property
    def hints(self) -> list[str]:
        """The hints, in order: one per `##` section of hints.md."""
        text = (self.folder / "hints.md").read_text(encoding="utf-8")
        sections = re.split(r"^##\s+.*$", text, flags=re.M)[1:]
        return [s.strip() for s in sections if s.strip()]


def parse_lesson(path: Path) -> Lesson:
    """Read one lesson file; its first `#` heading is its title."""
    match = _LESSON_NAME.match(path.name)
    if not match:
        raise ContentError(f"{path.name}: a lesson file is named NN-slug.md")
    text = path.read_text(encoding="utf-8")
    heading = _HEADING.search(text)
    if not heading:
        raise ContentError(f"{path}: no '# Title' heading")
    blocks = tuple(CodeBlock(m.group(1), m.group(2)) for m in _FENCE.finditer(text))
    return Lesson(int(match.group(1)), match.group(2), heading.group(1), path, text, blocks)


def parse_exercise(folder: Path) -> Exercise:
    """Read one exercise folder's exercise.toml."""
    match = _EXERCISE_NAME.match(folder.name)
    if not match:
        raise ContentError(f"{folder.name}: an exercise folder is named NN-slug")
    toml_path = folder / "exercise.toml"
    try:
        meta = tomllib.loads(toml_path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ContentError(f"{toml_path}: {exc}") from exc
    return Exercise(
        number=int(meta.get("id") or match.group(1)),
        slug=str(meta.get("slug", match.group(2))),
        title=str(meta["title"]),
        lesson=int(meta["lesson"]),
        kind=str(meta.get("kind", "code")),
        folder=folder,
        limits=dict(meta.get("limits", {})),
        fields=tuple(meta.get("fields", ())),
        warm=tuple(str(g) for g in meta.get("warm", ())),
    )


@lru_cache(maxsize=4)
def load_lessons(root: Path | None = None) -> tuple[Lesson, ...]:
    folder = root or lessons_dir()
    paths = sorted(p for p in folder.glob("*.md") if _LESSON_NAME.match(p.name))
    return tuple(parse_lesson(p) for p in paths)


@lru_cache(maxsize=4)
def load_exercises(root: Path | None = None) -> tuple[Exercise, ...]:
    folder = root or exercises_dir()
    if not folder.is_dir():
        return ()
    dirs = sorted(p for p in folder.iterdir() if p.is_dir() and _EXERCISE_NAME.match(p.name))
    return tuple(parse_exercise(p) for p in dirs)


def find_exercise(name: str) -> Exercise:
    """An exercise by number (`5`, `05`) or slug (`module-class`); ContentError if none."""
    wanted = name.strip().lower()
    for ex in load_exercises():
        if wanted in (str(ex.number), f"{ex.number:02d}", ex.slug, ex.folder.name):
            return ex
    known = ", ".join(f"{e.number} ({e.slug})" for e in load_exercises())
    raise ContentError(f"unknown exercise '{name}'; choose one of: {known}")


def unreadable(source: str, filename: str = "<code>") -> str | None:
    """Why Python cannot even parse `source` (nested too deep, a NUL byte), else None."""
    problem = syntax_error(source, filename)
    if problem and not problem.startswith(f"{filename}, line "):
        return problem
    return None


def exercise_numbers() -> str:
    """The span of exercise numbers for help texts ("1-8"), read from the course itself."""
    try:
        numbers = [ex.number for ex in load_exercises()]
    except ContentError:
        return "a number"
    if not numbers:
        return "a number"
    low, high = min(numbers), max(numbers)
    return str(low) if low == high else f"{low}-{high}"


def syntax_error(source: str, filename: str = "<code>") -> str | None:
    """A one-line description of a syntax error in `source`, or None if it parses."""
    try:
        ast.parse(source, filename=filename)
    except SyntaxError as exc:
        return f"{filename}, line {exc.lineno}, column {exc.offset}: {exc.msg}"
    except (RecursionError, MemoryError):
        return (
            f"{filename}: an expression is nested or chained too deeply for Python to read "
            "(thousands of terms on one line); split it into smaller steps"
        )
    except ValueError:  # Python 3.11 says so for a NUL byte, later ones raise SyntaxError
        return f"{filename}: it holds a NUL byte, so it is not Python source text"
    return None
