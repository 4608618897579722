"""Realistic learner scripts, written here in the style of well-known public CNN code.

Each is small (random or built-in data, a few steps) so a warm sandbox runs it in a second
or two. ``PATTERNS`` run cleanly; ``ERRORS`` each hold one mistake people ask about in
public Q&A; ``DOCTOR`` holds each training-loop bug with its correct twin.
"""

from __future__ import annotations

HEAD = """\
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
torch.set_num_threads(1)
"""

# The PyTorch MNIST example's network and loop (F.nll_loss on log_softmax), on the digits.
MNIST_EXAMPLE = """\
import pandas as pd

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, 1)
        self.conv2 = nn.Conv2d(8, 16, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(2304, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = self.dropout2(F.relu(self.fc1(x)))
        return F.log_softmax(self.fc2(x), dim=1)

df = pd.read_csv("mnist_small.csv")
X = torch.tensor(df.drop(columns="label").values[:320], dtype=torch.float32).view(-1, 1, 28, 28)
y = torch.tensor(df["label"].values[:320])
train_loader = DataLoader(TensorDataset(X[:256] / 255, y[:256]), batch_size=32, shuffle=True)
test_loader = DataLoader(TensorDataset(X[256:] / 255, y[256:]), batch_size=32)
model = Net()
optimizer = optim.Adadelta(model.parameters(), lr=1.0)
for epoch in range(1, 3):
    model.train()
    for data, target in train_loader:
        optimizer.zero_grad()
        loss = F.nll_loss(model(data), target)
        loss.backward()
        optimizer.step()
    model.eval()
    correct = 0
    with torch.no_grad():
        for data, target in test_loader:
            correct += model(data).argmax(1).eq(target).sum().item()
    print(f"epoch {epoch}: {correct}/64 right")
"""

# The CIFAR-10 tutorial, as published: worker processes, a functional forward, SGD+momentum.
CIFAR_TUTORIAL = """\
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)

if __name__ == "__main__":
    trainset = TensorDataset(torch.rand(64, 3, 32, 32), torch.randint(0, 10, (64,)))
    trainloader = DataLoader(trainset, batch_size=4, shuffle=True, num_workers=2)
    net = Net()
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.SGD(net.parameters(), lr=0.001, momentum=0.9)
    for epoch in range(2):
        running_loss = 0.0
        for i, data in enumerate(trainloader, 0):
            inputs, labels = data
            optimizer.zero_grad()
            outputs = net(inputs)
            loss = criterion(outputs, labels)
            loss.backward()
            optimizer.step()
            running_loss += loss.item()
    print("Finished Training")
"""

# d2l's LeNet: a Sequential with sigmoid and average pools, F.cross_entropy in the loop.
D2L_LENET = """\
net = nn.Sequential(
    nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(),
    nn.AvgPool2d(kernel_size=2, stride=2),
    nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(),
    nn.AvgPool2d(kernel_size=2, stride=2),
    nn.Flatten(),
    nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(),
    nn.Linear(120, 84), nn.Sigmoid(),
    nn.Linear(84, 10))
X = torch.rand(size=(1, 1, 28, 28), dtype=torch.float32)
for layer in net:
    X = layer(X)
    print(layer.__class__.__name__, "output shape: \\t", X.shape)
train_iter = DataLoader(TensorDataset(torch.rand(64, 1, 28, 28), torch.randint(0, 10, (64,))),
                        batch_size=16, shuffle=True)
optimizer = torch.optim.SGD(net.parameters(), lr=0.9)
for epoch in range(2):
    net.train()
    for X, y in train_iter:
        optimizer.zero_grad()
        l = F.cross_entropy(net(X), y)
        l.backward()
        optimizer.step()
"""

# A torchvision-style ResNet: BasicBlock with a downsampling shortcut.
RESNET = """\
class BasicBlock(nn.Module):
    def __init__(self, inplanes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(
                nn.Conv2d(inplanes, planes, 1, stride=stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        return self.relu(out + identity)

class ResNet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        self.layer1 = nn.Sequential(BasicBlock(16, 16), BasicBlock(16, 16))
        self.layer2 = nn.Sequential(BasicBlock(16, 32, stride=2), BasicBlock(32, 32))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(32, num_classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer2(self.layer1(x))
        return self.fc(torch.flatten(self.avgpool(x), 1))

model = ResNet()
loader = DataLoader(TensorDataset(torch.rand(32, 3, 32, 32), torch.randint(0, 10, (32,))),
                    batch_size=8, shuffle=True)
criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
for epoch in range(2):
    model.train()
    for x, y in loader:
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
model.eval()
with torch.no_grad():
    print(model(torch.rand(2, 3, 32, 32)).argmax(1))
"""

