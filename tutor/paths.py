"""Where the shipped content and the learner's own files live (no textual, no torch)."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_dir

HOME_ENV = "CNN_TUTOR_HOME"
_PACKAGE = Path(__file__).resolve().parent


def content_root() -> Path:
    """The folder holding `lessons/` and `exercises/`: inside the wheel, or the checkout."""
    installed = _PACKAGE / "content"
    if (installed / "lessons").is_dir():
        return installed
    return _PACKAGE.parent


def lessons_dir() -> Path:
    return content_root() / "lessons"


def exercises_dir() -> Path:
    return content_root() / "exercises"


def learner_home(override: str | os.PathLike[str] | None = None) -> Path:
    """The learner's data folder: `--home`, else $CNN_TUTOR_HOME, else the XDG data folder."""
    chosen = override or os.environ.get(HOME_ENV)
    if chosen:
        return Path(chosen).expanduser().resolve()
    return Path(user_data_dir("cnn-tutor", appauthor=False))


def workspace_dir(home: Path) -> Path:
    """The learner's editable copies of exercise answers and playground code."""
    return home / "workspace"
