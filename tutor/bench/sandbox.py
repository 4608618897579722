"""Sandbox figures: a job on the warm worker against a cold torch import, and a traced
training script against the same script under plain Python on the same data."""

from __future__ import annotations

import asyncio
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tutor import events
from tutor.sandbox.client import JobSpec, Sandbox

IMPORTS = """\
import time
import pandas as pd
import torch
import torch.nn as nn
from sklearn.model_selection import train_test_split
from torch.utils.data import DataLoader, TensorDataset

torch.optim.SGD(nn.Linear(1, 1).parameters(), lr=0.1)  # torch's lazy imports, paid here
# One thread in both runs: on a busy 2-core machine, OpenMP's spinning threads make
# timings swing several-fold, which would drown the cost being measured.
torch.set_num_threads(1)
"""

# Timed from after the imports (torch's first optimiser pulls in more modules lazily,
# about a second): the figure is the cost of tracing in the sandbox, not of importing.
TRAIN = """\
started = time.perf_counter()
torch.manual_seed(0)
df = pd.read_csv("mnist_small.csv")
X = df.drop(columns="label").values / 255.0
y = df["label"].values
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
X_train = torch.tensor(X_train, dtype=torch.float32).reshape(-1, 28, 28).unsqueeze(1)
y_train = torch.tensor(y_train, dtype=torch.long)
loader = DataLoader(TensorDataset(X_train, y_train), batch_size=64, shuffle=True)
model = nn.Sequential(
    nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
    nn.Flatten(), nn.Linear(32 * 7 * 7, 10),
)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
criterion = nn.CrossEntropyLoss()
for epoch in range(5):
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = criterion(model(xb), yb)
        loss.backward()
        optimizer.step()
print("TRAIN_SECONDS", time.perf_counter() - started)
"""
SCRIPT = IMPORTS + TRAIN


def _seconds(stdout: str) -> float:
    for line in stdout.splitlines():
        if line.startswith("TRAIN_SECONDS"):
            return float(line.split()[1])
    raise RuntimeError(f"the training script printed no timing: {stdout[-300:]}")


async def _warm(rounds: int) -> dict[str, list[float] | str]:
    spaced: list[float] = []
    back_to_back: list[float] = []
    traced: list[float] = []
    async with Sandbox(torch=True) as box:
        async for _ in box.run(JobSpec(source="pass", data=None)):
            pass  # the first job pays for nothing we want to count
        for _ in range(rounds):
            # People start runs seconds apart; the worker uses the pause to fork the next
            # job ahead of time. 0.2 s is far less than any human gap.
            await asyncio.sleep(0.2)
            start = time.perf_counter()
            async for _ in box.run(JobSpec(source="x = 1 + 1", data=None)):
                pass
            spaced.append(time.perf_counter() - start)
        for _ in range(rounds):
            start = time.perf_counter()
            async for _ in box.run(JobSpec(source="x = 1 + 1", data=None)):
                pass
            back_to_back.append(time.perf_counter() - start)
        for _ in range(3):
            out = ""
            async for event in box.run(JobSpec(source=SCRIPT)):
                if isinstance(event, events.Output) and event.type == "stdout":
                    out += event.text
            traced.append(_seconds(out))
        level = box.level
    return {"spaced": spaced, "back": back_to_back, "traced": traced, "level": level}


def _plain_runs(rounds: int) -> list[float]:
    from tutor.data import prepared_csv

    folder = Path(tempfile.mkdtemp(prefix="cnn-tutor-bench-"))
    try:
        shutil.copyfile(prepared_csv("digits"), folder / "mnist_small.csv")
        (folder / "train.py").write_text(SCRIPT)
        times = []
        for _ in range(rounds):
            done = subprocess.run(
                [sys.executable, "train.py"], cwd=folder, check=True, capture_output=True, text=True
            )
            times.append(_seconds(done.stdout))
        return times
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _cold_import(rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import torch"], check=True)
        times.append(time.perf_counter() - start)
    return times


def run() -> list[tuple[str, str, str]]:
    warm = asyncio.run(_warm(30))
    cold_ms = statistics.median(_cold_import(5)) * 1000
    plain_s = statistics.median(_plain_runs(3))
    spaced_ms = statistics.median(warm["spaced"]) * 1000  # type: ignore[arg-type]
    back_ms = statistics.median(warm["back"]) * 1000  # type: ignore[arg-type]
    traced_s = statistics.median(warm["traced"])  # type: ignore[arg-type]
    return [
        (
            "trivial job, warm worker, runs 0.2 s apart",
            f"{spaced_ms:.1f} ms",
            f"cold `import torch` {cold_ms:.0f} ms: {cold_ms / spaced_ms:.0f}x faster "
            f"({warm['level']})",
        ),
        (
            "trivial job, warm worker, back to back",
            f"{back_ms:.1f} ms",
            f"cold `import torch` {cold_ms:.0f} ms: {cold_ms / back_ms:.0f}x faster",
        ),
        (
            "5 epochs of training, traced in the sandbox",
            f"{traced_s:.2f} s",
            f"plain python {plain_s:.2f} s: ratio {traced_s / plain_s:.2f}x",
        ),
    ]
