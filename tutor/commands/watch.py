"""`cnn-tutor watch [EX] [FILE]`: re-check an answer on every save, on one warm sandbox.

The learner edits in their own editor; each save is checked at once on a sandbox started
once, so a re-check costs one forked job, not a new interpreter. With `--json`, each
check prints one `check --json` object on a line of its own. ctrl+c stops it (exit 0).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
import time
from pathlib import Path

from tutor.checks.runner import sandbox_for
from tutor.commands.check import (
    answer_path,
    check_as_asked,
    find,
    print_verdict,
    read_answer,
    record,
    warn_if_weak,
)
from tutor.course import ContentError, Exercise, find_exercise, load_exercises
from tutor.errors import UsageError
from tutor.paths import learner_home
from tutor.progress import PASSED, Progress

# How long the file must stay quiet after a change before it is checked (milliseconds):
# editors often write a file in several steps.
QUIET_MS = 15


def current_exercise(args: argparse.Namespace) -> Exercise:
    """EX when given; else the one a workspace file is named after (`05-module-class.py`);
    else the first exercise not yet passed (the one being worked on)."""
    if args.exercise and args.file is None and args.exercise.endswith(".py"):
        args.file, args.exercise = args.exercise, None  # `watch FILE`
    if args.exercise:
        return find(args.exercise)
    if args.file:
        with contextlib.suppress(ContentError):
            return find_exercise(Path(args.file).stem)
    exercises = load_exercises()
    if not exercises:
        raise UsageError("no exercises found; reinstall cnn-tutor")
    progress = Progress.load(learner_home(args.home))
    for ex in exercises:
        if progress.exercise(ex.slug).state != PASSED:
            return ex
    return exercises[0]


def watch_exercise(args: argparse.Namespace) -> int:
    ex = current_exercise(args)
    path = answer_path(args, ex).resolve()
    read_answer(path)  # an unreadable file is a usage error now, not later
    if not args.json:
        print(f"Watching {path} for exercise {ex.number} ({ex.slug}); ctrl+c to stop.", flush=True)
    try:
        asyncio.run(_watch(args, ex, path))
    except KeyboardInterrupt:
        pass
    return 0


async def _watch(args: argparse.Namespace, ex: Exercise, path: Path) -> None:
    from watchfiles import awatch

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    saved = asyncio.Event()

    async def watch_saves() -> None:
        # Watch the folder, not the file: many editors save by renaming a new file over it.
        async for _ in awatch(
            path.parent,
            watch_filter=lambda _change, name: Path(name).name == path.name,
            debounce=400,
            step=QUIET_MS,
            stop_event=stop,
        ):
            saved.set()

    watcher = asyncio.create_task(watch_saves())
    last: str | None = None
    try:
        async with sandbox_for(ex) as box:
            warn_if_weak(box)
            while not stop.is_set():
                saved.clear()  # a save during the check below sets it again
                try:
                    source = path.read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError):
                    source = None  # mid-save, or deleted for a moment: wait for the next save
                if source is not None and source != last:
                    last = source
                    verdict = await check_as_asked(box, ex, source, path, args)
                    if not args.json:
                        print(f"\n[{time.strftime('%H:%M:%S')}] ", end="")
                    print_verdict(verdict, ex, path, args.json)
                    record(args, verdict)
                waiters = [asyncio.create_task(saved.wait()), asyncio.create_task(stop.wait())]
                _, pending = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
                for task in pending:
                    task.cancel()
    finally:
        stop.set()
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await watcher
        if not args.json:
            print("\nStopped watching.", file=sys.stderr)
