"""The in-job tracer: first-pass shapes, failing calls, losses, epochs, report(), uninstall."""

from __future__ import annotations

import sys
import textwrap
import time
from collections.abc import Iterator
from typing import Any

import pytest
import torch
from torch.nn.modules.loss import _Loss
from torch.utils.data.dataloader import DataLoader, _BaseDataLoaderIter

from tutor.events import to_json
from tutor.sandbox import report as report_module
from tutor.sandbox import trace
from tutor.sandbox.trace import Tracer

FILENAME = "/job/answer.py"

SEQUENTIAL_CNN = """
import torch
import torch.nn as nn

model = nn.Sequential(
    nn.Conv2d(1, 16, 3, padding=1),
    nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Flatten(),
    nn.Linear(3136, 10),
)
out = model(torch.rand(8, 1, 28, 28))
"""

SIMPLE_CNN = """
import torch
import torch.nn as nn

class SimpleCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.relu = nn.ReLU()
        self.fc = nn.Linear(32 * 7 * 7, 10)

    def forward(self, x):
        x = self.pool(self.relu(self.conv1(x)))
        x = self.pool(self.relu(self.conv2(x)))
        return self.fc(torch.flatten(x, start_dim=1))

model = SimpleCNN()
"""

TRAINING = """
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
train = DataLoader(TensorDataset(torch.rand(40, 1, 8, 8), torch.randint(0, 3, (40,))),
                   batch_size=8, shuffle=True)
test = DataLoader(TensorDataset(torch.rand(16, 1, 8, 8), torch.randint(0, 3, (16,))),
                  batch_size=8)
model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(),
                      nn.Linear(256, 3))
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
seen = []
for epoch in range(3):
    for x, y in train:
        loss = criterion(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        seen.append(loss.item())
    with torch.no_grad():
        for x, y in test:
            criterion(model(x), y)
"""


def run(source: str, tracer: Tracer) -> dict[str, Any]:
    """Execute a learner snippet as the job does; its namespace comes back."""
    namespace: dict[str, Any] = {"__name__": "__main__"}
    exec(compile(textwrap.dedent(source), FILENAME, "exec"), namespace)
    tracer.flush()
    return namespace


@pytest.fixture
def events() -> list[dict[str, Any]]:
    return []


@pytest.fixture
def tracer(events: list[dict[str, Any]]) -> Iterator[Tracer]:
    tracer = Tracer(lambda event: events.append(to_json(event)), max_rate=0)
    tracer.install()
    try:
        yield tracer
    finally:
        tracer.uninstall()


def of_type(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == kind]


def test_sequential_cnn_rows_follow_the_syllabus(tracer: Tracer, events: list) -> None:
    run(SEQUENTIAL_CNN, tracer)
    rows = of_type(events, "shape")
    assert [(r["module"], r["depth"], r["in"], r["out"], r["params"]) for r in rows] == [
        ("Sequential", 0, [[8, 1, 28, 28]], [8, 10], 31530),
        ("Sequential.0", 1, [[8, 1, 28, 28]], [8, 16, 28, 28], 160),
        ("Sequential.1", 1, [[8, 16, 28, 28]], [8, 16, 28, 28], 0),
        ("Sequential.2", 1, [[8, 16, 28, 28]], [8, 16, 14, 14], 0),
        ("Sequential.3", 1, [[8, 16, 14, 14]], [8, 3136], 0),
        ("Sequential.4", 1, [[8, 3136]], [8, 10], 31370),
    ]
    assert rows[0]["layer"] == "Sequential"
    assert rows[1]["layer"] == "Conv2d(1, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))"
    assert rows[5]["layer"] == "Linear(in_features=3136, out_features=10, bias=True)"
    assert {r["root"] for r in rows} == {"Sequential"}
    assert all("failed" not in r for r in rows)


