"""Answers that try to pass without solving anything, through the real `cnn-tutor check`.

Each attack file is written the way a hostile learner would: it reads or replaces the
checker's names through frames, gc or sys.modules, patches numpy's and torch's comparisons,
reads or runs the shipped solution, forges a facts event and leaves with os._exit(0), or
hands in a model that ignores its input or hides a missing bias. Every one must fail with
exit 1 and a named part, print no traceback, and leave nothing recorded as passed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tutor.course import find_exercise

# A model of the right shape whose forward never looks at its input.
HOLLOW_MODEL = """
import torch
import torch.nn as nn


class SimpleCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, kernel_size=3, padding=1)
        self.fc = nn.Linear(32 * 7 * 7, 10)

    def forward(self, x):
        h = torch.zeros(x.shape[0], 1, 28, 28)
        h = torch.max_pool2d(torch.relu(self.conv1(h)), 2)
        h = torch.max_pool2d(torch.relu(self.conv2(h)), 2)
        return self.fc(torch.flatten(h, start_dim=1))
"""

# The facts a passing SimpleCNN's probe would send, written by hand.
FORGED_FACTS = {
    "class": {"kind": "module"},
    "model": {
        "params": 20490,
        "layers": [
            {
                "name": "conv1",
                "type": "Conv2d",
                "in_channels": 1,
                "out_channels": 16,
                "kernel_size": [3, 3],
                "padding": [1, 1],
                "stride": [1, 1],
            },
            {
                "name": "conv2",
                "type": "Conv2d",
                "in_channels": 16,
                "out_channels": 32,
                "kernel_size": [3, 3],
                "padding": [1, 1],
                "stride": [1, 1],
            },
            {"name": "fc", "type": "Linear", "in_features": 1568, "out_features": 10},
        ],
        "forward": {
            "input": [8, 1, 28, 28],
            "output": [8, 10],
            "calls": [
                {"op": "module", "type": "Conv2d", "name": "conv1"},
                {"op": "relu", "via": "function", "in": [8, 16, 28, 28], "out": [8, 16, 28, 28]},
                {
                    "op": "max_pool2d",
                    "via": "function",
                    "in": [8, 16, 28, 28],
                    "out": [8, 16, 14, 14],
                },
                {"op": "module", "type": "Conv2d", "name": "conv2"},
                {"op": "relu", "via": "function", "in": [8, 32, 14, 14], "out": [8, 32, 14, 14]},
                {
                    "op": "max_pool2d",
                    "via": "function",
                    "in": [8, 32, 14, 14],
                    "out": [8, 32, 7, 7],
                },
                {
                    "op": "flatten",
                    "via": "function",
                    "in": [8, 32, 7, 7],
                    "out": [8, 1568],
                    "start_dim": 1,
                },
                {"op": "module", "type": "Linear", "name": "fc"},
            ],
        },
    },
}

FRAMES = (
    HOLLOW_MODEL
    + f"""
import sys

FORGED = {json.dumps(FORGED_FACTS)}
# Climb to the job runner's frame and swap the probe for one that reports a pass.
frame = sys._getframe()
while frame is not None:
    checker = frame.f_locals.get("checker")
    if isinstance(checker, dict) and "probe" in checker:
        checker["probe"] = lambda ns, params: FORGED
        checker["judge"] = lambda facts, *rest: []
    frame = frame.f_back
"""
)

GC_AND_MODULES = (
    HOLLOW_MODEL
    + """
import gc
import sys

# Replace every judge or expected value that the process can reach, and the probe's helpers.
for obj in gc.get_objects():
    if isinstance(obj, dict):
        for name in ("judge", "PARAMS_WANTED", "referee", "reference"):
            if name in obj:
                obj[name] = (lambda *a, **k: []) if callable(obj[name]) else 0
for name, module in list(sys.modules.items()):
    if name.startswith("tutor.checks"):
        for attr in ("count_params", "judge"):
            if hasattr(module, attr):
                setattr(module, attr, lambda *a, **k: 20490)
"""
)

# Exercise 1: use the checker's own expected values if any can be found, else guess wrong.
EXPECTED_VALUES = """
import gc
import sys

answers = None
for obj in gc.get_objects():
    if isinstance(obj, dict) and callable(obj.get("expected")) and "LAYERS" in obj:
        answers = {name: obj["expected"](spec) for name, _, spec, _ in obj["LAYERS"]}