# A small UNet: encoder and decoder blocks in nn.ModuleList, skip connections by torch.cat.
UNET = """\
def block(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(),
                         nn.Conv2d(cout, cout, 3, padding=1), nn.ReLU())

class UNet(nn.Module):
    def __init__(self, chs=(1, 8, 16)):
        super().__init__()
        self.down = nn.ModuleList([block(chs[i], chs[i + 1]) for i in range(len(chs) - 1)])
        self.pool = nn.MaxPool2d(2)
        self.up = nn.ModuleList([nn.ConvTranspose2d(16, 8, 2, stride=2)])
        self.dec = nn.ModuleList([block(16, 8)])
        self.head = nn.Conv2d(8, 1, 1)

    def forward(self, x):
        skips = []
        for i, down in enumerate(self.down):
            x = down(x)
            if i < len(self.down) - 1:
                skips.append(x)
                x = self.pool(x)
        for up, dec in zip(self.up, self.dec):
            x = up(x)
            x = dec(torch.cat([x, skips.pop()], dim=1))
        return self.head(x)

model = UNet()
images, masks = torch.rand(8, 1, SIDE, SIDE), (torch.rand(8, 1, SIDE, SIDE) > 0.5).float()
optimizer = optim.Adam(model.parameters(), lr=1e-3)
for step in range(4):
    optimizer.zero_grad()
    loss = F.binary_cross_entropy_with_logits(model(images), masks)
    loss.backward()
    optimizer.step()
print("unet ok")
"""

# Lazy layers: in_channels and in_features are found on the first call.
LAZY = """\
model = nn.Sequential(
    nn.LazyConv2d(8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
    nn.LazyConv2d(16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
    nn.Flatten(), nn.LazyLinear(10))
optimizer = None
x, y = torch.rand(16, 1, 28, 28), torch.randint(0, 10, (16,))
model(x)  # shapes the lazy layers before the optimiser is built
optimizer = optim.SGD(model.parameters(), lr=0.1)
for step in range(3):
    optimizer.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()
"""

# A sub-model called from the parent's own method before forward ever runs.
SUBMODEL = """\
class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 8, 3, padding=1)
        self.pool = nn.MaxPool2d(2)

    def forward(self, x):
        return self.pool(F.relu(self.conv(x)))

class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = Encoder()
        self.fc = nn.Linear(8 * 14 * 14, 10)

    def features(self, x):
        return self.encoder(x)

    def forward(self, x):
        return self.fc(torch.flatten(self.features(x), 1))

model = Classifier()
print(model.features(torch.rand(2, 1, 28, 28)).shape)
out = model(torch.rand(2, 1, 28, 28))
"""

# Layer by layer, as d2l prints shapes: the receptive field follows the calls.
LAYER_BY_LAYER = """\
net = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Conv2d(4, 4, 3, stride=2),
                    nn.MaxPool2d(2))
h = torch.rand(1, 1, 28, 28)
for i in range(len(net)):
    h = net[i](h)
"""

PATTERNS = {
    "mnist-example": MNIST_EXAMPLE,
    "d2l-lenet": D2L_LENET,
    "resnet": RESNET,
    "unet": UNET.replace("SIDE", "32"),
    "lazy": LAZY,
    "submodel": SUBMODEL,
    "layer-by-layer": LAYER_BY_LAYER,
}

_CNN = """\
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 4 * 4, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = FLATTEN
        return self.fc1(x)
"""


def _cnn(flatten: str = "torch.flatten(x, 1)") -> str:
    return _CNN.replace("FLATTEN", flatten)