def test_a_reused_relu_and_pool_appear_once_per_use(tracer: Tracer, events: list) -> None:
    run(SIMPLE_CNN + "model(torch.rand(8, 1, 28, 28))\n", tracer)
    rows = of_type(events, "shape")
    assert [r["module"] for r in rows] == [
        "SimpleCNN",
        "SimpleCNN.conv1",
        "SimpleCNN.relu",
        "SimpleCNN.pool",
        "SimpleCNN.conv2",
        "SimpleCNN.relu",
        "SimpleCNN.pool",
        "SimpleCNN.fc",
    ]
    pools = [r["out"] for r in rows if r["module"] == "SimpleCNN.pool"]
    assert pools == [[8, 16, 14, 14], [8, 32, 7, 7]]
    assert rows[0]["params"] == 20490 and rows[0]["out"] == [8, 10]


def test_later_passes_are_not_traced_again(tracer: Tracer, events: list) -> None:
    source = SEQUENTIAL_CNN + "for _ in range(3):\n    model(torch.rand(4, 1, 28, 28))\n"
    namespace = run(source, tracer)
    assert len(events) == 6
    namespace["model"](torch.rand(2, 1, 28, 28))
    assert len(events) == 6


def test_two_models_are_each_traced_once(tracer: Tracer, events: list) -> None:
    source = SIMPLE_CNN + textwrap.dedent(
        """
        plain = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU())
        with_bn = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU())
        for _ in range(2):
            plain(torch.rand(2, 1, 6, 6))
            with_bn(torch.rand(2, 1, 6, 6))
            model(torch.rand(2, 1, 28, 28))
        again = SimpleCNN()
        again(torch.rand(2, 1, 28, 28))
        """
    )
    run(source, tracer)
    roots = [r["root"] for r in of_type(events, "shape") if r["depth"] == 0]
    assert roots == ["Sequential", "Sequential#2", "SimpleCNN", "SimpleCNN#2"]
    bn_rows = [r for r in of_type(events, "shape") if r["root"] == "Sequential#2"]
    assert [r["module"] for r in bn_rows] == [
        "Sequential",
        "Sequential.0",
        "Sequential.1",
        "Sequential.2",
    ]
    assert bn_rows[2]["layer"].startswith("BatchNorm2d(4")


def test_a_failing_later_pass_sends_the_failing_call(tracer: Tracer, events: list) -> None:
    source = SEQUENTIAL_CNN + "model(torch.rand(8, 1, 14, 14))\n"
    with pytest.raises(RuntimeError) as caught:
        run(source, tracer)
    failed = [r for r in of_type(events, "shape") if r.get("failed")]
    assert failed == [
        {
            "type": "shape",
            "module": "Sequential.4",
            "layer": "Linear(in_features=3136, out_features=10, bias=True)",
            "depth": 1,
            "in": [[8, 784]],
            "out": None,
            "params": 31370,
            "root": "Sequential",
            "failed": True,
        }
    ]
    failure = tracer.failure_for(caught.value)
    assert failure is not None and failure.name == "Sequential.4"
    assert failure.inputs == [[8, 784]] and failure.input_dtypes == ["float32"]


def test_a_failing_first_pass_sends_the_rows_so_far(tracer: Tracer, events: list) -> None:
    source = SIMPLE_CNN.replace("32 * 7 * 7", "3136") + "model(torch.rand(4, 1, 28, 28))\n"
    with pytest.raises(RuntimeError):
        run(source, tracer)
    rows = of_type(events, "shape")
    assert [(r["module"], r["out"], r.get("failed", False)) for r in rows] == [
        ("SimpleCNN", None, False),
        ("SimpleCNN.conv1", [4, 16, 28, 28], False),
        ("SimpleCNN.relu", [4, 16, 28, 28], False),
        ("SimpleCNN.pool", [4, 16, 14, 14], False),
        ("SimpleCNN.conv2", [4, 32, 14, 14], False),
        ("SimpleCNN.relu", [4, 32, 14, 14], False),
        ("SimpleCNN.pool", [4, 32, 7, 7], False),
        ("SimpleCNN.fc", None, True),
    ]
    assert rows[-1]["in"] == [[4, 1568]]


def test_an_exception_caught_inside_forward_leaves_the_pass_traced(
    tracer: Tracer, events: list
) -> None:
    source = """
    import torch
    import torch.nn as nn

    class Careful(nn.Module):
        def __init__(self):
            super().__init__()
            self.wide = nn.Linear(5, 2)
            self.narrow = nn.Linear(4, 2)

        def forward(self, x):
            try:
                return self.wide(x)
            except RuntimeError:
                return self.narrow(x)

    Careful()(torch.rand(3, 4))
    """
    run(source, tracer)
    rows = of_type(events, "shape")
    assert [r["module"] for r in rows if r["depth"] == 0] == ["Careful"]
    assert rows[0]["out"] == [3, 2]


