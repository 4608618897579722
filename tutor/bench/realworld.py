"""Tracing overhead on real-world shapes of code: a ResNet-style network (many module calls
per step, BatchNorm, a shortcut) and a loop whose loss is a function (F.cross_entropy, so
every step goes through the functional-loss capture and the doctor's hooks). Each is timed
warm in the sandbox, traced and untraced, against the same script under plain Python,
after the imports: traced/plain is the learner's cost, traced/untraced the tracer's own."""

from __future__ import annotations

import asyncio
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from tutor import events
from tutor.bench.sandbox import IMPORTS, _seconds
from tutor.sandbox.client import JobSpec, Sandbox

RESNET = """\
import torch.nn.functional as F
started = time.perf_counter()
torch.manual_seed(0)

class Block(nn.Module):
    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.short = nn.Sequential()
        if stride != 1 or cin != cout:
            self.short = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False),
                                       nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(out)) + self.short(x))

model = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
                      Block(16, 16), Block(16, 32, 2), Block(32, 32),
                      nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10))
loader = DataLoader(TensorDataset(torch.rand(512, 3, 32, 32), torch.randint(0, 10, (512,))),
                    batch_size=32, shuffle=True)
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
criterion = nn.CrossEntropyLoss()
for epoch in range(2):
    model.train()
    for x, y in loader:
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
model.eval()
with torch.no_grad():
    model(torch.rand(64, 3, 32, 32))
print("TRAIN_SECONDS", time.perf_counter() - started)
"""

FUNCTIONAL = """\
import torch.nn.functional as F
started = time.perf_counter()
torch.manual_seed(0)
df = pd.read_csv("mnist_small.csv")
X = torch.tensor(df.drop(columns="label").values / 255.0, dtype=torch.float32).view(-1, 1, 28, 28)
y = torch.tensor(df["label"].values, dtype=torch.long)
loader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True)

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.fc = nn.Linear(16 * 7 * 7, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return F.log_softmax(self.fc(torch.flatten(x, 1)), dim=1)

model = Net()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
for epoch in range(3):
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = F.nll_loss(model(xb), yb)
        loss.backward()
        optimizer.step()
print("TRAIN_SECONDS", time.perf_counter() - started)
"""

SCRIPTS = {"ResNet-style": IMPORTS + RESNET, "functional loss": IMPORTS + FUNCTIONAL}


async def _measure(rounds: int, folder: Path) -> dict[tuple[str, str], list[float]]:
    """Plain, untraced-in-the-sandbox and traced runs interleaved, so a busy machine slows
    them alike."""
    times: dict[tuple[str, str], list[float]] = {}
    async with Sandbox(torch=True) as box:
        async for _ in box.run(JobSpec(source="pass", data=None)):
            pass  # warm: the first job pays for nothing we want to count
        for _ in range(rounds):
            for name, script in SCRIPTS.items():
                (folder / "train.py").write_text(script)
                done = subprocess.run(
                    [sys.executable, "train.py"],
                    cwd=folder,
                    check=True,
                    capture_output=True,
                    text=True,
                )
                times.setdefault((name, "plain"), []).append(_seconds(done.stdout))
                for trace in (False, True):
                    out = ""
                    async for event in box.run(JobSpec(source=script, trace=trace)):
                        if isinstance(event, events.Output) and event.type == "stdout":
                            out += event.text
                    key = "traced" if trace else "untraced"
                    times.setdefault((name, key), []).append(_seconds(out))
    return times


def run() -> list[tuple[str, str, str]]:
    from tutor.data import prepared_csv

    folder = Path(tempfile.mkdtemp(prefix="cnn-tutor-bench-"))
    try:
        shutil.copyfile(prepared_csv("digits"), folder / "mnist_small.csv")
        times = asyncio.run(_measure(3, folder))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    rows = []
    for name in SCRIPTS:
        traced, untraced, plain = (
            statistics.median(times[(name, key)]) for key in ("traced", "untraced", "plain")
        )
        rows.append(
            (
                f"{name} training, traced in the sandbox (warm)",
                f"{traced:.2f} s",
                f"plain python {plain:.2f} s: ratio {traced / plain:.2f}x (target ≤ 1.15x); "
                f"untraced in the sandbox {untraced:.2f} s: the tracer's own cost "
                f"{traced / untraced:.2f}x",
            )
        )
    return rows