# Each error: the script, and words its explanation must hold (the learner's own numbers).
ERRORS: dict[str, tuple[str, list[str]]] = {
    "float64-model": (
        _cnn() + "net = Net().double()\nnet(torch.rand(4, 1, 28, 28))\n",
        ["weights in float64", "float32 data", "model.float()"],
    ),
    "state-dict-sizes": (
        _cnn()
        + "saved = Net().state_dict()\n"
        + "class Net2(Net):\n    def __init__(self):\n        super().__init__()\n"
        + "        self.fc1 = nn.Linear(400, 10)\n"
        + "Net2().load_state_dict(saved)\n",
        ["fc1.weight", "(10, 256) in the saved file", "(10, 400) in this Net2"],
    ),
    "nll-label-range": (
        "logits = torch.randn(4, 10, requires_grad=True)\n"
        "labels = torch.tensor([1, 2, 10, 3])\n"
        "loss = F.nll_loss(F.log_softmax(logits, 1), labels)\n",
        ["label 10", "10 outputs", "0 to 9"],
    ),
    "view-features": (
        _cnn("x.view(-1, 16 * 5 * 5)") + "Net()(torch.rand(64, 1, 28, 28))\n",
        ["(64, 16, 4, 4)", "16 × 4 × 4 = 256", "not 400", "x.view(x.size(0), -1)"],
    ),
    "view-non-contiguous": (
        "images = torch.rand(8, 28, 28, 3).permute(0, 3, 1, 2)\nflat = images.view(8, -1)\n",
        ["reordering on line 9", "permute", "x.reshape(...)"],
    ),
    "one-hot-labels": (
        "criterion = nn.CrossEntropyLoss()\n"
        "y = F.one_hot(torch.tensor([1, 2, 3, 4]), 10)\n"
        "loss = criterion(torch.randn(4, 10, requires_grad=True), y)\n",
        ["one-hot", "(4, 10)", "y.argmax(1)"],
    ),
    "cat-skip": (
        UNET.replace("SIDE", "27"),
        ["torch.cat", "size 26", "has 27", "27×27 maps, an odd size", "F.interpolate"],
    ),
    "hard-coded-batch": (
        _cnn("x.view(64, -1)")
        + "loader = DataLoader(TensorDataset(torch.rand(80, 1, 28, 28),"
        + " torch.randint(0, 10, (80,))), batch_size=64)\n"
        + "net = Net()\nfor x, y in loader:\n    net(x)\n",
        ["batch size at 64", "x.view(64, -1)", "16 examples", "x.view(x.size(0), -1)"],
    ),
    "loss-data-index": (
        "loss = F.mse_loss(torch.rand(3, requires_grad=True), torch.zeros(3))\n"
        "print(loss.data[0])\n",
        ["loss.item()", "0-dim"],
    ),
    "dataiter-next": (
        "loader = DataLoader(TensorDataset(torch.rand(8, 2)), batch_size=4)\n"
        "dataiter = iter(loader)\nimages = dataiter.next()\n",
        ["next(dataiter)", "Python 2"],
    ),
    "missing-pool": (
        _cnn().replace("x = self.pool(F.relu(self.conv2(x)))", "x = F.relu(self.conv2(x))")
        + "Net()(torch.rand(4, 1, 28, 28))\n",
        ["A pool is missing", "8×8", "one more MaxPool2d(2)", "16 × 4 × 4 = 256"],
    ),
    "fallback-knows-the-layer": (
        "class Odd(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.conv = nn.Conv2d(1, 4, 3)\n"
        "    def forward(self, x):\n        return self.conv(x).sum(dim=7)\n"
        "Odd()(torch.rand(2, 1, 8, 8))\n",
        ["inside Odd", "(2, 1, 8, 8)", "Odd.conv", "(2, 4, 6, 6)"],
    ),
}

_WITH_NORMS = """nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                      nn.Dropout(0.2), nn.Flatten(), nn.Linear(4 * 8 * 8, 3))"""
_PLAIN = "nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(256, 3))"
_LOOP = """\
model = MODEL
loader = DataLoader(TensorDataset(torch.rand(96, 1, 8, 8), torch.randint(0, 3, (96,))),
                    batch_size=8, shuffle=True)
criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(model.parameters(), lr=LR)
for epoch in range(2):
    model.train()
    for x, y in loader:
        ZERO
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
EVAL
with torch.no_grad():
    accuracy = (model(torch.rand(16, 1, 8, 8)).argmax(1) == 0).float().mean()
"""


def _loop(
    lr: str = "0.05",
    zero: str = "optimizer.zero_grad()",
    evaluate: str = "model.eval()",
    model: str = _WITH_NORMS,
) -> str:
    return (
        _LOOP.replace("MODEL", model)
        .replace("LR", lr)
        .replace("ZERO", zero)
        .replace("EVAL", evaluate)
    )


_REGRESSION = """\
model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(256, 1))
loader = DataLoader(TensorDataset(torch.rand(96, 1, 8, 8), torch.rand(96, 1)), batch_size=8)
optimizer = optim.SGD(model.parameters(), lr=LR)
for epoch in range(3):
    for x, y in loader:
        optimizer.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
"""

# Each doctor warning: (bug, its correct twin, words the warning must hold).
DOCTOR: dict[str, tuple[str, str, list[str]]] = {
    "zero-grad": (
        _loop(zero="pass"),
        _loop(),
        ["no optimizer.zero_grad()", "before loss.backward()"],
    ),
    "eval-mode": (
        _loop(evaluate="pass"),
        _loop(),
        ["still in train mode", "BatchNorm2d and Dropout", "model.eval()"],
    ),
    "nan-loss": (
        _REGRESSION.replace("LR", "10.0"),
        _REGRESSION.replace("LR", "0.05"),
        ["The loss became inf at step", "grew before it broke", "(lr=10)"],
    ),
    "flat-loss": (
        _loop(lr="0.0", model=_PLAIN),
        _loop(lr="0.05", model=_PLAIN),
        ["exactly what the epoch before did", "learning rate is 0"],
    ),
}
