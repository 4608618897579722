"""Warm sandboxes for the TUI: one started ahead of need, handed to one screen at a time.

The app starts one right after its first frame, so the first check or the first
playground run finds a worker with torch already imported. A Sandbox runs one job at a
time, so each screen takes its own and gives it back when it closes; the pool keeps one
spare and closes the rest. No textual here.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tutor.sandbox.client import Sandbox


def _new_sandbox() -> Sandbox:
    from tutor.sandbox.client import Sandbox  # after the first frame: see the app

    return Sandbox()


class WarmSandboxes:
    """At most one spare started Sandbox, taken by a screen and given back when it leaves."""

    def __init__(self, make: Callable[[], Sandbox] = _new_sandbox) -> None:
        self._make = make
        self._spare: Sandbox | None = None
        self._starting: asyncio.Task[Sandbox] | None = None
        self._closed = False

    def prewarm(self, warm: tuple[str, ...] = ()) -> None:
        """Start a spare in the background (call from the running event loop), to import
        `warm`'s groups while idle (see Sandbox.want)."""
        if self._closed or self._spare is not None or self._starting is not None:
            return
        box = self._make()
        box.warm = warm
        self._starting = asyncio.get_running_loop().create_task(self._start(box))

    @staticmethod
    async def _start(box: Sandbox) -> Sandbox:
        with contextlib.suppress(Exception):  # the taker's first run will say what is wrong
            await box.start()
        return box

    async def take(self, make: Callable[[], Sandbox] | None = None) -> Sandbox:
        """The spare (warm, or warming), or a new sandbox from `make` when there is none."""
        if self._starting is not None:
            task, self._starting = self._starting, None
            self._spare = await asyncio.shield(task)
        if self._spare is not None:
            box, self._spare = self._spare, None
            return box
        return (make or self._make)()

    async def give_back(self, box: Sandbox) -> None:
        """Keep `box` as the spare if there is none and it still runs; else close it."""
        if self._closed or self._spare is not None or self._starting is not None or not box.level:
            await box.close()
        else:
            self._spare = box

    async def close(self) -> None:
        """Stop every sandbox the pool holds (at exit)."""
        self._closed = True
        if self._starting is not None:
            task, self._starting = self._starting, None
            self._spare = await asyncio.shield(task)
        if self._spare is not None:
            box, self._spare = self._spare, None
            await box.close()


class Lease:
    """One screen's hold on a sandbox from the pool: taken (and asked to warm what the
    screen needs) on first use, given back when the screen leaves."""

    def __init__(
        self,
        pool: WarmSandboxes,
        warm: tuple[str, ...] = (),
        make: Callable[[], Sandbox] | None = None,
    ) -> None:
        self.pool = pool
        self.warm = warm
        self.make = make
        self.box: Sandbox | None = None
        self._lock = asyncio.Lock()  # a warm-up and a first run wait for the same start

    async def get(self) -> Sandbox:
        """The screen's sandbox, started (SandboxError, UsageError if it cannot start)."""
        async with self._lock:
            if self.box is None:
                self.box = await self.pool.take(self.make)
                await self.box.want(self.warm)
            await self.box.start()
            return self.box

    async def give_back(self) -> None:
        if self.box is not None:
            box, self.box = self.box, None
            await self.pool.give_back(box)
