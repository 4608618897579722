"""Developer tool: create a new exercise's folder with every file the course expects.

    python -m tutor.scaffold exercise SLUG --title "..." --lesson N [--kind numeric|code]

The new exercise takes the next free number. Its files work from the start (the starter
fails its check, the solution passes, the one typical mistake fails the part it is named
after), so the content tests, which read every exercise folder, cover it at once; the
developer then replaces each `TODO` with the real exercise. Not part of the learner's CLI.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tutor.course import ContentError, load_exercises, load_lessons
from tutor.paths import content_root

KINDS = ("numeric", "code")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class ScaffoldError(ValueError):
    """A request the scaffold cannot carry out; the message says how to mend it."""


@dataclass(frozen=True)
class NewExercise:
    number: int
    slug: str
    title: str
    lesson: int
    kind: str

    @property
    def folder_name(self) -> str:
        return f"{self.number:02d}-{self.slug}"


def _toml_text(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _toml_head(ex: NewExercise) -> str:
    """The lines of exercise.toml every exercise has: id, slug, title, lesson and kind."""
    return (
        f"id = {ex.number}\nslug = {_toml_text(ex.slug)}\ntitle = {_toml_text(ex.title)}\n"
        f'lesson = {ex.lesson}\nkind = "{ex.kind}"\n'
    )


def _numeric_files(ex: NewExercise) -> dict[str, str]:
    return {
        "exercise.toml": (
            _toml_head(ex) + "fields = [\n"
            '  { name = "answer", label = "TODO: what the learner works out", type = "int" },\n'
            "]\n\n"
            "[limits]\ntimeout_s = 20\nmemory_mb = 1024\n"
        ),
        "starter.py": (
            f"# Exercise {ex.number}: {ex.title}\n"
            "# TODO (developer): say what to work out, and for which layer or input.\n\n"
            "answer = None  # TODO: a whole number\n"
        ),
        "solution.py": (
            f"# Exercise {ex.number}: {ex.title}, worked.\n"
            "# TODO (developer): show the working, step by step, in comments.\n\n"
            "answer = 1\n"
        ),
        "check.py": f'''"""Checker for exercise {ex.number}: {ex.title}.

Numeric: the probe only reads plain values, so no torch is imported anywhere. The judge
computes the answer itself; nothing the learner's code claims is trusted.
"""

from __future__ import annotations

from typing import Any

from tutor.checks import Part
from tutor.checks.values import expect_int

ANSWER = 1  # TODO (developer): compute the right value here, e.g. with tutor.shapes


def judge(facts: dict[str, Any]) -> list[Part]:
    got, problem = expect_int(facts.get("answer", {{"kind": "missing"}}), "answer")
    if got is None:
        return [Part("answer", False, problem)]
    if got == ANSWER:
        return [Part("answer", True, f"answer = {{got}} is right.")]
    # TODO (developer): name each typical mistake in the learner's terms, with its fix.
    return [Part("answer", False, f"answer = {{got}} is not right: TODO say how to work it out.")]
''',
        "probe.py": f'''"""Probe for exercise {ex.number}, run beside the answer in the sandbox:
it reads the answer's values and holds no expected value (the judge in check.py stays outside).
"""

from __future__ import annotations

from typing import Any


def probe(ns: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    from tutor.checks.values import describe

    return {{"answer": describe(ns, "answer")}}
''',
        "mistakes/answer--off-by-one.py": "answer = 2  # TODO (developer): a typical slip\n",
    }


def _code_files(ex: NewExercise) -> dict[str, str]:
    return {
        "exercise.toml": (_toml_head(ex) + "\n[limits]\ntimeout_s = 60\nmemory_mb = 2048\n"),
        "starter.py": (
            f"# Exercise {ex.number}: {ex.title}\n"
            "import torch\n\n\n"
            "def double(x):\n"
            "    # TODO: return a tensor of x's shape holding twice each value\n"
            "    return x\n"
        ),
        "solution.py": (
            f"# Exercise {ex.number}: {ex.title}, worked.\n"
            "import torch\n\n\n"
            "def double(x):\n"
            "    return x * 2\n"
        ),
        "check.py": f'''"""Checker for exercise {ex.number}: {ex.title}.

The probe runs the learner's function on an input it makes up and sends back what came out
(evidence); the judge, outside the learner's process, compares it with its own answer.
"""

from __future__ import annotations

from typing import Any

from tutor.checks import Part

INPUT = [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]


def judge(facts: dict[str, Any]) -> list[Part]:
    want = [[2 * v for v in row] for row in INPUT]  # TODO (developer): the real answer
    if facts.get("kind") == "missing":
        return [Part("output", False, "define `double(x)`, a function of one tensor.")]
    if facts.get("kind") != "tensor":
        return [Part("output", False, f"`double` returns a {{facts.get('type')}}, not a tensor.")]
    if facts["values"] != want:
        return [Part("output", False, f"`double` gives {{facts['values']}}; expected {{want}}.")]
    return [Part("output", True, "`double` returns twice each value, in the input's shape.")]
''',
        "probe.py": f'''"""Probe for exercise {ex.number}, run beside the answer in the sandbox:
