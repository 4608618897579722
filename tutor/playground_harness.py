"""The playground's training harness: Python text appended after the learner's code.

Train model runs the learner's file with this harness after it, in the sandbox, so the
learner's line numbers stay right and their errors are explained as usual. The harness
trains the `model` the file defines on the job's `mnist_small.csv` the way lesson 8
does, then evaluates it and reports through ``cnntutor.result``:

``progress``
    ``epoch``, ``epochs``, ``batch``, ``batches``, ``elapsed_s``; at most ~10 a second.
``evaluation``
    ``accuracy`` (0..1), ``confusion`` (10x10 ints, rows true, columns predicted),
    ``misclassified`` (up to 8 of ``{"image": 28x28 ints 0-255, "true", "predicted"}``),
    ``filters`` (the first Conv2d's kernels on its first input channel, lists of k x k
    floats, up to 16; null without a conv layer), ``feature_maps`` (that layer's outputs
    for ``digit``, up to 16 lists of H x W floats), ``digit`` (28x28 ints 0-255) and
    ``digit_label``.

Plain text only: the UI process never imports torch.
"""

from __future__ import annotations

import asyncio
import re
import sys
from dataclasses import asdict, dataclass

from tutor.errors import UsageError

DEFAULT_EXAMPLE = """\
import torch
from torch import nn

torch.manual_seed(0)

# Edit this model; F5 runs this file, F6 trains `model` on the chosen data.
model = nn.Sequential(
    nn.Conv2d(1, 8, kernel_size=3, padding=1),  # -> (B, 8, 28, 28)
    nn.ReLU(),
    nn.MaxPool2d(2),  # -> (B, 8, 14, 14)
    nn.Conv2d(8, 16, kernel_size=3, padding=1),  # -> (B, 16, 14, 14)
    nn.ReLU(),
    nn.MaxPool2d(2),  # -> (B, 16, 7, 7)
    nn.Flatten(),  # -> (B, 784)
    nn.Linear(16 * 7 * 7, 10),  # -> (B, 10)
)

x = torch.randn(4, 1, 28, 28)
print("output shape:", tuple(model(x).shape))  # (4, 10)
"""

MARKER = "# ---- cnn-tutor: training harness (Train model); your code ends above ----"

