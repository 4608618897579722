"""The answer form of a numeric exercise: one box per field of exercise.toml, checked as typed.

The form reads and writes the learner's answer file, a Python file of simple assignments
(`c = (16, 16, 16)`), so the command line and the TUI check the very same file.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.validation import ValidationResult, Validator
from textual.widgets import Input, Label, Select, Static

from tutor.widgets.answer_file import DISK, POLL_S, AnswerFile, KeepWhichScreen

Field = Mapping[str, Any]

SHAPE_HELP = "enter three whole numbers, e.g. 16, 32, 32"
INT_HELP = "enter a whole number or a sum of products, e.g. 42 or 16 * 9 + 16"
MAX_SUM_CHARS = 200  # longer than any sum an exercise asks for
MAX_VALUE = 10**15  # far beyond any count here; stops 9**9**9-style blow-ups early
_TOKEN = re.compile(r"[ \t]*(?:([0-9]+(?:_[0-9]+)*)|([-+−*×]))")


def parse_shape(text: str) -> tuple[int, int, int] | None:
    """ "16, 32, 32", "(16, 32, 32)" or "16 32 32" as a (C, H, W) tuple; None if not that."""
    inner = text.strip().strip("()[]")
    pieces = [p for p in re.split(r"[\s,x×]+", inner) if p]
    if len(pieces) != 3 or not all(p.isdigit() for p in pieces):
        return None
    return (int(pieces[0]), int(pieces[1]), int(pieces[2]))


def parse_int(text: str) -> int | None:
    """A whole number, or a sum of products of whole numbers (`16 * 9 + 16`), worked out.

    Only digits, spaces, + - − * × are read, by a small parser (never eval); None for
    anything else, for text over MAX_SUM_CHARS, and for any step beyond MAX_VALUE.
    """
    text = text.strip()
    if not text or len(text) > MAX_SUM_CHARS:
        return None
    tokens: list[str] = []
    at = 0
    while at < len(text):
        match = _TOKEN.match(text, at)
        if match is None:
            return None
        tokens.append(match.group(1) or match.group(2))
        at = match.end()
    total, sign, product, want_number = 0, 1, 1, True
    if tokens[0] in "+-−":
        sign = -1 if tokens.pop(0) != "+" else 1
    for token in tokens:
        if want_number != token[0].isdigit() or (token[0].isdigit() and len(token) > 16):
            return None
        if want_number:
            product *= int(token.replace("_", ""))
        elif token in "*×":
            pass
        else:
            total += sign * product
            sign, product = (-1 if token in "-−" else 1), 1
        if abs(product) > MAX_VALUE or abs(total) > MAX_VALUE:
            return None
        want_number = not want_number
    if want_number:  # it ended on an operator
        return None
    total += sign * product
    return total if abs(total) <= MAX_VALUE else None


class Sum(int):
    """A worked-out sum that writes itself as the learner typed it: `16 * 9 + 16`."""

    text: str

    def __new__(cls, value: int, text: str) -> Sum:
        made = super().__new__(cls, value)
        made.text = " ".join(text.replace("−", "-").replace("×", "*").split())
        return made

    def __repr__(self) -> str:
        return self.text


def box_number(text: str) -> int | None:
    """What an int box holds: a plain int, a Sum that keeps its text, or None."""
    value = parse_int(text)
    if value is None or not is_sum(text):
        return value
    return Sum(value, text)


def is_sum(text: str) -> bool:
    """Whether a box holds arithmetic rather than a plain number (its value is then shown)."""
    return any(op in text.strip().lstrip("+-−") for op in "+-−*×")


class FieldValidator(Validator):
    """Checks what a box holds while it is typed: a shape or a whole number."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind

    def validate(self, value: str) -> ValidationResult:
        if self.kind == "shape":
            ok, help_text = parse_shape(value) is not None, SHAPE_HELP
        else:
            ok, help_text = parse_int(value) is not None, INT_HELP
        return self.success() if ok else self.failure(help_text)


def answer_values(source: str, names: Iterable[str]) -> dict[str, Any]:
    """The literal values of `name = ...` lines in an answer file; {} if it does not parse."""
    wanted = set(names)
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {}
    found: dict[str, Any] = {}
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1):
            continue
        target = node.targets[0]
        if isinstance(target, ast.Name) and target.id in wanted:
            try:
                found[target.id] = ast.literal_eval(node.value)
            except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
                found.pop(target.id, None)
                written = ast.get_source_segment(source, node.value) or ""
                if (number := box_number(written)) is not None:
                    found[target.id] = number
    return found


