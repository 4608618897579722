"""UI figures: launch to the first painted lesson, and peak memory, against bare Textual.

Each program runs in an 80x24 pseudo-terminal, as a learner would start it. The clock
runs from just before the process is spawned until the marker text is drawn; ctrl+q then
ends the program and its peak resident memory is read from the kernel's accounting of the
child (`os.wait4`). The baseline is a bare Textual app showing one line, measured the same
way in the same run. Figures are medians of RUNS runs of each.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import select
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from dataclasses import dataclass
from pathlib import Path

from tutor.course import load_lessons

RUNS = 9
SIZE = (80, 24)
PAINT_TIMEOUT_S = 30.0
HELLO_MARKER = "hello from bare textual"
HELLO_APP = f"""
from textual.app import App
from textual.widgets import Static

class Hello(App):
    def compose(self):
        yield Static({HELLO_MARKER!r})

Hello().run()
"""
TARGET_RATIO = 2.0
TARGET_PAINT_S = 1.0
TARGET_RSS_MB = 150.0

_MOVE = re.compile(r"\x1b\[\d*;?\d*H")
_ESCAPE = re.compile(
    r"\x1b(\[[0-9;?<>=$!]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[()][0-9A-Za-z]|[=>78])"
)


@dataclass(frozen=True)
class Measure:
    """One run: wall seconds to the first paint, CPU seconds by then, peak RSS in MB."""

    paint_s: float
    cpu_s: float
    rss_mb: float


def screen_lines(output: bytes) -> list[str]:
    """The text the program drew, split where it moved the cursor, escapes removed."""
    text = output.decode("utf-8", errors="replace")
    return [_ESCAPE.sub("", part) for part in _MOVE.split(text)]


def measure(argv: list[str], marker: str, avoid: str = "") -> Measure:
    """Run `argv` until `marker` is drawn on a line without `avoid`; then end it."""
    master, slave = os.openpty()
    columns, rows = SIZE
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(columns), "LINES": str(rows)}
    env.pop("TEXTUAL", None)
    started = time.perf_counter()
    child = subprocess.Popen(
        argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
    )
    os.close(slave)
    output = b""
    painted: float | None = None
    cpu = 0.0
    try:
        while painted is None and time.perf_counter() - started < PAINT_TIMEOUT_S:
            if select.select([master], [], [], 0.05)[0]:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: the program closed its terminal (it ended)
                    chunk = b""
                if not chunk:
                    tail = " | ".join(line for line in screen_lines(output)[-8:] if line.strip())
                    raise RuntimeError(f"{argv[-1]} ended before drawing {marker!r}: {tail}")
                output += chunk
                if any(
                    marker in line and (not avoid or avoid not in line)
                    for line in screen_lines(output)
                ):
                    painted = time.perf_counter() - started
                    cpu = _cpu_seconds(child.pid)
        os.write(master, b"\x11")  # ctrl+q
        _drain(master, child.pid)
        _, _, usage = os.wait4(child.pid, 0)
        child.returncode = 0
    finally:
        os.close(master)
    if painted is None:
        raise RuntimeError(f"{argv} did not draw {marker!r} in {PAINT_TIMEOUT_S:.0f} s")
    return Measure(painted, cpu, usage.ru_maxrss / 1024)


def _cpu_seconds(pid: int) -> float:
    """The CPU time (user and system) the process has used so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _drain(master: int, pid: int, timeout_s: float = 10.0) -> None:
    """Read what the program writes while it exits, so it never blocks on a full terminal."""
    deadline = time.perf_counter() + timeout_s
    while time.perf_counter() < deadline:
        if select.select([master], [], [], 0.05)[0]:
            try:
                if not os.read(master, 65536):
                    return
            except OSError:  # the terminal closed: the program has exited
                return
        elif os.waitpid(pid, os.WNOHANG) != (0, 0):
            return
    os.killpg(pid, 9)


def _tutor_home(first_lesson: str) -> Path:
    """A learner home whose last place is the first lesson, so the tutor opens on it."""
    home = Path(tempfile.mkdtemp(prefix="cnn-tutor-bench-"))
    state = {"version": 1, "lessons_read": [], "last_screen": first_lesson}
    (home / "progress.json").write_text(json.dumps(state), encoding="utf-8")
    return home


def run() -> list[tuple[str, str, str]]:
    lesson = load_lessons()[0]
    tutor: list[Measure] = []
    bare: list[Measure] = []
    for _ in range(RUNS):
        home = _tutor_home(lesson.key)
        argv = [sys.executable, "-m", "tutor", "--home", str(home)]
        try:
            # The header repeats the title; the lesson itself is drawn on a line without it.
            tutor.append(measure(argv, lesson.title, avoid="cnn-tutor"))
        finally:
            shutil.rmtree(home, ignore_errors=True)
        bare.append(measure([sys.executable, "-c", HELLO_APP], HELLO_MARKER))

    def median(runs: list[Measure], field: str) -> float:
        return statistics.median(getattr(run, field) for run in runs)

    paint, bare_paint = median(tutor, "paint_s"), median(bare, "paint_s")
    cpu, bare_cpu = median(tutor, "cpu_s"), median(bare, "cpu_s")
    rss, bare_rss = median(tutor, "rss_mb"), median(bare, "rss_mb")
    paint_ok = paint / bare_paint <= TARGET_RATIO and paint < TARGET_PAINT_S
    return [
        (
            f"launch to first paint of lesson 1, {SIZE[0]}x{SIZE[1]} (median of {RUNS})",
            f"{paint:.3f} s",
            f"bare Textual {bare_paint:.3f} s, ratio {paint / bare_paint:.2f}x "
            f"(target <= {TARGET_RATIO:.0f}x and < {TARGET_PAINT_S:.0f} s: "
            f"{'met' if paint_ok else 'MISSED'})",
        ),
        (
            "CPU time used by then (less sensitive to a busy machine)",
            f"{cpu:.3f} s",
            f"bare Textual {bare_cpu:.3f} s, ratio {cpu / bare_cpu:.2f}x",
        ),
        (
            "UI process peak RSS",
            f"{rss:.0f} MB",
            f"bare Textual {bare_rss:.0f} MB, ratio {rss / bare_rss:.2f}x "
            f"(target < {TARGET_RSS_MB:.0f} MB: {'met' if rss < TARGET_RSS_MB else 'MISSED'})",
        ),
    ]
