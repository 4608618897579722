"""`cnn-tutor grade EX DIR`: grade a class folder on warm sandboxes and say how it went.

Progress goes to stderr (a bar on a terminal, a quiet line now and then otherwise); the
table and the per-part summary go to stdout; `--out` writes CSV or JSON. Exit status: 0
when every submission was graded, whatever the verdicts; 1 when some could not be graded;
2 for a usage error. The grader's own progress is never read or written.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import shutil
import sys
import textwrap
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from tutor.commands.check import find
from tutor.course import Exercise
from tutor.errors import UsageError
from tutor.grading import (
    Graded,
    default_jobs,
    find_submissions,
    grade_class,
    part_summary,
    to_csv,
)
from tutor.progress import atomic_write_text

OUT_FORMATS = (".csv", ".json")
NAME_WIDTH = 28


def grade_folder(args: argparse.Namespace) -> int:
    ex = find(args.exercise)
    jobs = _jobs(args.jobs)
    timeout_s = _timeout(args.timeout)
    out = _out_path(args.out)
    folder = Path(args.folder).expanduser()
    submissions, ignored = find_submissions(folder)
    if not submissions:
        raise UsageError(
            f"no submissions in {folder}: put one .py file per student there, or one folder "
            "per student holding their .py file"
        )
    heading = [
        f"grading {len(submissions)} submissions of exercise {ex.number} ({ex.slug}), "
        f"{min(jobs, len(submissions))} at a time"
    ]
    if ignored:
        shown = ", ".join(_printable(n) for n in ignored[:5])
        more = ", ..." if len(ignored) > 5 else ""
        entries = "entry" if len(ignored) == 1 else "entries"
        heading.append(f"note: ignored {len(ignored)} {entries}, not .py: {shown}{more}")
    bar = ProgressReport(len(submissions), sys.stderr)
    bar.waiting("starting the sandboxes ...")
    started = time.perf_counter()
    try:
        results = asyncio.run(
            grade_class(
                ex,
                submissions,
                jobs=jobs,
                device=args.device,
                timeout_s=timeout_s,
                on_result=bar.add,
                on_ready=lambda: bar.begin("\n".join(heading)),
            )
        )
    finally:
        bar.end()
    took = time.perf_counter() - started
    print(render_table(ex, results, took), flush=True)
    if out is not None:
        text = to_csv(results) if out.suffix.lower() == ".csv" else to_json_text(results)
        try:
            atomic_write_text(out, text)
        except OSError as exc:
            print(f"cnn-tutor: cannot write {out}: {exc.strerror or exc}", file=sys.stderr)
            return 1
        print(f"wrote {out}", file=sys.stderr)
    return 0 if all(r.graded for r in results) else 1


# -- the arguments ----------------------------------------------------------------------
def _jobs(value: int | None) -> int:
    """--jobs N, at most the cores (said in one line when N is more)."""
    cores = default_jobs()
    if value is None:
        return cores
    if value < 1:
        raise UsageError(f"--jobs must be 1 or more (got {value}); leave it out to use every core")
    if value > cores:
        print(
            f"note: --jobs {value} is more than the {cores} cores here; grading {cores} at a "
            "time (more would only wait for a core, each holding its own memory)",
            file=sys.stderr,
        )
        return cores
    return value


def _timeout(value: float | None) -> float | None:
    if value is not None and not (math.isfinite(value) and value > 0):
        raise UsageError(f"--timeout must be a positive number of seconds (got {value:g})")
    return value


def _out_path(value: str | None) -> Path | None:
    """Where `--out` writes, checked before any grading starts so no class run is wasted."""
    if value is None:
        return None
    path = Path(value).expanduser()
    if path.suffix.lower() not in OUT_FORMATS:
        raise UsageError(f"--out {value}: name a .csv or a .json file (e.g. --out grades.csv)")
    if path.is_dir():
        raise UsageError(f"--out {value} is a folder; name a .csv or a .json file")
    parent = path.parent
    if not parent.is_dir():
        raise UsageError(f"--out {value}: no such folder {parent}; create it first")
    if not os.access(parent, os.W_OK):
        raise UsageError(f"--out {value}: cannot write in {parent}; choose another folder")
    return path


def to_json_text(results: Sequence[Graded]) -> str:
    return json.dumps([r.to_json() for r in results], indent=1) + "\n"


# -- what the teacher sees --------------------------------------------------------------
class ProgressReport:
    """A bar redrawn in place when `stream` is a terminal; else a line every tenth or so."""

    def __init__(self, total: int, stream: TextIO) -> None:
        self.total = total
        self.stream = stream
        self.tty = stream.isatty()
        self.done = self.passed = self.not_graded = 0
        self.every = max(10, math.ceil(total / 10))
        self.started = time.perf_counter()

    def waiting(self, text: str) -> None:
        """A passing word on a terminal (erased by the bar); nothing in a log."""
        if self.tty:
            self._write(f"\r\x1b[K{text}")

    def begin(self, lines: str) -> None:
        self._write(("\r\x1b[K" if self.tty else "") + lines + "\n")
        self.started = time.perf_counter()
        self._draw()

    def add(self, result: Graded) -> None:
        self.done += 1
        self.passed += result.passed
        self.not_graded += not result.graded
        if self.tty or self.done % self.every == 0 or self.done == self.total:
            self._draw()

    def end(self) -> None:
        if self.tty:
            self._write("\r\x1b[K")

    def _draw(self) -> None:
        took = time.perf_counter() - self.started
        status = f"{self.done}/{self.total} graded · {self.passed} passed"
        if self.not_graded:
            status += f" · {self.not_graded} not graded"
        if not self.tty:
            if self.done:
                self._write(f"{status} · {took:.1f} s\n")
            return
        width = 24
        filled = round(width * self.done / max(self.total, 1))
        bar = "█" * filled + "░" * (width - filled)
        rate = f" · {self.done / took:.1f}/s" if self.done and took > 0 else ""
        self._write(f"\r\x1b[K▕{bar}▏ {status}{rate} · {took:.0f} s")

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except UnicodeEncodeError:  # a terminal that cannot show the bar's blocks
            self.stream.write(text.encode("ascii", "replace").decode())
        except (OSError, ValueError):
            pass


def _printable(text: str) -> str:
    """A name or message safe to print: control characters (escape codes) shown, not obeyed."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _short(text: str, width: int) -> str:
    text = _printable(text)
    return text if len(text) <= width else text[: width - 1] + "…"


