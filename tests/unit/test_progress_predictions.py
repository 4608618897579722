"""Predictions in the progress file: kept across saves, and older or odd files still load."""

from __future__ import annotations

import json
from pathlib import Path

from tutor.progress import Progress


def test_predictions_survive_a_save_and_a_load(tmp_path: Path) -> None:
    progress = Progress.load(tmp_path)
    progress.record_prediction("lesson-03-1", "14", False)
    progress.save()
    again = Progress.load(tmp_path)
    assert again.predictions["lesson-03-1"].given == "14"
    assert again.predictions["lesson-03-1"].correct is False
    assert again.notice is None


def test_a_file_from_before_predictions_loads_with_none(tmp_path: Path) -> None:
    old = {"version": 1, "lessons_read": ["lesson-01"], "last_screen": "lesson-02"}
    (tmp_path / "progress.json").write_text(json.dumps(old), encoding="utf-8")
    progress = Progress.load(tmp_path)
    assert progress.predictions == {} and progress.lessons_read == {"lesson-01"}
    progress.save()
    assert "predictions" not in json.loads((tmp_path / "progress.json").read_text())


def test_odd_prediction_entries_are_skipped_not_fatal(tmp_path: Path) -> None:
    data = {
        "version": 1,
        "lessons_read": [],
        "predictions": {"lesson-01-1": {"given": "78400", "correct": True}, "x": 3},
    }
    (tmp_path / "progress.json").write_text(json.dumps(data), encoding="utf-8")
    progress = Progress.load(tmp_path)
    assert list(progress.predictions) == ["lesson-01-1"] and progress.notice is None
    data["predictions"] = ["not", "a", "mapping"]
    (tmp_path / "progress.json").write_text(json.dumps(data), encoding="utf-8")
    assert Progress.load(tmp_path).predictions == {}
