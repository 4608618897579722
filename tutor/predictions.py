"""Inline predictions of a lesson: a question the learner answers before the explanation shows.

A lesson holds a prediction as a fenced block:

    ```predict
    question: A 28×28 map goes through MaxPool2d(2). What shape comes out?
    answer: 14, 14
    ---
    The explanation, in Markdown, shown once the learner has committed to an answer.
    ```

`answer` is a shape (numbers separated by commas), a whole number, or, with a
`choices: first | second | third` line, one of the choices. Checking is plain Python
(no textual, no torch), so the lesson screen checks an answer at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from tutor.course import Lesson

FENCE = "predict"
_KEYS = ("question", "answer", "choices")
_SHAPE_TEXT = re.compile(r"^[\s\d,()\[\]x×]*$")
_NUMBER_TEXT = re.compile(r"^\d{1,3}(?:[,_ ]?\d{3})*$|^\d+$")

Kind = Literal["shape", "number", "choice"]


class PredictionError(ValueError):
    """A ```predict block without the form described above."""


@dataclass(frozen=True)
class Verdict:
    """What the learner typed, read back, and whether it was right."""

    given: str
    correct: bool


@dataclass(frozen=True)
class Prediction:
    key: str  # "lesson-03-1": the lesson's key and the prediction's number in it
    question: str
    answer: str
    reveal: str
    choices: tuple[str, ...] = ()

    @property
    def kind(self) -> Kind:
        if self.choices:
            return "choice"
        return "number" if _NUMBER_TEXT.match(self.answer.strip()) else "shape"

    @property
    def how_to_answer(self) -> str:
        """The one-line hint under the answer field."""
        if self.kind == "choice":
            letters = ", ".join(chr(ord("a") + i) for i in range(len(self.choices)))
            return f"Type {letters} (or the choice itself), then Enter."
        if self.kind == "shape":
            return "Type the shape as numbers separated by commas, e.g. 8, 16, 28, 28; then Enter."
        return "Type a whole number (commas are fine), then Enter."

    @property
    def shown_answer(self) -> str:
        """The answer as the lesson states it after the prediction."""
        if self.kind == "shape":
            return f"({', '.join(str(n) for n in _shape(self.answer) or ())})"
        if self.kind == "choice":
            return self.answer
        return f"{int(re.sub(r'[,_ ]', '', self.answer)):,}"

    def check(self, typed: str) -> Verdict:
        """The verdict on `typed`; PredictionError (a sentence for the learner) if it is not
        an answer of the right form at all, so nothing is recorded."""
        text = typed.strip()
        if not text:
            raise PredictionError(self.how_to_answer)
        if self.kind == "choice":
            return Verdict(text, self._choice(text) == self.answer)
        if self.kind == "shape":
            shape = _shape(text)
            if shape is None:
                raise PredictionError(f"'{text}' is not a shape. {self.how_to_answer}")
            return Verdict(text, shape == _shape(self.answer))
        if not _NUMBER_TEXT.match(text):
            raise PredictionError(f"'{text}' is not a whole number. {self.how_to_answer}")
        wanted = int(re.sub(r"[,_ ]", "", self.answer))
        return Verdict(text, int(re.sub(r"[,_ ]", "", text)) == wanted)

    def _choice(self, text: str) -> str:
        lowered = text.lower().strip("() .")
        for index, choice in enumerate(self.choices):
            if lowered in (chr(ord("a") + index), str(index + 1), choice.lower()):
                return choice
        letters = ", ".join(chr(ord("a") + i) for i in range(len(self.choices)))
        raise PredictionError(f"'{text}' is none of the choices: type one of {letters}.")


def _shape(text: str) -> tuple[int, ...] | None:
    if not _SHAPE_TEXT.match(text):
        return None
    numbers = tuple(int(n) for n in re.findall(r"\d+", text))
    return numbers or None


def parse_prediction(source: str, key: str) -> Prediction:
    """One ```predict block's text as a Prediction; PredictionError saying what is missing."""
    head, sep, reveal = source.partition("\n---")
    if not sep:
        raise PredictionError(f"{key}: a prediction needs a '---' line before its explanation")
    fields: dict[str, str] = {}
    last = ""
    for line in head.splitlines():
        name, colon, value = line.partition(":")
        if colon and name.strip() in _KEYS and name.strip() not in fields:
            last = name.strip()
            fields[last] = value.strip()
        elif line.strip() and last:
            fields[last] += " " + line.strip()
        elif line.strip():
            raise PredictionError(f"{key}: unexpected line {line!r} (expected question: ...)")
    for needed in ("question", "answer"):
        if not fields.get(needed):
            raise PredictionError(f"{key}: the prediction has no '{needed}:' line")
    choices = tuple(c.strip() for c in fields.get("choices", "").split("|") if c.strip())
    prediction = Prediction(key, fields["question"], fields["answer"], reveal.strip(), choices)
    if choices and prediction.answer not in choices:
        raise PredictionError(f"{key}: the answer {prediction.answer!r} is not one of the choices")
    if not choices:
        try:
            prediction.check(prediction.answer)
        except PredictionError as exc:
            raise PredictionError(f"{key}: the answer cannot be checked: {exc}") from None
    if not prediction.reveal:
        raise PredictionError(f"{key}: nothing after '---' to show once answered")
    return prediction


def lesson_predictions(lesson: Lesson) -> list[Prediction]:
    """The predictions of a lesson, in order (keys lesson-NN-1, lesson-NN-2, ...)."""
    blocks = [block.source for block in lesson.blocks if block.language == FENCE]
    return [parse_prediction(source, f"{lesson.key}-{n}") for n, source in enumerate(blocks, 1)]


def open_predictions(lessons: Iterable[Lesson], answered: Iterable[str]) -> dict[str, int]:
    """Lesson key -> how many of its predictions the learner has not yet answered."""
    done = set(answered)
    counts: dict[str, int] = {}
    for lesson in lessons:
        try:
            keys = [p.key for p in lesson_predictions(lesson)]
        except PredictionError:
            continue
        still = sum(1 for key in keys if key not in done)
        if still:
            counts[lesson.key] = still
    return counts