def test_losses_count_steps_and_epochs_and_epoch_means_are_exact(
    tracer: Tracer, events: list
) -> None:
    namespace = run(TRAINING, tracer)
    seen = namespace["seen"]
    losses = of_type(events, "loss")
    assert [e["step"] for e in losses] == list(range(1, 16))
    assert [e["epoch"] for e in losses] == [1] * 5 + [2] * 5 + [3] * 5
    assert [e["value"] for e in losses] == pytest.approx(seen, rel=1e-6)
    assert {e["root"] for e in losses} == {"Sequential"}
    epochs = of_type(events, "epoch")
    assert [(e["epoch"], e["steps"]) for e in epochs] == [(1, 5), (2, 5), (3, 5)]
    for e in epochs:
        part = seen[(e["epoch"] - 1) * 5 : e["epoch"] * 5]
        assert e["mean_loss"] == pytest.approx(sum(part) / 5, rel=1e-12)
    first_epoch_end = events.index(epochs[0])
    assert events[first_epoch_end - 1]["step"] == 5


def test_without_a_dataloader_epochs_are_null(tracer: Tracer, events: list) -> None:
    source = """
    import torch
    import torch.nn as nn
    w = torch.zeros(3, requires_grad=True)
    for _ in range(4):
        nn.MSELoss()(w * 2, torch.ones(3))
    """
    run(source, tracer)
    assert [(e["step"], e["epoch"]) for e in of_type(events, "loss")] == [
        (1, None),
        (2, None),
        (3, None),
        (4, None),
    ]
    assert of_type(events, "epoch") == []
    assert "root" not in of_type(events, "loss")[0]


def test_each_model_gets_its_own_loss_series(tracer: Tracer, events: list) -> None:
    source = """
    import torch
    import torch.nn as nn
    from torch.utils.data import DataLoader, TensorDataset

    loader = DataLoader(TensorDataset(torch.rand(8, 4), torch.randint(0, 2, (8,))), batch_size=4)
    criterion = nn.CrossEntropyLoss()

    class Plain(nn.Sequential):
        pass

    class WithNorm(nn.Sequential):
        pass

    for model in (Plain(nn.Linear(4, 2)), WithNorm(nn.BatchNorm1d(4), nn.Linear(4, 2))):
        for epoch in range(2):
            for x, y in loader:
                criterion(model(x), y).backward()
    """
    run(source, tracer)
    losses = of_type(events, "loss")
    assert [(e["root"], e["step"], e["epoch"]) for e in losses] == [
        ("Plain", 1, 1),
        ("Plain", 2, 1),
        ("Plain", 3, 2),
        ("Plain", 4, 2),
        ("WithNorm", 1, 1),
        ("WithNorm", 2, 1),
        ("WithNorm", 3, 2),
        ("WithNorm", 4, 2),
    ]
    epochs = of_type(events, "epoch")
    assert sorted((e["root"], e["epoch"], e["steps"]) for e in epochs) == [
        ("Plain", 1, 2),
        ("Plain", 2, 2),
        ("WithNorm", 1, 2),
        ("WithNorm", 2, 2),
    ]


def test_throttling_caps_the_event_rate(events: list) -> None:
    tracer = Tracer(lambda event: events.append(to_json(event)))
    tracer.install()
    try:
        source = """
        import torch
        import torch.nn as nn
        from torch.utils.data import DataLoader, TensorDataset
        loader = DataLoader(TensorDataset(torch.rand(3000, 2)), batch_size=1)
        w = torch.ones(2, requires_grad=True)
        criterion = nn.MSELoss()
        values = []
        for (x,) in loader:
            loss = criterion(w * x[0], torch.zeros(2))
            values.append(loss.item())
        """
        started = time.monotonic()
        namespace: dict[str, Any] = {}
        exec(compile(textwrap.dedent(source), FILENAME, "exec"), namespace)
        elapsed = time.monotonic() - started
        sent_before_flush = len(of_type(events, "loss"))
        tracer.flush()
    finally:
        tracer.uninstall()
    losses = of_type(events, "loss")
    assert sent_before_flush <= 50 * elapsed + 1
    assert sent_before_flush < 3000
    assert losses[0]["step"] == 1 and losses[-1]["step"] == 3000
    assert losses[-1]["value"] == pytest.approx(namespace["values"][-1])
    (epoch,) = of_type(events, "epoch")
    assert epoch["steps"] == 3000
    assert epoch["mean_loss"] == pytest.approx(sum(namespace["values"]) / 3000, rel=1e-12)