it runs the learner's function on an input it makes up and sends back what came out (evidence); the
judge in check.py, outside the learner's process, compares it with its own answer.
"""

from __future__ import annotations

from typing import Any

INPUT = [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]


def probe(ns: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    import torch

    function = ns.get("double")
    if not callable(function):
        return {{"kind": "missing"}}
    out = function(torch.tensor(INPUT))
    if not isinstance(out, torch.Tensor):
        return {{"kind": "not-a-tensor", "type": type(out).__name__}}
    return {{"kind": "tensor", "shape": list(out.shape), "values": out.tolist()}}
''',
        "mistakes/output--unchanged.py": (
            "import torch\n\n\ndef double(x):\n    return x  # TODO (developer): a typical slip\n"
        ),
    }


def exercise_files(ex: NewExercise) -> dict[str, str]:
    """Every file of a new exercise folder, by its path inside the folder."""
    files = _numeric_files(ex) if ex.kind == "numeric" else _code_files(ex)
    what = "`answer`, a whole number" if ex.kind == "numeric" else "`double(x)`"
    files["README.md"] = (
        f"# Exercise {ex.number} · {ex.title}\n\n"
        "TODO (developer): the statement, in our own words: what the learner has seen in the\n"
        f"lesson ({ex.lesson}) and what this exercise asks them to work out.\n\n"
        f"## What to write\n\n- {what}: TODO say exactly what it must hold.\n"
    )
    files["hints.md"] = f"# Hints for exercise {ex.number}\n\n" + "\n".join(
        f"## Hint {n}\n\nTODO (developer): {text}\n"
        for n, text in enumerate(
            ("where to start.", "the step most people miss.", "nearly the answer."), 1
        )
    )
    return files


def plan(root: Path, slug: str, title: str, lesson: int, kind: str) -> NewExercise:
    """The exercise to create under `root`, after checking the request against the course."""
    if not _SLUG.match(slug):
        raise ScaffoldError(
            f"'{slug}' is not a slug: use lower-case words joined by '-', e.g. stride-tricks"
        )
    if kind not in KINDS:
        raise ScaffoldError(f"unknown kind '{kind}': choose numeric or code")
    if not title.strip():
        raise ScaffoldError("give the exercise a title with --title")
    try:
        lessons = load_lessons(root / "lessons")
        exercises = load_exercises(root / "exercises")
    except ContentError as exc:
        raise ScaffoldError(f"the course does not load: {exc}") from exc
    numbers = [lesson.number for lesson in lessons]
    if lesson not in numbers:
        raise ScaffoldError(
            f"there is no lesson {lesson}; choose one of 1-{max(numbers, default=0)}"
        )
    if any(ex.slug == slug for ex in exercises):
        raise ScaffoldError(f"an exercise named '{slug}' exists already; choose another slug")
    number = max((ex.number for ex in exercises), default=0) + 1
    return NewExercise(number, slug, title.strip(), lesson, kind)


def create(root: Path, ex: NewExercise) -> Path:
    """Write the new exercise folder under root/exercises; never overwrite anything."""
    folder = root / "exercises" / ex.folder_name
    if folder.exists():
        raise ScaffoldError(f"{folder} exists already; remove it or choose another slug")
    for relative, text in exercise_files(ex).items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tutor.scaffold", description="Create new course content (developer tool)."
    )
    sub = parser.add_subparsers(dest="what", metavar="WHAT", required=True)
    exercise = sub.add_parser("exercise", help="a new exercise folder, numbered next")
    exercise.add_argument("slug", help="lower-case words joined by '-', e.g. stride-tricks")
    exercise.add_argument("--title", required=True, help="the title shown on the course map")
    exercise.add_argument("--lesson", type=int, required=True, help="the lesson it practises")
    exercise.add_argument("--kind", choices=KINDS, default="numeric", help="default: numeric")
    exercise.add_argument(
        "--root", type=Path, default=None, help="the checkout (default: this package's)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    root = (args.root or content_root()).resolve()
    try:
        ex = plan(root, args.slug, args.title, args.lesson, args.kind)
        folder = create(root, ex)
    except ScaffoldError as exc:
        print(f"scaffold: {exc}", file=sys.stderr)
        return 2
    print(f"created {folder} (exercise {ex.number}, {ex.kind}, lesson {ex.lesson})")
    print("next: replace every TODO, then run:")
    print(f"  .venv/bin/python -m pytest -q tests/content -k {ex.slug}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
