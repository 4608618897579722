"""`cnn-tutor grade` as a teacher runs it: real class folders made from each exercise's own
solution and mistakes, hostile submissions written here beside correct ones, a real sandbox,
real subprocesses, and the CSV and JSON read back from disk."""

from __future__ import annotations

import csv
import json
import os
import pty
import shutil
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tutor.course import find_exercise
from tutor.paths import HOME_ENV
from tutor.progress import Progress

CSV_COLUMNS = [
    "student",
    "exercise",
    "passed",
    "parts_passed",
    "parts_total",
    "failed_parts",
    "elapsed_s",
    "error",
]
CHECK_KEYS = ["exercise", "slug", "passed", "elapsed_s", "parts"]
EX5 = find_exercise("5")
EX1 = find_exercise("1")
EX5_PARTS = 8  # six of the judge, and the referee's same-outputs and input-used

LOOP = "while True:\n    pass\n"
FORK_BOMB = "import os\nwhile True:\n    os.fork()\n"
SHOUTER = "while True:\n    print('x' * 10_000)\n"
HOG = "hoard = bytearray(16 * 1024**3)\n"
ESSAY = "My answer: a CNN shares its weights, so it needs fewer of them.\n"
# Builds the facts a correct SimpleCNN gives, writes them and a `done` for this and other
# jobs on every descriptor it can reach, prints them too, then defines a wrong SimpleCNN.
FORGER = """\
import json
import os

import torch
import torch.nn as nn
from tutor.checks.probes import class_facts, model_facts


class Right(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(32 * 7 * 7, 10)

    def forward(self, x):
        x = self.pool(torch.relu(self.conv1(x)))
        x = self.pool(torch.relu(self.conv2(x)))
        return self.fc(torch.flatten(x, start_dim=1))


facts = {
    "class": class_facts({"SimpleCNN": Right}, "SimpleCNN"),
    "model": model_facts(Right(), (8, 1, 28, 28)),
}
forged = [
    {"type": "facts", "data": facts},
    {"type": "done", "status": "ok", "elapsed_s": 0.1, "device": "cpu"},
]
for name in os.listdir("/proc/self/fd"):
    fd = int(name)
    for job in (None, 1, 2, 3, 4, 5):
        for event in forged:
            line = dict(event) if job is None else {**event, "job": job}
            try:
                os.write(fd, (json.dumps(line) + "\\n").encode())
            except OSError:
                pass


class SimpleCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.flat = nn.Flatten()
        self.fc = nn.Linear(32 * 7 * 7, 10)

    def forward(self, x):
        x = self.pool(torch.relu(self.conv1(x)))
        x = self.pool(torch.relu(self.conv2(x)))
        return self.fc(self.flat(x))
"""
# The careful forger: only a well-formed facts event, then a clean exit before the probe.
FORGER_CLEAN_EXIT = (
    FORGER[: FORGER.index("forged = [")]
    + """\
line = json.dumps({"type": "facts", "data": facts}) + "\\n"
for fd in range(3, 64):
    try:
        os.fstat(fd)
        os.write(fd, line.encode())
    except OSError:
        pass
os._exit(0)
"""
)
ESCAPE_NAME = "\x1b[2Jclear"

# Hostile submissions that are graded (and fail) with the part they must fail, if known.
HOSTILE_GRADED: dict[str, list[str] | None] = {
    "loop": ["runs"],
    "forkbomb": None,
    "shouter": ["runs"],
    "hog": ["runs"],
    "essay": ["parses"],
    "nul": ["parses"],
    "forger": ["runs"],  # stopped for writing on the tutor's channel
}
# Submissions the grader cannot hand to the checker, with a word of the reason.
NOT_GRADED = {"latin1": "not UTF-8", "huge": "MB", "fifo": "not a regular file"}


def cli(*args: str, home: Path, cwd: Path, **options: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tutor", *args],
        cwd=cwd,
        env={**os.environ, HOME_ENV: str(home)},
        capture_output=True,
        text=True,
        timeout=600,
        **options,
    )


def mistakes(ex: Any) -> dict[str, str]:
    """Student name -> the part that student's answer must fail (from the mistake's name)."""
    return {
        f"mistake-{path.stem}": path.stem.split("--")[0]
        for path in sorted((ex.folder / "mistakes").glob("*.py"))
    }