def test_report_sends_values_through_the_active_tracer(tracer: Tracer, events: list) -> None:
    sys.modules["cnntutor"] = report_module
    try:
        source = """
        import torch
        import torch.nn as nn
        import cnntutor

        w = torch.zeros(1, requires_grad=True)
        nn.MSELoss()(w, torch.ones(1))          # captured on its own: step 1
        cnntutor.report(torch.tensor(0.5))      # from here on the script reports "loss"
        nn.MSELoss()(w, torch.ones(1))          # no longer captured
        cnntutor.report(0.25, step=10)
        cnntutor.report(0.9, name="accuracy", epoch=1)
        """
        run(source, tracer)
    finally:
        del sys.modules["cnntutor"]
    losses = of_type(events, "loss")
    assert [(e.get("name", "loss"), e["value"], e["step"], e["epoch"]) for e in losses] == [
        ("loss", 1.0, 1, None),
        ("loss", 0.5, 2, None),
        ("loss", 0.25, 10, None),
        ("accuracy", 0.9, 1, 1),
    ]
    with pytest.raises(ValueError, match="one number"):
        report_module.report(torch.zeros(3))


def test_report_does_nothing_outside_the_tutor() -> None:
    assert trace.active() is None
    report_module.report(1.0)
    report_module.report(torch.tensor(2.0), name="accuracy")


def test_uninstall_restores_everything(events: list) -> None:
    saved = (
        torch.nn.Module.__call__,
        DataLoader.__dict__["__iter__"],
        _BaseDataLoaderIter.__dict__["__next__"],
    )
    assert "__call__" not in _Loss.__dict__
    tracer = Tracer(lambda event: events.append(to_json(event)))
    tracer.install()
    assert torch.nn.Module.__call__ is not saved[0]
    assert trace.active() is tracer
    tracer.uninstall()
    assert (
        torch.nn.Module.__call__,
        DataLoader.__dict__["__iter__"],
        _BaseDataLoaderIter.__dict__["__next__"],
    ) == saved
    assert "__call__" not in _Loss.__dict__
    assert trace.active() is None
    model = torch.nn.Sequential(torch.nn.Linear(2, 1))
    torch.nn.MSELoss()(model(torch.rand(3, 2)), torch.rand(3, 1))
    tracer.flush()
    assert events == []


def test_functional_and_module_losses_count_once_each(tracer: Tracer, events: list) -> None:
    run(
        """
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        from torch.nn.functional import cross_entropy
        model = nn.Linear(4, 3)
        x, y = torch.rand(8, 4), torch.randint(0, 3, (8,))
        a = nn.CrossEntropyLoss()(model(x), y)       # calls F.cross_entropy inside: once
        b = F.nll_loss(F.log_softmax(model(x), 1), y)
        c = cross_entropy(model(x), y)                 # imported by name after install
        with torch.no_grad():
            F.cross_entropy(model(x), y)               # evaluation: not a training step
        """,
        tracer,
    )
    assert [e["step"] for e in of_type(events, "loss")] == [1, 2, 3]
    assert not of_type(events, "note")  # nothing thinned at max_rate=0


def test_conv_and_pool_rows_carry_formula_and_receptive_field(tracer: Tracer, events: list) -> None:
    run(SEQUENTIAL_CNN, tracer)
    rows = {e["module"]: e for e in of_type(events, "shape")}
    assert rows["Sequential.0"]["formula"] == "⌊(28 − 3 + 2·1)/1⌋ + 1 = 28"
    assert rows["Sequential.0"]["rf"] == 3
    assert rows["Sequential.2"]["formula"] == "⌊(28 − 2 + 2·0)/2⌋ + 1 = 14"
    assert rows["Sequential.2"]["rf"] == 4
    assert "rf" not in rows["Sequential.4"] and "formula" not in rows["Sequential.1"]