HARNESS = """

{marker}
def _cnntutor_train(settings):
    import time

    import numpy as np
    import torch
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset

    import cnntutor

    net = globals().get("model")
    if not isinstance(net, nn.Module):
        raise NameError(
            "Train model needs your code to define `model`, an nn.Module such as "
            "nn.Sequential(...) taking (B, 1, 28, 28) images to (B, 10) scores"
        )
    use_cuda = settings["device"] != "cpu" and torch.cuda.is_available()
    device = torch.device("cuda" if use_cuda else "cpu")
    torch.manual_seed(settings["seed"])

    table = np.loadtxt("mnist_small.csv", delimiter=",", skiprows=1, dtype=np.float32)
    y, X = table[:, 0].astype(np.int64), table[:, 1:] / 255.0
    order = np.random.RandomState(42).permutation(len(y))
    n_test = -(-len(y) // 5)  # a fifth, rounded up, held out for testing
    test, train = order[:n_test], order[n_test:]
    X_train, X_test, y_train, y_test = X[train], X[test], y[train], y[test]

    def images(a):
        return torch.tensor(a, dtype=torch.float32).reshape(-1, 28, 28).unsqueeze(1)

    X_train_t, X_test_t = images(X_train), images(X_test)
    y_train_t = torch.tensor(y_train, dtype=torch.long)
    y_test_t = torch.tensor(y_test, dtype=torch.long)
    loader = DataLoader(
        TensorDataset(X_train_t, y_train_t), batch_size=settings["batch_size"], shuffle=True
    )
    net = net.to(device)
    loss_fn = nn.CrossEntropyLoss()
    make = torch.optim.Adam if settings["optimizer"] == "adam" else torch.optim.SGD
    optimizer = make(net.parameters(), lr=settings["lr"])
    epochs, batches = settings["epochs"], len(loader)
    started = time.monotonic()
    last = [0.0]

    def progress(epoch, batch, force=False):
        now = time.monotonic()
        if force or now - last[0] >= 0.1:
            last[0] = now
            cnntutor.result(
                "progress",
                {{"epoch": epoch, "epochs": epochs, "batch": batch, "batches": batches,
                 "elapsed_s": round(now - started, 3)}},
            )

    progress(1, 0, force=True)
    for epoch in range(1, epochs + 1):
        net.train()
        for batch, (xb, yb) in enumerate(loader, 1):
            xb, yb = xb.to(device), yb.to(device)
            optimizer.zero_grad()
            loss = loss_fn(net(xb), yb)
            loss.backward()
            optimizer.step()
            progress(epoch, batch)
        progress(epoch, batches, force=True)

    net.eval()
    with torch.no_grad():
        predicted = net(X_test_t.to(device)).argmax(dim=1).cpu()
    accuracy = float((predicted == y_test_t).float().mean())
    keep = predicted < 10
    pairs = y_test_t[keep] * 10 + predicted[keep]
    confusion = torch.bincount(pairs, minlength=100).reshape(10, 10).tolist()

    def pixels(index):
        return (X_test_t[index, 0] * 255).round().int().tolist()

    wrong = (predicted != y_test_t).nonzero().flatten()[:8].tolist()
    misclassified = [
        {{"image": pixels(i), "true": int(y_test_t[i]), "predicted": int(predicted[i])}}
        for i in wrong
    ]
    filters = maps = None
    conv = next((m for m in net.modules() if isinstance(m, nn.Conv2d)), None)
    if conv is not None:
        filters = conv.weight[:16, 0].detach().cpu().round(decimals=3).tolist()
        seen = []
        hook = conv.register_forward_hook(lambda module, args, out: seen.append(out))
        with torch.no_grad():
            net(X_test_t[:1].to(device))
        hook.remove()
        maps = seen[0][0, :16].detach().cpu().round(decimals=3).tolist()
    print(f"test accuracy: {{accuracy:.3f}} on {{len(y_test_t)}} test images")
    cnntutor.result(
        "evaluation",
        {{"accuracy": accuracy, "confusion": confusion, "misclassified": misclassified,
         "filters": filters, "feature_maps": maps, "digit": pixels(0),
         "digit_label": int(y_test_t[0])}},
    )


_cnntutor_train({settings!r})
"""

_MODEL_LINE = re.compile(r"^model\s*(:[^=]*)?=")


@dataclass(frozen=True)
class TrainSettings:
    """What Train model trains with: optimiser, learning rate, batch size, epochs, device."""

    optimizer: str = "sgd"
    lr: float = 0.1
    batch_size: int = 16  # the built-in digits give 90 steps an epoch: enough to learn
    epochs: int = 3
    device: str = "auto"
    seed: int = 0

    @property
    def label(self) -> str:
        return f"{self.optimizer} lr={self.lr:g}"


def train_source(code: str, settings: TrainSettings) -> str:
    """The learner's code with the training harness after it; their line numbers unchanged."""
    return code.rstrip("\n") + "\n" + HARNESS.format(marker=MARKER, settings=asdict(settings))


def model_line(code: str) -> int | None:
    """The 1-based line that assigns `model`, where a harness failure points the learner."""
    for number, line in enumerate(code.splitlines(), 1):
        if _MODEL_LINE.match(line):
            return number
    return None


PREPARE_DATA = (
    "import sys\nfrom tutor.data import prepared_csv\nfrom tutor.errors import UsageError\n"
    "try:\n    prepared_csv(sys.argv[1])\nexcept UsageError as exc:\n    sys.exit(str(exc))\n"
)


_PREPARED: set[str] = set()


async def prepare_data(spec: str) -> None:
    """Make the data set's CSV in a separate process, so the UI never loads numpy or pandas.

    UsageError with the one-line reason when the data cannot be read. Each spec is made
    once per session (the CSV is cached on disk besides).
    """
    if spec in _PREPARED:
        return
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", PREPARE_DATA, spec, stderr=asyncio.subprocess.PIPE
    )
    _, err = await proc.communicate()
    if proc.returncode:
        lines = err.decode(errors="replace").strip().splitlines()
        raise UsageError(lines[-1] if lines else f"the data {spec!r} could not be prepared")
    _PREPARED.add(spec)
