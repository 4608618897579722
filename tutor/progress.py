"""The learner's progress on disk: lessons read, exercise states, where they left off.

Every change is read, made and written under an exclusive lock (`fcntl.flock` on
`progress.json.lock` beside the file), so the TUI, `check` and `watch` running at once
never lose each other's tries or passes: `with progress.changing():` reloads the file,
lets the caller change it, and writes it back atomically (a temporary file renamed over
the old one). A state file that cannot be read (not UTF-8, not JSON, a number too big,
a value of the wrong type, cut short) is set aside, not deleted, and the tutor goes on
clean with a notice. No textual, no torch.

The rules, the same wherever a check ran: every check counts one try; "passed" is kept
once earned; `last` is the latest verdict, so a later failure shows beside the pass.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import math
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tutor.paths import workspace_dir

STATE_FILE = "progress.json"
LOCK_FILE = "progress.json.lock"
STATE_VERSION = 1
MAX_STATE_BYTES = 1 << 20  # a real file is a few kB; anything bigger is damage

NOT_STARTED = "not started"
FAILING = "failing"
PASSED = "passed"
STATES = (NOT_STARTED, FAILING, PASSED)


class DamagedProgress(ValueError):
    """The progress file holds something this tutor never writes."""


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


def _count(data: dict[str, Any], key: str) -> int:
    value = data.get(key, 0)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 10**9:
        raise DamagedProgress(f"{key!r} is {value!r}, not a count")
    return value


def _flag(data: dict[str, Any], key: str) -> bool:
    value = data.get(key, False)
    if not isinstance(value, bool):
        raise DamagedProgress(f"{key!r} is {value!r}, not true or false")
    return value


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise DamagedProgress(f"{what} is not an object")
    return value


def _reject_constant(name: str) -> float:
    raise DamagedProgress(f"{name} is not a number JSON allows")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise DamagedProgress(f"the number {text[:20]} is too big")
    return value


@dataclass
class ExerciseState:
    state: str = NOT_STARTED
    tries: int = 0
    hints_shown: int = 0
    solution_seen: bool = False
    last: str | None = None  # the latest check's verdict: PASSED, FAILING or None (none yet)

    def to_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "tries": self.tries,
            "hints_shown": self.hints_shown,
            "solution_seen": self.solution_seen,
            "last": self.last,
        }

    @classmethod
    def from_json(cls, data: Any) -> ExerciseState:
        data = _object(data, "an exercise's state")
        state = data.get("state", NOT_STARTED)
        last = data.get("last")
        if state not in STATES or last not in (None, PASSED, FAILING):
            raise DamagedProgress(f"the state {state!r} is not one of {', '.join(STATES)}")
        return cls(
            state=state,
            tries=_count(data, "tries"),
            hints_shown=_count(data, "hints_shown"),
            solution_seen=_flag(data, "solution_seen"),
            last=last,
        )

    @property
    def summary(self) -> str:
        """The state in words, with a failure after a pass said beside it."""
        if self.state == PASSED and self.last == FAILING:
            return "passed (last check failing)"
        return self.state


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

    # -- the file -----------------------------------------------------------------------
    @classmethod
    def load(cls, home: Path) -> Progress:
        """Read the state file under the lock; a missing one starts clean, a broken one is
        set aside with a notice."""
        progress = cls(home=home)
        try:
            with progress._locked():
                progress._reload()
        except OSError as exc:
            progress.notice = (
                f"Could not read {progress.path} ({exc.strerror or exc}); "
                "starting with a clean slate."
            )
        return progress

    @contextlib.contextmanager
    def changing(self) -> Iterator[Progress]:
        """Lock, reload from disk, let the caller change this object, then write it back.

        Raises OSError when the file cannot be locked or written; what another process
        wrote meanwhile is kept, since the change is made on a fresh copy.
        """
        with self._locked():
            self._reload()
            yield self
            self._write()

    def save(self) -> None:
        """Write this object as it is, under the lock (prefer `changing()` for a change)."""
        with self._locked():
            self._write()

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.home.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.home / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing drops the lock

    def _reload(self) -> None:
        """Replace this object's state by the file's (the lock is held)."""
        try:
            with self.path.open("rb") as handle:
                raw = handle.read(MAX_STATE_BYTES + 1)
        except FileNotFoundError:
            return
        try:
            if len(raw) > MAX_STATE_BYTES:
                raise DamagedProgress(f"it is over {MAX_STATE_BYTES // 1024} kB")
            data = _object(
                json.loads(
                    raw.decode("utf-8"),
                    parse_constant=_reject_constant,
                    parse_float=_finite_float,
                ),
                "the top level",
            )
            self._from_json(data)
        except (ValueError, TypeError, RecursionError) as exc:
            # UnicodeDecodeError and json.JSONDecodeError are ValueErrors too.
            reason = "it is not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else str(exc)
            self._set_aside(reason[:200])

    def _from_json(self, data: dict[str, Any]) -> None:
        lessons = data.get("lessons_read", [])
        if not isinstance(lessons, list) or not all(isinstance(k, str) for k in lessons):
            raise DamagedProgress("'lessons_read' is not a list of lesson names")
        exercises = _object(data.get("exercises", {}), "'exercises'")
        last_screen = data.get("last_screen", "home")
        if not isinstance(last_screen, str):
            raise DamagedProgress("'last_screen' is not a place name")
        states = {str(k): ExerciseState.from_json(v) for k, v in exercises.items()}
        # In place: screens keep references to these collections.
        self.exercises.clear()
        self.exercises.update(states)
        self.lessons_read.clear()
        self.lessons_read.update(lessons)
        self.last_screen = last_screen
        self.predictions.clear()
        self.predictions.update(Guess.read_all(data.get("predictions")))

    def _to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "version": STATE_VERSION,
            "lessons_read": sorted(self.lessons_read),
            "exercises": {k: v.to_json() for k, v in sorted(self.exercises.items())},
            "last_screen": self.last_screen,
        }
        if self.predictions:
            data["predictions"] = {k: v.to_json() for k, v in sorted(self.predictions.items())}
        return data

    def _write(self) -> None:
        atomic_write_text(self.path, json.dumps(self._to_json(), indent=2) + "\n")

    def _set_aside(self, reason: str) -> None:
        aside = self.path.with_name(f"{STATE_FILE}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
        try:
            os.replace(self.path, aside)
            where = f"it was moved to {aside.name}"
        except OSError:
            where = "it could not be moved aside"
        self.lessons_read.clear()
        self.exercises.clear()
        self.predictions.clear()
        self.last_screen = "home"
        self.notice = (
            f"Your progress file was damaged ({reason}); {where} and the tutor started afresh."
        )

    # -- changes (make them inside `changing()`) ----------------------------------------
    def exercise(self, slug: str) -> ExerciseState:
        return self.exercises.setdefault(slug, ExerciseState())

    def mark_read(self, lesson_key: str) -> None:
        self.lessons_read.add(lesson_key)

    def record_prediction(self, key: str, given: str, correct: bool) -> None:
        self.predictions[key] = Guess(given, correct)

    def record_check(self, slug: str, passed: bool) -> ExerciseState:
        state = self.exercise(slug)
        state.tries += 1
        state.last = PASSED if passed else FAILING
        if passed:
            state.state = PASSED
        elif state.state != PASSED:
            state.state = FAILING
        return state
