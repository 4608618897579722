"""The playground shows the training-loop doctor's warnings in its output, at their line."""

from __future__ import annotations

from collections.abc import Callable

from textual.widgets import RichLog, TabbedContent

from tests.app.test_playground import editor, open_example, run_to_end, wait_for
from tutor.app import TutorApp

BUGGY = """\
import torch
import torch.nn as nn
model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(),
                      nn.Linear(4 * 8 * 8, 3))
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
criterion = nn.CrossEntropyLoss()
for step in range(4):
    loss = criterion(model(torch.rand(8, 1, 8, 8)), torch.randint(0, 3, (8,)))
    loss.backward()
    optimizer.step()
print("trained")
"""


def log_text(log: RichLog) -> str:
    return "\n".join("".join(segment.text for segment in line) for line in log.lines)


async def test_a_doctor_warning_is_shown_in_the_output(
    left_off_at: Callable[[str], TutorApp],
) -> None:
    app = left_off_at("lesson-07")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_example(pilot)
        editor(screen).load_text(BUGGY)
        await run_to_end(pilot, screen, "f5")
        assert screen.outcome == "ok"
        screen.query_one(TabbedContent).active = "tab-output"
        log = screen.query_one(RichLog)
        await wait_for(pilot, lambda: bool(log.lines), "the output to be drawn")
        text = log_text(log)
        assert "trained" in text
        assert "⚠ zero-grad (line 10): optimizer.step() ran again" in text