def make_class_5(folder: Path) -> dict[str, list[str]]:
    """Exercise 5's class: correct answers, every shipped mistake, and hostile files, each
    hostile one followed (in name order, which is grading order) by a correct answer.
    Returns the verdict each well-behaved student must get: the parts it fails."""
    folder.mkdir()
    expected: dict[str, list[str]] = {"alice": [], "bob": [], ESCAPE_NAME: []}
    for student, part in mistakes(EX5).items():
        shutil.copy(
            EX5.folder / "mistakes" / f"{student.removeprefix('mistake-')}.py",
            folder / f"{student}.py",
        )
        expected[student] = [part]
    for student in ("alice", "bob", ESCAPE_NAME):
        (folder / f"{student}.py").write_text(EX5.solution, encoding="utf-8")
    hostile = {
        "loop": LOOP,
        "forkbomb": FORK_BOMB,
        "shouter": SHOUTER,
        "hog": HOG,
        "essay": ESSAY,
        "forger": FORGER,
        "forger-clean-exit": FORGER_CLEAN_EXIT,
    }
    for student, text in hostile.items():
        (folder / f"{student}.py").write_text(text, encoding="utf-8")
    (folder / "nul.py").write_bytes(b"import torch\x00\nclass SimpleCNN: pass\n")
    (folder / "latin1.py").write_bytes(EX5.solution.encode() + "# café\n".encode("latin-1"))
    (folder / "huge.py").write_text(EX5.solution + "#" * 3_000_000 + "\n", encoding="utf-8")
    os.mkfifo(folder / "fifo.py")
    for student in [*hostile, "nul", "latin1", "huge", "fifo"]:
        (folder / f"{student}_next.py").write_text(EX5.solution, encoding="utf-8")
        expected[f"{student}_next"] = []
    (folder / "notes.txt").write_text("not a submission\n", encoding="utf-8")
    return expected


