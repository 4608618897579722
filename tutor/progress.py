"""The learner's progress on disk: lessons read, exercise states, where they left off.

Written atomically (a temporary file renamed over the old one), so a crash or a kill
never leaves half a file. A state file that cannot be read is set aside, not deleted,
and the tutor starts clean with a notice. No textual, no torch.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tutor.paths import workspace_dir

STATE_FILE = "progress.json"
STATE_VERSION = 1

NOT_STARTED = "not started"
FAILING = "failing"
PASSED = "passed"


def atomic_write_text(path: Path, text: str) -> None:
    """Replace `path` with `text` so that readers see the old file or the new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass
class ExerciseState:
    state: str = NOT_STARTED
    tries: int = 0
    hints_shown: int = 0
    solution_seen: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "tries": self.tries,
            "hints_shown": self.hints_shown,
            "solution_seen": self.solution_seen,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ExerciseState:
        state = data.get("state", NOT_STARTED)
        if state not in (NOT_STARTED, FAILING, PASSED):
            state = NOT_STARTED
        return cls(
            state=state,
            tries=int(data.get("tries", 0)),
            hints_shown=int(data.get("hints_shown", 0)),
            solution_seen=bool(data.get("solution_seen", False)),
        )


@dataclass
class Guess:
    """The learner's answer to one inline prediction of a lesson."""

    given: str
    correct: bool

    def to_json(self) -> dict[str, Any]:
        return {"given": self.given, "correct": self.correct}

    @classmethod
    def read_all(cls, data: Any) -> dict[str, Guess]:
        """The recorded predictions; entries of the wrong form are skipped, not fatal."""
        if not isinstance(data, dict):
            return {}
        return {
            str(key): cls(str(value.get("given", ""))[:200], bool(value.get("correct")))
            for key, value in data.items()
            if isinstance(value, dict)
        }


@dataclass
class Progress:
    """Everything the tutor remembers about one learner."""

    home: Path
    lessons_read: set[str] = field(default_factory=set)
    exercises: dict[str, ExerciseState] = field(default_factory=dict)
    last_screen: str = "home"
    notice: str | None = None
    # Inline predictions answered in the lessons: "lesson-03-1" -> what was typed and
    # whether it was right. Older state files have none; that reads as "none answered".
    predictions: dict[str, Guess] = field(default_factory=dict)

    @property
    def path(self) -> Path:
        return self.home / STATE_FILE

    @property
    def workspace(self) -> Path:
        return workspace_dir(self.home)

    @classmethod
    def load(cls, home: Path) -> Progress:
        """Read the state file; a missing one starts clean, a broken one is set aside."""
        progress = cls(home=home)
        path = progress.path
        try:
            raw = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return progress
        except OSError as exc:
            progress.notice = (
                f"Could not read {path} ({exc.strerror}); starting with a clean slate."
            )
            return progress
        try:
            data = json.loads(raw)
            if not isinstance(data, dict):
                raise ValueError("the top level is not an object")
            progress.lessons_read = {str(k) for k in data.get("lessons_read", [])}
            progress.exercises = {
                str(k): ExerciseState.from_json(v) for k, v in data.get("exercises", {}).items()
            }
            progress.last_screen = str(data.get("last_screen", "home"))
            progress.predictions = Guess.read_all(data.get("predictions"))
        except (ValueError, TypeError, AttributeError) as exc:
            aside = path.with_name(f"{STATE_FILE}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
            try:
                os.replace(path, aside)
                where = f"it was moved to {aside.name}"
            except OSError:
                where = "it could not be moved aside"
            progress = cls(home=home)
            progress.notice = (
                f"Your progress file was damaged ({exc}); {where} and the tutor started afresh."
            )
        return progress

    def save(self) -> None:
        data = {
            "version": STATE_VERSION,
            "lessons_read": sorted(self.lessons_read),
            "exercises": {k: v.to_json() for k, v in sorted(self.exercises.items())},
            "last_screen": self.last_screen,
        }
        if self.predictions:
            data["predictions"] = {k: v.to_json() for k, v in sorted(self.predictions.items())}
        atomic_write_text(self.path, json.dumps(data, indent=2) + "\n")

    def exercise(self, slug: str) -> ExerciseState:
        return self.exercises.setdefault(slug, ExerciseState())

    def mark_read(self, lesson_key: str) -> None:
        self.lessons_read.add(lesson_key)

    def record_prediction(self, key: str, given: str, correct: bool) -> None:
        self.predictions[key] = Guess(given, correct)

    def record_check(self, slug: str, passed: bool) -> ExerciseState:
        state = self.exercise(slug)
        state.tries += 1
        if passed:
            state.state = PASSED
        elif state.state != PASSED:
            state.state = FAILING
        return state
