"""Playground figures: key-to-paint latency while a run streams events, against the idle app.

The app runs headless (`run_test`, 100x30) with the playground open. A key that changes
what is shown (F3, the next tab) is pressed RUNS times; each time the clock runs from the
press until the new tab is active and the screen has been repainted. First on the idle
app (the sandbox started, nothing running), then while a script floods the UI with
events (a print and a reported loss per step, as fast as the job can go), with 5,000
more loss and output events a second injected into the screen's buffer, since the
sandbox's own batching and loss throttling deliver only a few hundred a second.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from textual.widgets import TabbedContent

from tutor import events
from tutor.app import TutorApp
from tutor.screens.playground import PlaygroundScreen

RUNS = 20
INJECTED = 5000  # extra events a second, on top of the real run's
TARGET_MS = 100.0
FLOOD = """\
import torch
from torch import nn

import cnntutor

torch.manual_seed(0)
model = nn.Linear(4, 1)
loss_fn = nn.MSELoss()
x, y = torch.randn(8, 4), torch.randn(8, 1)
step = 0
while True:
    step += 1
    loss = loss_fn(model(x), y)
    cnntutor.report(loss, step=step)
    print(step, flush=True)
"""


async def _inject(screen: PlaygroundScreen) -> None:
    """On top of the real run's events, INJECTED a second more, as a faster job would send."""
    step = 1_000_000
    while True:
        for _ in range(INJECTED // 100):
            step += 1
            screen._pending.append(events.Loss(value=1.0 / step, step=step))
            screen._pending.append(events.Output(type="stdout", text=f"{step}\n"))
        await asyncio.sleep(0.02)


async def _measure(home: Path) -> tuple[list[float], list[float], float]:
    app = TutorApp(home)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = PlaygroundScreen(
            FLOOD, "the benchmark", "bench", home=home, sandboxes=app.sandboxes
        )
        await app.push_screen(screen)
        while not (screen.sandbox and screen.sandbox.info.pid):
            await pilot.pause(0.1)
        tabs = screen.query_one(TabbedContent)

        async def presses() -> list[float]:
            times = []
            for _ in range(RUNS):
                before = tabs.active
                started = time.perf_counter()
                app.simulate_key("f9")
                while tabs.active == before:
                    await asyncio.sleep(0.0005)
                painted = asyncio.get_running_loop().create_future()
                screen.call_after_refresh(painted.set_result, None)
                await painted  # the repaint that shows the new tab
                times.append((time.perf_counter() - started) * 1000)
                await asyncio.sleep(0.05)
            return times

        idle = await presses()
        await pilot.press("f5")
        while screen.tabs.events_seen < 100:
            await pilot.pause(0.1)
        flood = asyncio.create_task(_inject(screen))
        counted, clock = screen.tabs.events_seen, time.perf_counter()
        busy = await presses()
        rate = (screen.tabs.events_seen - counted) / (time.perf_counter() - clock)
        flood.cancel()
        await pilot.press("f7")
        while screen.running:
            await pilot.pause(0.1)
    return idle, busy, rate


def run() -> list[tuple[str, str, str]]:
    with tempfile.TemporaryDirectory(prefix="cnn-tutor-bench-") as tmp:
        idle, busy, rate = asyncio.run(_measure(Path(tmp)))
    idle_ms, busy_ms = statistics.median(idle), statistics.median(busy)
    verdict = "ok" if busy_ms < TARGET_MS else "too slow"
    return [
        ("key-to-paint, idle (median)", f"{idle_ms:.1f} ms", "baseline"),
        (
            "key-to-paint, streaming (median)",
            f"{busy_ms:.1f} ms",
            f"x{busy_ms / idle_ms:.2f}; target < {TARGET_MS:.0f} ms: {verdict}",
        ),
        ("events drawn while streaming", f"{rate:,.0f} /s", "coalesced 10x a second"),
    ]
