"""Which sandbox isolation levels a test may ask for here, and why one is skipped.

A level is skipped only when $CNN_TUTOR_ISOLATION caps the tutor below it on purpose.
bubblewrap missing is a skip with its reason on a workstation, and a failure on CI
(CI=true): CI installs it (.ci/run), so its absence there is a broken setup, not a pass.
"""

from __future__ import annotations

import os
import shutil

import pytest

from tutor.sandbox.isolation import LEVEL_ENV, LEVELS


def require(level: str) -> None:
    """Skip or fail the calling test when `level` cannot be had, saying why."""
    cap = (os.environ.get(LEVEL_ENV) or "auto").strip().lower()
    if cap in LEVELS and LEVELS.index(level) < LEVELS.index(cap):
        pytest.skip(f"isolation capped at {cap} on purpose by ${LEVEL_ENV}")
    if level == "bubblewrap" and not shutil.which("bwrap"):
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("bubblewrap (bwrap) is missing on CI; .ci/run must install it")
        pytest.skip("bubblewrap is not installed here (apt install bubblewrap)")


def bubblewrap_or_skip() -> None:
    require("bubblewrap")