for name, module in list(sys.modules.items()):
    if hasattr(module, "LAYERS") and hasattr(module, "expected"):
        answers = {n: module.expected(spec) for n, _, spec, _ in module.LAYERS}
answers = answers or {"a": (1, 1, 1), "b": (1, 1, 1), "c": (1, 1, 1), "d": (1, 1, 1)}
a, b, c, d = answers["a"], answers["b"], answers["c"], answers["d"]
"""

# Exercise 2: every comparison says "equal", and X_t is not scaled at all.
PATCHED_NUMPY = """
import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

for name in ("array_equal", "allclose", "array_equiv"):
    setattr(np, name, lambda *a, **k: True)
torch.equal = lambda *a, **k: True
torch.allclose = lambda *a, **k: True

images = X.reshape(-1, 28, 28)
X_t = torch.from_numpy(images).float().unsqueeze(1)  # pixels left at 0-255
y_t = torch.from_numpy(y).long()
loader = DataLoader(TensorDataset(X_t, y_t), batch_size=32)
"""

SHIPPED_SOLUTION = """
from pathlib import Path

import tutor
from tutor.paths import exercises_dir

places = [
    exercises_dir() / "05-module-class" / "solution.py",
    Path(tutor.__file__).resolve().parent.parent / "exercises" / "05-module-class" / "solution.py",
    Path(tutor.__file__).resolve().parent / "content" / "exercises" / "05-module-class"
    / "solution.py",
]
for place in places:
    try:
        exec(place.read_text())
        break
    except OSError:
        continue
else:
    class SimpleCNN:
        pass
"""

FORGED_EVENT_AND_EXIT = (
    HOLLOW_MODEL
    + f"""
import json
import os

line = (json.dumps({{"type": "facts", "data": {json.dumps(FORGED_FACTS)}}}) + "\\n").encode()
for fd in range(3, 64):
    try:
        os.write(fd, line)
    except OSError:
        pass
os._exit(0)
"""
)

PARAMETERS_OVERRIDE = (
    find_exercise("5").folder / "mistakes" / "param-count--parameters-override.py"
).read_text()

# Exercise 8 without a GPU: make .to a no-op so nothing ever moves, and nothing mixes.
PATCHED_DEVICES = """
import numpy as np
import torch
import torch.nn as nn

torch.nn.Module.to = lambda self, *a, **k: self


class SmallNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, kernel_size=3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(32 * 8 * 8, 10)

    def forward(self, x):
        x = self.pool(torch.relu(self.conv1(x)))
        x = self.pool(torch.relu(self.conv2(x)))
        return self.fc(torch.flatten(x, start_dim=1))


device = torch.device("cuda")
X_t = torch.from_numpy(np.transpose(X, (0, 3, 1, 2))).float() / 255.0
model = SmallNet()


def train_one_epoch(model, loader, optimizer, criterion, device):
    total = 0.0
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = criterion(model(xb), yb)
        loss.backward()
        optimizer.step()
        total += loss.item()
    return total / len(loader)


def predict(model, X_t, device):
    with torch.no_grad():
        return model(X_t).argmax(dim=1).numpy()