def answer_source(starter: str, values: Mapping[str, Any]) -> str:
    """The starter with each field's `name = None  # TODO` line holding the learner's value."""
    text = starter
    for name, value in values.items():
        line = f"{name} = None  # TODO" if value is None else f"{name} = {value!r}"
        pattern = re.compile(rf"^{re.escape(name)}\s*=.*$", re.M)
        text, count = pattern.subn(line.replace("\\", r"\\"), text, count=1)
        if not count:
            text = text.rstrip("\n") + f"\n{line}\n"
    return text


def _as_text(field: Field, value: Any) -> str | None:
    """A value read from the answer file as its box shows it, or None if it does not fit."""
    kind = field.get("type")
    if kind == "shape" and isinstance(value, (tuple, list)) and len(value) == 3:
        if all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            return ", ".join(str(v) for v in value)
    if kind == "int" and isinstance(value, int) and not isinstance(value, bool):
        return repr(value)
    return None


class AnswerForm(Vertical):
    """The fields of a numeric exercise; Enter moves on, and on the last box submits."""

    class Submitted(Message):
        """The learner pressed Enter in the last box: they want their answer checked."""

    def __init__(
        self, fields: Sequence[Field], path: Path, starter: str, *, id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self.fields = list(fields)
        self.path = path
        self.starter = starter
        self.file = AnswerFile(path, fallback=starter)
        self._shown: tuple[Any, ...] = ()
        self._asking = False

    def on_mount(self) -> None:
        """Show the answer file's values, when it parses, and follow later saves of it."""
        self._show(self.file.seen)
        self.set_interval(POLL_S, self.follow_disk)

    def _names(self) -> list[str]:
        return [str(f["name"]) for f in self.fields]

    def _boxes(self) -> tuple[Any, ...]:
        return tuple(box.value for box in self.query("Input, Select"))  # type: ignore[attr-defined]

    @property
    def unsaved(self) -> bool:
        """Whether the boxes hold something the answer file does not."""
        return self._boxes() != self._shown

    def _show(self, source: str) -> None:
        self.file.seen = source
        self.clear()
        values = answer_values(source, self._names())
        self.fill(values)
        self._shown = self._boxes()
        for name in self._names():  # a value the box cannot show is kept, and said so
            line = re.search(rf"^{re.escape(name)}\s*=\s*(.+?)\s*(#.*)?$", source, re.M)
            if line and name not in values and line.group(1) != "None":
                note = self.query_one(f"#error-{name}", Static)
                note.update(f"kept as your file has it: {line.group(1)[:60]}")
                note.set_class(True, "-value")
                note.display = True

    def follow_disk(self) -> None:
        """Show a save made elsewhere; ask which to keep if the boxes changed too."""
        if self._asking:
            return
        if self.file.follow(self.unsaved, self._ask, self._show):
            self.notify(f"{self.path.name} was saved elsewhere; its values are shown now.")

    def _ask(self) -> None:
        self._asking = True
        self.app.push_screen(KeepWhichScreen(self.path), self._kept)

    def _kept(self, which: str | None) -> None:
        self._asking = False
        if which == DISK:
            self._show(self.file.read() or "")
        elif not self.invalid():
            self._write(answer_source(self.file.read() or self.starter, self.values()), force=True)

    def source_to_check(self) -> str | None:
        """Write the boxes to the answer file and return its text; None if a box is invalid
        or a save from elsewhere waits for the learner's choice."""
        self.follow_disk()
        if self._asking:
            return None
        invalid = self.invalid()
        if invalid:
            invalid[0].focus()
            self.notify("Fix the box marked in red first, then check again.", severity="warning")
            return None
        # The file is the truth: only the boxes the learner changed are written into it,
        # so a line the form cannot show (written in another editor) is kept as it is.
        shown = dict(zip(self._names(), self._shown, strict=False))
        now = dict(zip(self._names(), self._boxes(), strict=False))
        values = self.values()
        edited = {name: values[name] for name in values if now.get(name) != shown.get(name)}
        source = answer_source(self.file.seen, edited) if edited else self.file.seen
        if source != self.file.seen:
            self._write(source, force=False)  # refused over a newer save: then it asks
        return None if self._asking else source

    def reset(self) -> None:
        """Empty every box and put the starter back in the answer file."""
        self.clear()
        self._write(self.starter, force=True)

    def _write(self, source: str, *, force: bool) -> bool:
        try:
            if force:
                self.file.overwrite(source)
            elif not self.file.write(source):
                self._ask()
                return False
        except OSError as exc:
            self.notify(f"Could not write {self.path}: {exc.strerror}", severity="error")
            return False
        self._shown = self._boxes()
        return True

    def compose(self) -> ComposeResult:
        for field in self.fields:
            name = str(field["name"])
            with Horizontal(classes="field-row"):
                yield Label(str(field.get("label", name)), classes="field-label")
                yield self._make_box(field)
            yield Static(id=f"error-{name}", classes="field-error")

    def _make_box(self, field: Field) -> Input | Select[Any]:
        kind, box_id = field.get("type", "int"), f"field-{field['name']}"
        if kind in ("choice", "bool"):
            if kind == "bool":
                options: list[tuple[str, Any]] = [("yes (True)", True), ("no (False)", False)]
            else:
                options = [(str(c), c) for c in field.get("choices", ())]
            return Select(options, prompt="choose", id=box_id, compact=True)
        return Input(
            placeholder="C, H, W" if kind == "shape" else "a number or a sum: 16 * 9 + 16",
            validators=[FieldValidator(kind)],
            valid_empty=True,
            id=box_id,
            compact=True,
        )

    def box(self, name: str) -> Input | Select[Any]:
        widget = self.query_one(f"#field-{name}")
        assert isinstance(widget, (Input, Select))
        return widget

    def fill(self, values: Mapping[str, Any]) -> None:
        """Show the values of an answer file; a value that does not fit its box is left out."""
        for field in self.fields:
            name = str(field["name"])
            if name not in values:
                continue
            box = self.box(name)
            if isinstance(box, Select):
                allowed = [True, False] if field.get("type") == "bool" else field.get("choices", [])
                if any(values[name] == a and type(values[name]) is type(a) for a in allowed):
                    box.value = values[name]
            else:
                text = _as_text(field, values[name])
                if text is not None:
                    box.value = text

    def clear(self) -> None:
        for field in self.fields:
            box = self.box(str(field["name"]))
            if isinstance(box, Select):
                box.clear()
            else:
                box.value = ""

    def values(self) -> dict[str, Any]:
        """Each field's value (None for an empty box), assuming `invalid()` found nothing."""
        found: dict[str, Any] = {}
        for field in self.fields:
            name = str(field["name"])
            box = self.box(name)
            if isinstance(box, Select):
                found[name] = None if box.is_blank() else box.value
            elif not box.value.strip():
                found[name] = None
            elif field.get("type") == "shape":
                found[name] = parse_shape(box.value)
            else:
                found[name] = box_number(box.value)
        return found

    def invalid(self) -> list[Input]:
        """The boxes whose text is not a valid answer, each now showing why."""
        bad = []
        for box in self.query(Input):
            result = box.validate(box.value)
            self._show_problem(box, result)
            if result is not None and not result.is_valid:
                bad.append(box)
        return bad

    def _show_problem(self, box: Input, result: ValidationResult | None) -> None:
        """Under the box: why its text is not an answer, or the value of a sum it holds."""
        name = (box.id or "").removeprefix("field-")
        problem = "" if result is None or result.is_valid else result.failure_descriptions[0]
        error = self.query_one(f"#error-{name}", Static)
        value = parse_int(box.value) if not problem and is_sum(box.value) else None
        if value is not None:
            error.update(f"= {value:,}")
        else:
            error.update(problem)
        error.set_class(value is not None, "-value")
        error.display = bool(problem) or value is not None

    @on(Input.Changed)
    def _validate_as_typed(self, event: Input.Changed) -> None:
        self._show_problem(event.input, event.validation_result)

    @on(Input.Submitted)
    def _next_or_submit(self, event: Input.Submitted) -> None:
        event.stop()
        boxes = list(self.query("Input, Select"))
        if event.input is boxes[-1]:
            self.post_message(self.Submitted())
        else:
            boxes[boxes.index(event.input) + 1].focus()
