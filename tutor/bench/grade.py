"""Grading figures: submissions graded per second (exercises 1 and 5), and a class of forty
exercise-5 answers graded `--jobs 2` against forty cold `check` runs.

Forty cold checks take minutes, so this measures a few (COLD_RUNS, or $CNN_TUTOR_BENCH_COLD)
and scales their median to forty, and says so in the figure's name.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from tutor.bench.checks import _cli
from tutor.course import Exercise, find_exercise
from tutor.grading import default_jobs

CLASS_SIZE = 40
COLD_RUNS = 3
GOAL = 0.15


def make_class(ex: Exercise, folder: Path, size: int = CLASS_SIZE) -> Path:
    """`size` submissions: the solution and each shipped mistake in turn, one file each."""
    folder.mkdir(parents=True)
    answers = [ex.solution] + [
        p.read_text(encoding="utf-8") for p in sorted((ex.folder / "mistakes").glob("*.py"))
    ]
    for i in range(size):
        (folder / f"student-{i + 1:03d}.py").write_text(answers[i % len(answers)], "utf-8")
    return folder


def _timed(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def _rates(ex: Exercise, folder: Path, jobs: int) -> tuple[float, float]:
    """Seconds for the whole class (sandbox start included) and from the first warm sandbox
    to the last verdict, grading in this process as `cnn-tutor grade` does."""
    from tutor.grading import find_submissions, grade_class

    submissions, _ = find_submissions(folder)
    marks: list[float] = []
    started = time.perf_counter()
    asyncio.run(
        grade_class(ex, submissions, jobs=jobs, on_ready=lambda: marks.append(time.perf_counter()))
    )
    ended = time.perf_counter()
    return ended - started, ended - (marks[0] if marks else started)


def run() -> list[tuple[str, str, str]]:
    cold_runs = int(os.environ.get("CNN_TUTOR_BENCH_COLD", COLD_RUNS))
    cores = default_jobs()
    rows: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory(prefix="cnn-tutor-bench-grade-") as tmp:
        root = Path(tmp)
        env = dict(os.environ, CNN_TUTOR_HOME=str(root / "home"))
        for number in ("1", "5"):
            ex = find_exercise(number)
            folder = make_class(ex, root / f"class-{number}")
            whole, warm = _rates(ex, folder, cores)
            rows.append(
                (
                    f"grade {number}: {CLASS_SIZE} submissions, {cores} at a time (the cores)",
                    f"{CLASS_SIZE / warm:.1f} per s warm",
                    f"{CLASS_SIZE / whole:.1f} per s with the sandboxes' start "
                    f"({whole:.1f} s for the class)",
                )
            )
        folder = root / "class-5"
        graded = _timed([*_cli(), "grade", "5", str(folder), "--jobs", "2"], env)
        one = next(folder.iterdir())
        colds = [_timed([*_cli(), "check", "5", str(one)], env) for _ in range(cold_runs)]
        cold = statistics.median(colds) * CLASS_SIZE
        ratio = graded / cold
        verdict = "goal met" if ratio <= GOAL else "goal missed"
        rows.append(
            (
                f"`grade 5 --jobs 2`, {CLASS_SIZE} submissions, vs {CLASS_SIZE} cold `check 5` "
                f"(median of {cold_runs} measured, times {CLASS_SIZE})",
                f"{graded:.1f} s",
                f"{ratio:.3f}x the cold checks ({cold:.0f} s); goal <= {GOAL}x: {verdict}",
            )
        )
    return rows


if __name__ == "__main__":
    for row in run():
        print("  ".join(row))
