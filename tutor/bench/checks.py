"""Checking figures: a re-check in `watch` after a save against a cold `check` run, and a
cold numeric `check` (no torch anywhere) against a bare `python -c "import torch"`."""

from __future__ import annotations

import os
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from tutor.course import find_exercise

SAVES = 10
COLD_RUNS = 3


def _cli() -> list[str]:
    """How to start the tutor's command line: the installed script, else `python -m tutor`."""
    script = Path(sys.executable).parent / "cnn-tutor"
    return [str(script)] if script.exists() else [sys.executable, "-m", "tutor"]


def _timed(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def _cold(argv: list[str], env: dict[str, str]) -> float:
    return statistics.median(_timed(argv, env) for _ in range(COLD_RUNS))


def _watch_latency(answer: Path, variants: list[str], env: dict[str, str]) -> float:
    """Median seconds from the end of a save to the verdict line `watch --json` prints."""
    lines: queue.Queue[tuple[float, str]] = queue.Queue()
    proc = subprocess.Popen(
        [*_cli(), "watch", "5", str(answer), "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put((time.perf_counter(), line))

    threading.Thread(target=read, daemon=True).start()
    try:
        lines.get(timeout=120)  # the first check, once the sandbox is warm
        times = []
        for i in range(SAVES):
            time.sleep(0.3)
            text = variants[i % len(variants)] + f"\n# save {i}\n"
            saved = time.perf_counter()
            answer.write_text(text, encoding="utf-8")
            arrived, _ = lines.get(timeout=60)
            times.append(arrived - saved)
        return statistics.median(times)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def run() -> list[tuple[str, str, str]]:
    code = find_exercise("5")
    numeric = find_exercise("1")
    with tempfile.TemporaryDirectory(prefix="cnn-tutor-bench-") as tmp:
        env = dict(os.environ, CNN_TUTOR_HOME=str(Path(tmp) / "home"))
        answer = Path(tmp) / "answer.py"
        variants = [
            code.solution,
            (code.folder / "mistakes" / "flatten--nn-flatten.py").read_text(),
        ]
        answer.write_text(variants[0], encoding="utf-8")
        cold_code = _cold([*_cli(), "check", "5", str(answer)], env)
        watch = _watch_latency(answer, variants, env)

        numeric_answer = Path(tmp) / "numeric.py"
        numeric_answer.write_text(numeric.solution, encoding="utf-8")
        cold_numeric = _cold([*_cli(), "check", "1", str(numeric_answer)], env)
        bare_torch = _cold([sys.executable, "-c", "import torch"], env)
    return [
        (
            f"watch: save -> verdict, ex 5 (median of {SAVES})",
            f"{watch * 1000:.0f} ms",
            f"{watch / cold_code:.2f}x a cold `check 5` ({cold_code:.2f} s)",
        ),
        (
            "cold `check 1` (numeric, no torch)",
            f"{cold_numeric:.2f} s",
            f"{cold_numeric / bare_torch:.2f}x `python -c 'import torch'` ({bare_torch:.2f} s)",
        ),
    ]


if __name__ == "__main__":
    for row in run():
        print("  ".join(row))