def test_a_reused_pool_extends_the_field_at_each_use(tracer: Tracer, events: list) -> None:
    namespace = run(SIMPLE_CNN, tracer)
    namespace["model"](torch.rand(2, 1, 28, 28))
    fields = [(e["module"], e["rf"]) for e in of_type(events, "shape") if "rf" in e]
    assert fields == [
        ("SimpleCNN.conv1", 3),
        ("SimpleCNN.pool", 4),
        ("SimpleCNN.conv2", 8),
        ("SimpleCNN.pool", 10),
    ]


def test_thinning_is_noted_at_flush(events: list) -> None:
    tracer = Tracer(lambda event: events.append(to_json(event)), max_rate=1)
    tracer.install()
    try:
        run(
            """
            import torch
            w = torch.ones(2, requires_grad=True)
            for _ in range(20):
                torch.nn.functional.mse_loss(w, torch.zeros(2))
            """,
            tracer,
        )
    finally:
        tracer.uninstall()
    sent = len(of_type(events, "loss"))
    (note,) = of_type(events, "note")
    assert sent < 20 and f"charted at {sent} of its 20 steps" in note["text"]


ACCUMULATION = """
import torch
import torch.nn as nn
model = nn.Linear(4, 2)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for i in range(8):
    loss = model(torch.rand(3, 4)).pow(2).mean()
    loss.backward()
    if i % 2 == 1:           # gradient accumulation on purpose: a step every 2 batches
        optimizer.step()
        optimizer.zero_grad()
"""


def test_gradient_accumulation_on_purpose_is_not_flagged(tracer: Tracer, events: list) -> None:
    run(ACCUMULATION, tracer)
    assert not of_type(events, "warning")


def test_a_missing_zero_grad_is_flagged_at_the_step_line(tracer: Tracer, events: list) -> None:
    run(ACCUMULATION.replace("        optimizer.zero_grad()\n", ""), tracer)
    (warning,) = of_type(events, "warning")
    assert warning["kind"] == "zero-grad" and warning["line"] == 10  # optimizer.step()


def test_a_shape_check_before_training_is_not_an_evaluation(tracer: Tracer, events: list) -> None:
    run(
        """
        import torch
        import torch.nn as nn
        model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5), nn.Linear(4, 2))
        with torch.no_grad():
            print(model(torch.rand(1, 4)).shape)    # before any step: not flagged
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        optimizer.zero_grad()
        model(torch.rand(3, 4)).sum().backward()
        optimizer.step()
        with torch.no_grad():
            model(torch.rand(3, 4))                 # after training, in train mode: flagged
        """,
        tracer,
    )
    (warning,) = of_type(events, "warning")
    assert warning["kind"] == "eval-mode" and warning["line"] == 12
    assert "Dropout" in warning["message"] and "model.eval()" in warning["message"]


def test_layer_names_are_cut_after_padding_and_stride() -> None:
    from tutor.shapes import short_layer

    conv = "Conv2d(3, 64, kernel_size=(7, 7), stride=(2, 2), padding=(3, 3), bias=False)"
    assert short_layer(conv) == "Conv2d(3, 64, k=7, s=2, p=3)"
    pool = "MaxPool2d(kernel_size=3, stride=2, padding=1, dilation=1, ceil_mode=False)"
    assert short_layer(pool) == "MaxPool2d(k=3, s=2, p=1)"
    norm = "BatchNorm2d(64, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)"
    assert short_layer(norm) == "BatchNorm2d(64, eps=1e-05, momentum=0.1…"  # cut, and said


def test_priming_a_spare_changes_no_method() -> None:
    """prime() sets each method install() replaces to itself, in a spare job before its
    spec comes: every class keeps the very same functions."""
    from tutor.sandbox import trace

    before = [(owner, name, owner.__dict__.get(name)) for owner, name in trace._PATCHED]
    assert sum(method is not None for _, _, method in before) >= 4
    trace.prime()
    # The very same function where the class has its own; still none where it inherits.
    assert all(o.__dict__.get(n) is m for o, n, m in before)
