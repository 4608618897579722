"""The checking toolkit the exercises use: parts, verdicts, loaders (no textual, no torch).

Each exercise's `check.py` has three functions: `setup` and `probe` run inside the
sandbox around the learner's code, `judge` runs here, in the tutor, on the facts the
probe measured. Nothing the learner's code prints is trusted.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tutor.checks.loader import check_params, load_check, workspace_answer
    from tutor.checks.verdict import Part, Verdict, verdict_from_events

# Imported on first use: the sandbox imports `tutor.checks.evidence` in every worker and
# probe, and must not pay for the verdict and loader modules it never calls.
_HOMES = {
    "Part": "verdict",
    "Verdict": "verdict",
    "verdict_from_events": "verdict",
    "check_params": "loader",
    "load_check": "loader",
    "workspace_answer": "loader",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"tutor.checks.{_HOMES[name]}"), name)


__all__ = [
    "Part",
    "Verdict",
    "check_params",
    "load_check",
    "verdict_from_events",
    "workspace_answer",
]
