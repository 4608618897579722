"""Learner scripts used by the end-to-end tests: one good, many broken or hostile."""

TRAIN = """\
import pandas as pd
import torch
import torch.nn as nn
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
df = pd.read_csv("mnist_small.csv")
X = df.drop(columns="label").values / 255.0
y = df["label"].values
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
X_train = torch.tensor(X_train, dtype=torch.float32).reshape(-1, 28, 28).unsqueeze(1)
X_test = torch.tensor(X_test, dtype=torch.float32).reshape(-1, 28, 28).unsqueeze(1)
y_train = torch.tensor(y_train, dtype=torch.long)
loader = DataLoader(TensorDataset(X_train, y_train), batch_size=64, shuffle=True)

model = nn.Sequential(
    nn.Conv2d(1, 16, 3, padding=1),
    nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Flatten(),
    nn.Linear(3136, 10),
)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
criterion = nn.CrossEntropyLoss()
for epoch in range(2):
    total = 0.0
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = criterion(model(xb), yb)
        loss.backward()
        optimizer.step()
        total += loss.item()
    print(f"epoch {epoch + 1}: mean loss {total / len(loader):.4f}")
with torch.no_grad():
    predictions = model(X_test).argmax(dim=1).numpy()
print("accuracy", accuracy_score(y_test, predictions))
"""

WRONG_IN_FEATURES = """\
import torch
import torch.nn as nn

model = nn.Sequential(
    nn.Conv2d(1, 16, 3, padding=1),
    nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Conv2d(16, 32, 3, padding=1),
    nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Flatten(),
    nn.Linear(3136, 10),
)
out = model(torch.randn(4, 1, 28, 28))
"""

MISSING_CHANNEL = """\
import torch
import torch.nn as nn

conv = nn.Conv2d(1, 16, 3, padding=1)
batch = torch.randn(64, 28, 28)
out = conv(batch)
"""

CHANNELS_LAST = """\
import torch
import torch.nn as nn

images = torch.rand(8, 32, 32, 3)
out = nn.Conv2d(3, 16, 3, padding=1)(images)
"""

STALE_IN_CHANNELS = """\
import torch
import torch.nn as nn

model = nn.Sequential(
    nn.Conv2d(1, 16, 3, padding=1),
    nn.ReLU(),
    nn.Conv2d(32, 64, 3, padding=1),
)
out = model(torch.randn(2, 1, 28, 28))
"""

FLOAT_LABELS = """\
import torch
import torch.nn as nn

logits = torch.randn(8, 10)
labels = torch.tensor([1, 2, 3, 4, 5, 6, 7, 8], dtype=torch.float32)
loss = nn.CrossEntropyLoss()(logits, labels)
"""

NO_SUPER_INIT = """\
import torch.nn as nn

class Net(nn.Module):
    def __init__(self):
        self.conv = nn.Conv2d(1, 16, 3)

net = Net()
"""

SYNTAX_ERROR = """\
import torch
x = torch.randn(2, 3
print(x)
"""

DEVICE_MISMATCH_META = """\
import torch
import torch.nn as nn

model = nn.Linear(4, 2).to("meta")
out = model(torch.randn(3, 4))
"""

INFINITE_LOOP = "while True:\n    pass\n"

MEMORY_BOMB = """\
chunks = []
while True:
    chunks.append(bytearray(50_000_000))
    chunks[-1][::4096] = b"x" * len(chunks[-1][::4096])
"""

FORK_BOMB = "import os\nwhile True:\n    os.fork()\n"

SEGFAULT = "import ctypes\nctypes.string_at(0)\n"

HUGE_OUTPUT = """\
import sys
for _ in range(200):
    sys.stdout.write("x" * 1_000_000)
"""

KILL_PARENT = """\
import os
import signal
os.kill(os.getppid(), signal.SIGKILL)
"""

OPEN_SOCKET = """\
import socket
socket.create_connection(("93.184.216.34", 80), timeout=5)
"""

SYSTEM_EXIT = "import sys\nprint('leaving')\nsys.exit(3)\n"

KEYBOARD_INTERRUPT = "raise KeyboardInterrupt\n"
