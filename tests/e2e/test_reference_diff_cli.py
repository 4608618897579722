"""The reference diff as `cnn-tutor check` shows it: a learner's exercise-5 model beside the
reference, in text at 80 columns and in `--json`, through a real sandbox and referee."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tutor.course import find_exercise
from tutor.paths import HOME_ENV

EX5 = find_exercise("5")
# conv2 takes 1 channel where conv1 gives 16: the forward raises at conv2, the fourth row.
STALE = EX5.folder / "mistakes" / "layers--stale-in-channels.py"
# fc expects 32 x 14 x 14 features and gets 32 x 7 x 7: the forward raises at fc, row eight.
IN_FEATURES = EX5.folder / "mistakes" / "in-features--second-pool-forgotten.py"


def check(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, HOME_ENV: str(home), "COLUMNS": "80", "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, "-m", "tutor", "check", "5", *args],
        cwd=home.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def diff_block(stdout: str) -> list[str]:
    """The lines of the diff: from its heading to the sentence that ends it."""
    lines = stdout.splitlines()
    start = lines.index("Your model beside the reference:")
    end = next(i for i in range(start, len(lines)) if lines[i].startswith(("Row ", "Your model m")))
    return lines[start : end + 1]


def test_a_wrong_model_in_text_marks_the_row_where_it_departs(learner_home: Path) -> None:
    done = check(str(IN_FEATURES), home=learner_home)
    assert done.returncode == 1, done.stderr
    block = diff_block(done.stdout)
    assert all(len(line) <= 80 for line in block), done.stdout
    marked = [line for line in block if line.startswith("▶")]
    assert len(marked) == 1, "\n".join(block)
    left, right = marked[0].split(" | ")
    assert left.split()[1:] == ["8", "Linear", "raised", "62,730"]
    assert right.split() == ["Linear", "(8,10)", "15,690"]
    rows = [line for line in block if line[2:4].strip().isdigit()]
    assert len(rows) == 8
    assert rows[6].split(" | ")[0].split()[-2:] == ["(8,1568)", "-"]  # the flatten still agrees
    assert block[-1] == "Row 8 (▶) is the first where your model differs from the reference."


def test_a_wrong_model_in_json_names_the_first_differing_row(learner_home: Path) -> None:
    done = check(str(STALE), "--json", home=learner_home)
    assert done.returncode == 1, done.stderr
    verdict = json.loads(done.stdout)
    assert list(verdict)[:5] == ["exercise", "slug", "passed", "elapsed_s", "parts"]
    rows = verdict["reference_diff"]
    assert verdict["first_difference"] == 3
    assert [r["differs"] for r in rows[:3]] == [False, False, False]
    assert (
        rows[0]["learner"]
        == rows[0]["reference"]
        == {
            "layer": "Conv2d",
            "out": [8, 16, 28, 28],
            "params": 160,
        }
    )
    assert rows[3]["learner"] == {"layer": "Conv2d", "out": None, "params": 32 * 1 * 9 + 32}
    assert rows[3]["reference"] == {"layer": "Conv2d", "out": [8, 32, 14, 14], "params": 4640}
    assert all(r["learner"] is None for r in rows[4:]) and len(rows) == 8
    assert rows[-1]["reference"] == {"layer": "Linear", "out": [8, 10], "params": 15_690}


def test_a_correct_model_shows_no_difference(learner_home: Path) -> None:
    solution = EX5.folder / "solution.py"
    done = check(str(solution), "--json", home=learner_home)
    assert done.returncode == 0, done.stderr
    verdict = json.loads(done.stdout)
    assert verdict["first_difference"] is None
    assert len(verdict["reference_diff"]) == 8
    assert not any(r["differs"] for r in verdict["reference_diff"])
    text = check(str(solution), home=learner_home)
    assert text.returncode == 0, text.stderr
    block = diff_block(text.stdout)
    assert block[-1].startswith("Your model matches the reference row by row")
    assert not any(line.startswith("▶") for line in block)


def test_a_refereed_exercise_without_a_model_has_no_diff(learner_home: Path) -> None:
    """Exercise 2 has a referee but no reference model: its JSON is the contract's object."""
    solution = find_exercise("2").folder / "solution.py"
    done = subprocess.run(
        [sys.executable, "-m", "tutor", "check", "2", str(solution), "--json"],
        cwd=learner_home.parent,
        env={**os.environ, HOME_ENV: str(learner_home)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert list(json.loads(done.stdout)) == ["exercise", "slug", "passed", "elapsed_s", "parts"]
