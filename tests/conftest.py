"""Shared fixtures for every test suite."""

from __future__ import annotations

from pathlib import Path

import pytest

from tutor.paths import HOME_ENV


@pytest.fixture(autouse=True)
def learner_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty learner home for each test, also named by $CNN_TUTOR_HOME."""
    home = tmp_path / "learner-home"
    home.mkdir()
    monkeypatch.setenv(HOME_ENV, str(home))
    return home