def render_table(ex: Exercise, results: Sequence[Graded], took: float) -> str:
    """Student, result, parts passed of total, failing parts (or why not graded); then the
    class's totals and which parts it failed most."""
    width = max(60, min(shutil.get_terminal_size((100, 24)).columns, 140))
    name_width = min(max([len(_printable(r.student)) for r in results] + [7]), NAME_WIDTH)
    header = f"{'student'.ljust(name_width)}  {'result':<10}  {'parts':>5}  failing parts"
    lines = [f"Exercise {ex.number} · {ex.slug}: {ex.title}", "", header, "-" * len(header)]
    lead_width = name_width + 2 + 10 + 2 + 5 + 2
    for r in results:
        name = _short(r.student, name_width).ljust(name_width)
        if r.verdict is None:
            result, parts, detail = "NOT GRADED", "", _printable(r.error or "")
        else:
            result = "passed" if r.passed else "failed"
            total = len(r.verdict.parts)
            parts = f"{total - len(r.failed_parts)}/{total}"
            detail = ", ".join(r.failed_parts)
        lead = f"{name}  {result:<10}  {parts:>5}  "
        body = textwrap.wrap(detail, max(20, width - lead_width)) or [""]
        lines.append((lead + body[0]).rstrip())
        lines.extend(" " * lead_width + rest for rest in body[1:])
    graded = [r for r in results if r.graded]
    passed = sum(r.passed for r in results)
    not_graded = len(results) - len(graded)
    rate = len(results) / took if took > 0 else 0.0
    tally = f"{passed} passed, {len(graded) - passed} failed"
    if not_graded:
        tally += f", {not_graded} not graded"
    lines += [
        "",
        f"{len(results)} submissions: {tally}; graded in {took:.1f} s ({rate:.1f} per second).",
    ]
    lines += ["", *render_part_summary(graded, width)]
    return "\n".join(lines)


def render_part_summary(graded: Sequence[Graded], width: int) -> list[str]:
    """Per part: how many failed it first (the cause), how many failed it at all, and what
    most of the first failures were told."""
    if not graded:
        return ["No submission could be graded, so there is no summary of mistakes."]
    rows = part_summary(graded)
    if not rows:
        return [f"All {len(graded)} graded submissions passed every part."]
    label = max([len(r.part) for r in rows] + [4])
    intro = (
        f"Mistakes across the {len(graded)} graded submissions. first: how many failed this "
        "part before any other (usually the cause); failed: how many failed it at all."
    )
    lines = [
        *textwrap.wrap(intro, width),
        "",
        f"  {'part'.ljust(label)}  first  failed  what most first failures were told",
    ]
    for row in rows:
        lead = f"  {row.part.ljust(label)}  {row.first:>5}  {row.failed:>6}  "
        if row.first:
            said = f"({row.same_message} of {row.first}) " if row.same_message < row.first else ""
            text = said + row.message
        else:
            text = "(failed only after an earlier part failed)"
        lines.append(lead + _short(text, max(20, width - len(lead))))
    top = rows[0]
    tied = [r.part for r in rows if r.first == top.first]
    lines += [
        "",
        f"Most common mistake: {' and '.join(tied)}, the first failure of {top.first} of "
        f"{len(graded)} graded submissions.",
    ]
    return lines
