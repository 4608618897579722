"""Finding an exercise's checker and the learner's answer file (no textual, no torch)."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from tutor.paths import workspace_dir
from tutor.progress import atomic_write_text

if TYPE_CHECKING:
    from tutor.course import Exercise

_loaded: dict[tuple[str, int], ModuleType] = {}


def load_check(ex: Exercise) -> ModuleType:
    """Import `check.py` of an exercise from its file, under a name of its own.

    The module is cached until the file changes. Importing it is cheap: a checker
    imports torch or numpy only inside `setup` and `probe`, which run in the sandbox.
    """
    path = ex.folder / "check.py"
    key = (str(path.resolve()), path.stat().st_mtime_ns)
    module = _loaded.get(key)
    if module is not None:
        return module
    name = "tutor_exercise_check_" + re.sub(r"\W", "_", ex.folder.name)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load the checker {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    writes = sys.dont_write_bytecode
    sys.dont_write_bytecode = True  # keep the shipped exercise folders free of __pycache__
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    finally:
        sys.dont_write_bytecode = writes
    _loaded[key] = module
    return module


def check_params(ex: Exercise) -> dict[str, Any]:
    """The parameters the checker's `setup` and `probe` receive (its `PARAMS`, copied)."""
    return dict(getattr(load_check(ex), "PARAMS", {}))


def workspace_answer(home: Path, ex: Exercise) -> Path:
    """The learner's answer file for `ex`: made from the starter once, never overwritten."""
    path = workspace_dir(home) / f"{ex.folder.name}.py"
    if not path.exists():
        atomic_write_text(path, ex.starter)
    return path
