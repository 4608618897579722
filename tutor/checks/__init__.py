"""The checking toolkit the exercises use: parts, verdicts, loaders (no textual, no torch).

Each exercise's `check.py` has three functions: `setup` and `probe` run inside the
sandbox around the learner's code, `judge` runs here, in the tutor, on the facts the
probe measured. Nothing the learner's code prints is trusted.
"""

from __future__ import annotations

from tutor.checks.loader import check_params, load_check, workspace_answer
from tutor.checks.verdict import Part, Verdict, verdict_from_events

__all__ = [
    "Part",
    "Verdict",
    "check_params",
    "load_check",
    "verdict_from_events",
    "workspace_answer",
]
