"""The playground's built-in example learns visibly in one epoch of Train (real torch)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tutor.paths import HOME_ENV
from tutor.playground_harness import DEFAULT_EXAMPLE, TrainSettings, train_source


@pytest.mark.slow
def test_the_built_in_example_passes_60_percent_in_one_epoch(
    tmp_path: Path, learner_home: Path
) -> None:
    script = tmp_path / "example.py"
    script.write_text(train_source(DEFAULT_EXAMPLE, TrainSettings(epochs=1)), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "tutor", "run", str(script), "--json", "--timeout", "600"],
        env={**os.environ, HOME_ENV: str(learner_home)},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    [evaluation] = [
        json.loads(line)["data"]
        for line in done.stdout.splitlines()
        if '"name": "evaluation"' in line or '"name":"evaluation"' in line
    ]
    assert evaluation["accuracy"] > 0.6
    assert sum(map(sum, evaluation["confusion"])) == 360  # a fifth of the 1,797 digits