@pytest.fixture(scope="module")
def class_5(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Exercise 5's mixed class, graded twice: two at a time to CSV, one at a time to JSON."""
    root = tmp_path_factory.mktemp("grade5")
    home = root / "teacher-home"
    home.mkdir()
    expected = make_class_5(root / "class")
    two = cli(
        "grade",
        "5",
        "class",
        "--jobs",
        "2",
        "--timeout",
        "10",
        "--out",
        "class.csv",
        home=home,
        cwd=root,
    )
    one = cli(
        "grade",
        "5",
        "class",
        "--jobs",
        "1",
        "--timeout",
        "10",
        "--out",
        "class.json",
        home=home,
        cwd=root,
    )
    return {"root": root, "home": home, "expected": expected, "two": two, "one": one}


def csv_rows(path: Path) -> tuple[list[str], dict[str, dict[str, str]]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        rows = {row["student"]: row for row in reader}
        return list(reader.fieldnames or []), rows


def all_students(expected: dict[str, list[str]]) -> set[str]:
    return {*expected, *HOSTILE_GRADED, *NOT_GRADED, "forger-clean-exit"}


def test_a_mixed_class_is_graded_right_and_the_csv_is_complete(class_5: dict[str, Any]) -> None:
    done = class_5["two"]
    assert done.returncode == 1, done.stderr  # some could not be graded
    assert "Traceback" not in done.stderr
    header, rows = csv_rows(class_5["root"] / "class.csv")
    assert header == CSV_COLUMNS
    assert set(rows) == all_students(class_5["expected"])
    for student, failing in class_5["expected"].items():
        row = rows[student]
        assert row["error"] == "", (student, row)
        assert row["exercise"] == "5"
        if failing:
            assert row["passed"] == "false", (student, row)
            assert failing[0] in row["failed_parts"].split(";"), (student, row)
        else:
            assert row["passed"] == "true", (student, row)
            assert row["parts_passed"] == row["parts_total"] == str(EX5_PARTS)
            assert row["failed_parts"] == ""
    for student, parts in HOSTILE_GRADED.items():
        row = rows[student]
        assert row["passed"] == "false" and row["error"] == "", (student, row)
        if parts:
            assert row["failed_parts"].split(";") == parts, (student, row)
    for student, reason in NOT_GRADED.items():
        row = rows[student]
        assert row["passed"] == "false" and reason in row["error"], (student, row)
        assert row["parts_total"] == "" and row["failed_parts"] == ""
    assert all(float(row["elapsed_s"]) >= 0 for row in rows.values())


def test_the_table_names_every_student_and_the_most_common_mistake(
    class_5: dict[str, Any],
) -> None:
    out = class_5["two"].stdout
    lines = out.splitlines()
    assert lines[0].startswith("Exercise 5 · module-class")
    whole = f"{EX5_PARTS}/{EX5_PARTS}"
    assert any(line.split()[:3] == ["alice", "passed", whole] for line in lines)
    assert any(line.split()[:4] == ["loop", "failed", "0/1", "runs"] for line in lines)
    latin = next(line for line in lines if line.startswith("latin1 "))
    assert "NOT GRADED" in latin and "not UTF-8" in latin
    flatten = next(line for line in lines if line.startswith("mistake-flatten--nn-flatten"))
    assert flatten.split()[1:4] == ["failed", f"{EX5_PARTS - 1}/{EX5_PARTS}", "flatten"]
    assert "\x1b" not in out  # a file name with an escape code is shown, not obeyed
    assert "\\x1b[2Jclear" in out
    # the per-part summary counts what the CSV says, and names the most common first failure
    _, rows = csv_rows(class_5["root"] / "class.csv")
    failed = [row["failed_parts"].split(";") for row in rows.values() if row["failed_parts"]]
    first = Counter(parts[0] for parts in failed)
    anywhere = Counter(part for parts in failed for part in parts)
    start = next(
        i for i, line in enumerate(lines) if line.split()[:3] == ["part", "first", "failed"]
    )
    summary = {}
    for line in lines[start + 1 :]:
        if not line.strip():
            break
        part, n_first, n_failed = line.split()[:3]
        summary[part] = (int(n_first), int(n_failed))
    assert summary == {part: (first[part], anywhere[part]) for part in anywhere}
    top = max(first.values())
    assert f"Most common mistake: {' and '.join(p for p in summary if first[p] == top)}," in out
    # progress and notes go to stderr, never into the table
    assert "ignored 1 entry, not .py: notes.txt" in class_5["two"].stderr
    assert "graded" in class_5["two"].stderr and "█" not in class_5["two"].stderr


def test_jobs_1_and_jobs_2_give_the_same_verdicts_and_the_json_is_complete(
    class_5: dict[str, Any],
) -> None:
    assert class_5["one"].returncode == 1, class_5["one"].stderr
    objects = json.loads((class_5["root"] / "class.json").read_text(encoding="utf-8"))
    assert isinstance(objects, list)
    by_student = {o["student"]: o for o in objects}
    assert set(by_student) == all_students(class_5["expected"])
    for obj in objects:
        diff = ["reference_diff", "first_difference"] if "reference_diff" in obj else []
        assert list(obj) == ["student", *CHECK_KEYS, *diff, "error"]
        assert all(set(p) == {"id", "passed", "message"} for p in obj["parts"])
        assert obj["passed"] == (bool(obj["parts"]) and all(p["passed"] for p in obj["parts"]))
    flatten = by_student["mistake-flatten--nn-flatten"]
    assert [p["id"] for p in flatten["parts"] if not p["passed"]] == ["flatten"]
    assert "nn.Flatten" in next(p["message"] for p in flatten["parts"] if not p["passed"])
    assert by_student["huge"]["parts"] == [] and "MB" in by_student["huge"]["error"]
    _, rows = csv_rows(class_5["root"] / "class.csv")
    for student, row in rows.items():
        obj = by_student[student]
        assert row["passed"] == str(obj["passed"]).lower(), student
        failed = [p["id"] for p in obj["parts"] if not p["passed"]]
        assert row["failed_parts"] == ";".join(failed), student
        assert row["error"] == (obj["error"] or ""), student


def test_grading_never_touches_the_graders_own_progress(class_5: dict[str, Any]) -> None:
    assert list(class_5["home"].iterdir()) == []


def test_a_forger_is_stopped_and_told_why(class_5: dict[str, Any]) -> None:
    objects = json.loads((class_5["root"] / "class.json").read_text(encoding="utf-8"))
    forger = next(o for o in objects if o["student"] == "forger")
    assert forger["passed"] is False and forger["error"] is None
    assert "channel" in forger["parts"][0]["message"]


def test_a_forged_facts_event_and_a_clean_exit_do_not_pass(class_5: dict[str, Any]) -> None:
    _, rows = csv_rows(class_5["root"] / "class.csv")
    assert rows["forger-clean-exit"]["passed"] == "false"


def test_the_json_carries_each_students_reference_diff(class_5: dict[str, Any]) -> None:
    """Every answer that ran has its model beside the reference; a wrong one is marked where
    it departs, a right one nowhere; a submission that never ran has no diff."""
    objects = json.loads((class_5["root"] / "class.json").read_text(encoding="utf-8"))
    by_student = {o["student"]: o for o in objects}
    for student in ("alice", "bob", "loop_next"):
        assert by_student[student]["first_difference"] is None, student
        assert len(by_student[student]["reference_diff"]) == 8, student
    stale = by_student["mistake-layers--stale-in-channels"]
    assert stale["first_difference"] == 3
    row = stale["reference_diff"][3]
    assert row["differs"] and row["learner"]["out"] is None
    assert row["reference"] == {"layer": "Conv2d", "out": [8, 32, 14, 14], "params": 4640}
    pool = by_student["mistake-in-features--second-pool-forgotten"]
    assert pool["first_difference"] == 7
    linear = {"layer": "Linear", "out": None, "params": 62_730}
    assert pool["reference_diff"][7]["learner"] == linear
    for student in ("loop", "huge", "essay"):
        assert "reference_diff" not in by_student[student], student


def test_the_per_student_folder_layout(tmp_path: Path, learner_home: Path) -> None:
    """One folder per student holding one .py; an empty folder and a folder with two .py
    files are not graded, with the reason; a loose .py beside them is graded too."""
    progress = Progress.load(learner_home)
    progress.record_check(EX1.slug, False)
    progress.save()
    before = {p: p.read_bytes() for p in learner_home.rglob("*") if p.is_file()}
    folder = tmp_path / "class"
    for student in ("ann", "ben", "cat", "dan"):
        (folder / student).mkdir(parents=True)
    (folder / "ann" / "answer.py").write_text(EX1.solution, encoding="utf-8")
    shutil.copy(EX1.folder / "mistakes" / "c-stride--rounded-up.py", folder / "ben" / "ben.py")
    (folder / "ben" / "notes.txt").write_text("my working\n", encoding="utf-8")
    (folder / "cat" / "sub").mkdir()
    (folder / "cat" / "sub" / "answer.py").write_text(EX1.solution, encoding="utf-8")
    (folder / "dan" / "a.py").write_text(EX1.solution, encoding="utf-8")
    (folder / "dan" / "b.py").write_text(EX1.solution, encoding="utf-8")
    (folder / "eve.py").write_text(EX1.solution, encoding="utf-8")

    done = cli(
        "grade",
        "1",
        str(folder),
        "--out",
        str(tmp_path / "out.csv"),
        home=learner_home,
        cwd=tmp_path,
    )
    assert done.returncode == 1, done.stderr
    _, rows = csv_rows(tmp_path / "out.csv")
    assert sorted(rows) == ["ann", "ben", "cat", "dan", "eve"]
    assert rows["ann"]["passed"] == "true" and rows["eve"]["passed"] == "true"
    assert rows["ben"]["passed"] == "false" and rows["ben"]["failed_parts"] == "c-stride"
    assert rows["ben"]["error"] == ""
    assert "no .py file directly inside cat/" in rows["cat"]["error"]
    assert "dan/ holds 2 .py files (a.py, b.py)" in rows["dan"]["error"]
    assert {p: p.read_bytes() for p in learner_home.rglob("*") if p.is_file()} == before


def test_every_submission_graded_exits_0_whatever_the_verdicts_and_the_bar_is_on_the_terminal(
    tmp_path: Path, learner_home: Path
) -> None:
    """Exercise 1's solution and mistakes: all graded, some failing, so exit 0. With stderr
    on a terminal the bar is drawn there; stdout, a pipe, gets only the table."""
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "sol.py").write_text(EX1.solution, encoding="utf-8")
    expected = mistakes(EX1)
    for student in expected:
        shutil.copy(
            EX1.folder / "mistakes" / f"{student.removeprefix('mistake-')}.py",
            folder / f"{student}.py",
        )
    main, secondary = pty.openpty()
    screen: list[bytes] = []

    def read() -> None:
        while True:
            try:
                chunk = os.read(main, 4096)
            except OSError:
                return
            if not chunk:
                return
            screen.append(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "tutor",
                "grade",
                "1",
                str(folder),
                "--jobs",
                "2",
                "--out",
                str(tmp_path / "out.json"),
            ],
            cwd=tmp_path,
            env={**os.environ, HOME_ENV: str(learner_home)},
            stdout=subprocess.PIPE,
            stderr=secondary,
            text=True,
            timeout=300,
        )
    finally:
        os.close(secondary)
        reader.join(timeout=10)
        os.close(main)
    assert done.returncode == 0
    bar = b"".join(screen).decode(errors="replace")
    assert "█" in bar and f"{len(expected) + 1}/{len(expected) + 1} graded" in bar
    assert "█" not in done.stdout and "\r" not in done.stdout
    objects = {o["student"]: o for o in json.loads((tmp_path / "out.json").read_text())}
    assert objects["sol"]["passed"] is True
    for student, part in expected.items():
        failed = [p["id"] for p in objects[student]["parts"] if not p["passed"]]
        assert failed == [part], student
    assert all(o["error"] is None for o in objects.values())
    assert f"{len(expected) + 1} submissions: 1 passed, {len(expected)} failed" in done.stdout
    assert list(learner_home.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["99", "class"], "exercise"),
        (["1", "missing"], "no such folder: missing"),
        (["1", "class/a.py"], "is a file, not a folder"),
        (["1", "empty"], "no submissions in empty"),
        (["1", "class", "--jobs", "0"], "--jobs must be 1 or more"),
        (["1", "class", "--jobs", "two"], "invalid int value"),
        (["1", "class", "--timeout", "0"], "--timeout must be a positive number"),
        (["1", "class", "--timeout", "nan"], "--timeout must be a positive number"),
        (["1", "class", "--out", "grades.txt"], "name a .csv or a .json file"),
        (["1", "class", "--out", "nowhere/grades.csv"], "no such folder nowhere"),
        (["1", "class", "--device", "cuda"], "no CUDA GPU is usable here"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(
    tmp_path: Path, learner_home: Path, args: list[str], says: str
) -> None:
    (tmp_path / "class").mkdir()
    (tmp_path / "class" / "a.py").write_text(EX1.solution, encoding="utf-8")
    (tmp_path / "empty").mkdir()
    done = cli("grade", *args, home=learner_home, cwd=tmp_path)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stderr.count("\n") == 1 and says in done.stderr, done.stderr
    assert done.stdout == ""


def test_csv_cells_a_spreadsheet_would_run_are_written_as_text_and_jobs_are_capped(
    tmp_path: Path, learner_home: Path
) -> None:
    """Students named like formulas (=, +, -, @) get an apostrophe in the CSV, so a
    spreadsheet shows the name instead of running it; the JSON keeps the names as they are.
    More jobs than cores are cut to the cores, said in one line."""
    folder = tmp_path / "class"
    folder.mkdir()
    names = ["=HYPERLINK(1)", "+1", "-2", "@SUM(A1)", "plain"]
    for name in names:
        (folder / f"{name}.py").write_text(EX1.solution, encoding="utf-8")
    for out in ("grades.csv", "grades.json"):
        done = cli(
            "grade", "1", "class", "--jobs", "999", "--out", out, home=learner_home, cwd=tmp_path
        )
        assert done.returncode == 0, done.stderr
        cores = len(os.sched_getaffinity(0))
        notes = [line for line in done.stderr.splitlines() if "--jobs 999" in line]
        assert notes == [
            f"note: --jobs 999 is more than the {cores} cores here; grading {cores} at a time "
            "(more would only wait for a core, each holding its own memory)"
        ]
        assert f"{min(cores, len(names))} at a time" in done.stderr
    _, rows = csv_rows(tmp_path / "grades.csv")
    assert sorted(rows) == sorted(["'=HYPERLINK(1)", "'+1", "'-2", "'@SUM(A1)", "plain"]), rows
    assert all(row["passed"] == "true" for row in rows.values())
    objects = json.loads((tmp_path / "grades.json").read_text(encoding="utf-8"))
    assert sorted(o["student"] for o in objects) == sorted(names)