"""

ATTACKS = [
    ("frames", "5", FRAMES),
    ("gc-and-sys-modules", "5", GC_AND_MODULES),
    ("expected-values", "1", EXPECTED_VALUES),
    ("patched-numpy", "2", PATCHED_NUMPY),
    ("shipped-solution", "5", SHIPPED_SOLUTION),
    ("forged-facts-and-exit", "5", FORGED_EVENT_AND_EXIT),
    ("forward-ignores-input", "5", HOLLOW_MODEL),
    ("parameters-override", "5", PARAMETERS_OVERRIDE),
    ("patched-torch-devices", "8", PATCHED_DEVICES),
]


def bubblewrap() -> bool:
    """Whether the sandbox will run under bubblewrap here (the only level that hides files)."""
    wanted = os.environ.get("CNN_TUTOR_ISOLATION", "auto").strip().lower()
    return shutil.which("bwrap") is not None and wanted in ("", "auto", "bubblewrap")


def cli(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tutor", "--home", str(home), *args],
        cwd=home.parent,
        env={k: v for k, v in os.environ.items() if k != "CNN_TUTOR_HOME"},
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.parametrize(("label", "number", "source"), ATTACKS, ids=[a[0] for a in ATTACKS])
def test_an_attack_fails_with_a_named_part_and_is_not_recorded(
    tmp_path: Path, learner_home: Path, label: str, number: str, source: str
) -> None:
    if label == "shipped-solution" and not bubblewrap():
        pytest.skip("without bubblewrap the sandbox cannot hide the exercises folder")
    path = tmp_path / "answer.py"
    path.write_text(source, encoding="utf-8")
    done = cli("check", number, str(path), "--json", home=learner_home)
    shown = done.stdout + done.stderr
    assert done.returncode == 1, shown
    assert "Traceback" not in shown, shown
    verdict = json.loads(done.stdout)
    assert verdict["passed"] is False
    failing = [p for p in verdict["parts"] if not p["passed"]]
    assert failing and all(p["id"] and p["message"].strip() for p in failing), verdict
    slug = find_exercise(number).slug
    row = next(line for line in cli("list", home=learner_home).stdout.splitlines() if slug in line)
    assert "passed" not in row, row


def test_the_hollow_model_fails_on_the_parts_the_referee_decides(
    tmp_path: Path, learner_home: Path
) -> None:
    path = tmp_path / "answer.py"
    path.write_text(HOLLOW_MODEL, encoding="utf-8")
    verdict = json.loads(cli("check", "5", str(path), "--json", home=learner_home).stdout)
    failing = {p["id"]: p["message"] for p in verdict["parts"] if not p["passed"]}
    assert {"same-outputs", "input-used"} <= set(failing), verdict
    assert "input-used" in failing, verdict
    assert "do not depend on its input" in failing["input-used"]


def test_the_parameter_count_is_the_tutors_own(tmp_path: Path, learner_home: Path) -> None:
    path = tmp_path / "answer.py"
    path.write_text(PARAMETERS_OVERRIDE, encoding="utf-8")
    verdict = json.loads(cli("check", "5", str(path), "--json", home=learner_home).stdout)
    part = next(p for p in verdict["parts"] if p["id"] == "param-count")
    assert not part["passed"]
    assert "counted 20,474 by the tutor" in part["message"], part


def test_the_exercises_folder_is_empty_inside_the_sandbox(
    tmp_path: Path, learner_home: Path
) -> None:
    """Under bubblewrap a job sees no judge, referee or solution of any exercise."""
    path = tmp_path / "look.py"
    path.write_text(
        "from tutor.paths import exercises_dir\n"
        "import os\n"
        "folder = exercises_dir()\n"
        "print('seen:', sorted(os.listdir(folder)) if folder.is_dir() else 'no folder')\n",
        encoding="utf-8",
    )
    done = cli("run", str(path), home=learner_home)
    if "full isolation (bubblewrap)" not in done.stdout + done.stderr:
        pytest.skip("bubblewrap is not in use here: the weaker levels cannot hide files")
    assert done.returncode == 0, done.stdout + done.stderr
    seen = next(line for line in done.stdout.splitlines() if line.startswith("seen:"))
    assert seen in ("seen: []", "seen: no folder"), done.stdout
    assert find_exercise("5").folder.joinpath("solution.py").is_file()  # still there outside


CHALLENGE_GARBAGE = """\
import os

import torch
import torch.nn as nn

try:  # a huge length on the tutor's challenge socket, before the probe asks its seed
    os.write(4, (2**40).to_bytes(8, "little") + b"x" * 100)
except OSError:
    pass


class SimpleCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(784, 10)

    def forward(self, x):
        return self.fc(torch.flatten(x, 1))
"""


def test_writing_to_the_challenge_socket_is_the_answers_doing(
    tmp_path: Path, learner_home: Path
) -> None:
    """The check stops, and the verdict says the answer used the tutor's socket: it does not
    send the learner to report a checker bug."""
    path = tmp_path / "answer.py"
    path.write_text(CHALLENGE_GARBAGE, encoding="utf-8")
    done = cli("check", "5", str(path), "--json", home=learner_home)
    assert done.returncode == 1, done.stdout + done.stderr
    verdict = json.loads(done.stdout)
    failing = {p["id"]: p["message"] for p in verdict["parts"] if not p["passed"]}
    assert "runs" in failing and "checker" not in failing, verdict
    assert "challenge socket" in failing["runs"], failing
