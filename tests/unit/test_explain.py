"""explain(): real failing learner snippets, run with the tracer installed, in plain words."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from typing import Any

import pytest

from tutor.sandbox.explain import explain
from tutor.sandbox.trace import Tracer

FILENAME = "/job/answer.py"

HEADER = "import torch\nimport torch.nn as nn\n"


@pytest.fixture
def tracer() -> Iterator[Tracer]:
    tracer = Tracer(lambda event: None)
    tracer.install()
    try:
        yield tracer
    finally:
        tracer.uninstall()


def fail(source: str, tracer: Tracer | None) -> dict[str, Any]:
    """Run a snippet that must raise, as the job does, and explain its exception."""
    source = textwrap.dedent(source)
    try:
        exec(compile(source, FILENAME, "exec"), {"__name__": "__main__"})
    except BaseException as exc:  # noqa: BLE001 - the learner's error is the subject
        return explain(exc, tracer=tracer, source=source, filename=FILENAME)
    raise AssertionError("the snippet did not fail")


def test_linear_in_features_disagree_with_the_flatten(tracer: Tracer) -> None:
    error = fail(
        HEADER
        + """
model = nn.Sequential(
    nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
    nn.Flatten(),
    nn.Linear(3136, 10),
)
out = model(torch.rand(64, 1, 28, 28))
""",
        tracer,
    )
    assert error["kind"] == "shape"
    assert error["message"] == (
        "RuntimeError: mat1 and mat2 shapes cannot be multiplied (64x1568 and 3136x10)"
    )
    assert error["line"] == 10 and error["layer"] == "Sequential.7"
    text = error["explanation"]
    assert "Sequential.7 (Linear(in_features=3136, out_features=10, bias=True))" in text
    assert "receives 1568" in text and "1568 = 32 × 7 × 7" in text
    assert "nn.Linear(1568, 10)" in text


def test_linear_after_functional_flatten_in_a_module_class(tracer: Tracer) -> None:
    error = fail(
        HEADER
        + """
class SimpleCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(3136, 10)

    def forward(self, x):
        x = self.pool(torch.relu(self.conv1(x)))
        x = self.pool(torch.relu(self.conv2(x)))
        return self.fc(torch.flatten(x, start_dim=1))

SimpleCNN()(torch.rand(8, 1, 28, 28))
""",
        tracer,
    )
    assert error["kind"] == "shape" and error["layer"] == "SimpleCNN.fc"
    assert error["line"] == 15  # the line in forward that called the Linear
    assert "1568 = 32 × 7 × 7" in error["explanation"]
    assert "nn.Linear(1568, 10)" in error["explanation"]


def test_linear_on_unflattened_images(tracer: Tracer) -> None:
    error = fail(HEADER + "nn.Sequential(nn.Linear(784, 10))(torch.rand(8, 1, 28, 28))\n", tracer)
    assert error["kind"] == "shape"
    assert "(8, 1, 28, 28)" in error["explanation"]
    assert "torch.flatten(x, start_dim=1)" in error["explanation"]
    assert "(8, 784)" in error["explanation"]


def test_missing_channel_axis_reads_as_one_unbatched_image(tracer: Tracer) -> None:
    error = fail(
        HEADER
        + """
model = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU())
x = torch.rand(64, 28, 28)
model(x)
""",
        tracer,
    )
    assert error["kind"] == "shape" and error["line"] == 6
    assert "to have 1 channels, but got 64 channels instead" in error["message"]
    text = error["explanation"]
    assert "Sequential.0 (Conv2d(1, 16" in text
    assert "ONE unbatched image with 64 channels" in text
    assert "x.unsqueeze(1)" in text and "(64, 1, 28, 28)" in text


def test_channels_last_images(tracer: Tracer) -> None:
    error = fail(
        HEADER
        + """
model = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU())
model(torch.rand(8, 32, 32, 3))
""",
        tracer,
    )
    assert error["kind"] == "shape"
    assert "to have 3 channels, but got 32 channels instead" in error["message"]
    text = error["explanation"]
    assert "channels are last" in text and "(8, 32, 32, 3)" in text
    assert "x.permute(0, 3, 1, 2)" in text and "np.transpose(X, (0, 3, 1, 2))" in text
    assert "(8, 3, 32, 32)" in text


def test_stale_in_channels_after_a_pool(tracer: Tracer) -> None:
    error = fail(
        HEADER
        + """
model = nn.Sequential(
    nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(32, 64, 3, padding=1),
)
model(torch.rand(8, 1, 28, 28))
""",
        tracer,
    )
    assert error["kind"] == "shape" and error["layer"] == "Sequential.3"
    text = error["explanation"]
    assert "Sequential.3 (Conv2d(32, 64" in text and "expects 32 input channels" in text
    assert "Sequential.0 (Conv2d(1, 16" in text and "produces 16 channels" in text
    assert "in_channels=16" in text and "nn.Conv2d(16, 64, kernel_size=3, padding=1)" in text


def test_stale_in_channels_copied_from_the_first_conv(tracer: Tracer) -> None:
    error = fail(
        HEADER
        + """
class Stacked(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(1, 32, 3, padding=1)

    def forward(self, x):
        return self.conv2(torch.relu(self.conv1(x)))

Stacked()(torch.rand(8, 1, 28, 28))
""",
        tracer,
    )
    text = error["explanation"]
    assert error["layer"] == "Stacked.conv2"
    assert "expects 1 input channel," in text
    assert "Stacked.conv1 (Conv2d(1, 16" in text and "in_channels=16" in text


def test_float_labels_to_cross_entropy(tracer: Tracer) -> None:
    error = fail(
        HEADER
        + """
criterion = nn.CrossEntropyLoss()
logits = torch.randn(8, 10, requires_grad=True)
labels = torch.tensor([1, 0, 3, 9, 2, 2, 7, 5], dtype=torch.float32)
loss = criterion(logits, labels)
""",
        tracer,
    )
    # torch 2.13's own words for float32 labels of shape (B,)
    assert (
        error["message"] == "RuntimeError: expected target dtype to be Long or Byte, but got Float"
    )
    assert error["kind"] == "exception" and error["line"] == 7
    assert error["layer"] == "CrossEntropyLoss"
    text = error["explanation"]
    assert "float32" in text and "(8,)" in text
    assert "integer class indices" in text and ".long()" in text and "torch.long" in text


def test_model_and_batch_on_different_devices_with_meta_standing_in_for_a_gpu(
    tracer: Tracer,
) -> None:
    error = fail(
        HEADER
        + """
model = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                      nn.Flatten(), nn.Linear(3136, 10))
model.to("meta")
model(torch.rand(8, 1, 28, 28))
""",
        tracer,
    )
    assert error["kind"] == "exception" and error["layer"] == "Sequential.4"
    assert "is not on the expected device" in error["message"]
    text = error["explanation"]
    assert "weights on meta" in text and "batch on cpu" in text
    assert "model.to(device)" in text and "x.to(device)" in text


def test_device_message_from_a_gpu_without_a_traced_call() -> None:
    exc = RuntimeError(
        "Input type (torch.cuda.FloatTensor) and weight type (torch.FloatTensor) should be "
        "the same or input should be a MKLDNN tensor and weight is a dense tensor"
    )
    error = explain(exc, tracer=None, source="", filename=FILENAME)
    assert error["kind"] == "exception" and "model.to(device)" in error["explanation"]


def test_module_init_without_super(tracer: Tracer) -> None:
    error = fail(
        """
import torch.nn as nn

class SimpleCNN(nn.Module):
    def __init__(self):
        self.conv1 = nn.Conv2d(1, 16, 3)

model = SimpleCNN()
""",
        tracer,
    )
    assert error["message"] == "AttributeError: cannot assign module before Module.__init__() call"
    assert error["kind"] == "exception" and error["line"] == 6
    text = error["explanation"]
    assert "SimpleCNN.__init__" in text and "self.conv1 = nn.Conv2d(1, 16, 3)" in text
    assert "super().__init__()" in text and "first line" in text


def test_syntax_error_shows_line_column_and_caret(tracer: Tracer) -> None:
    error = fail(
        """
import torch.nn as nn

class SimpleCNN(nn.Module)
    pass
""",
        tracer,
    )
    assert error["kind"] == "exception" and error["line"] == 4 and error["layer"] is None
    assert error["message"].startswith("SyntaxError: expected ':'")
    text = error["explanation"]
    assert "line 4, column 27" in text and "must end with a colon" in text
    lines = text.splitlines()
    code = lines.index("    class SimpleCNN(nn.Module)")
    assert lines[code + 1] == "    " + " " * 26 + "^"


def test_conv_kernel_bigger_than_the_maps(tracer: Tracer) -> None:
    error = fail(
        HEADER
        + """
model = nn.Sequential(
    nn.Conv2d(1, 8, 3), nn.MaxPool2d(2),
    nn.Conv2d(8, 8, 3), nn.MaxPool2d(2),
    nn.Conv2d(8, 8, 5),
)
model(torch.rand(4, 1, 20, 20))
""",
        tracer,
    )
    assert error["kind"] == "shape" and error["layer"] == "Sequential.4"
    assert "Kernel size can't be greater than actual input size" in error["message"]
    text = error["explanation"]
    assert "only 3×3" in text and "5×5 kernel" in text
    assert "20 → 18 → 9 → 7 → 3" in text and "padding=2" in text


def test_too_many_pools(tracer: Tracer) -> None:
    error = fail(
        HEADER + "nn.Sequential(*[nn.MaxPool2d(2) for _ in range(6)])(torch.rand(2, 1, 28, 28))\n",
        tracer,
    )
    assert error["kind"] == "shape" and error["layer"] == "Sequential.4"
    assert "28 → 14 → 7 → 3 → 1" in error["explanation"]
    assert "too many pools" in error["explanation"]


def test_batchnorm_features_disagree(tracer: Tracer) -> None:
    error = fail(
        HEADER + "nn.Sequential(nn.Conv2d(1, 16, 3), nn.BatchNorm2d(32))(torch.rand(4, 1, 8, 8))\n",
        tracer,
    )
    assert error["kind"] == "shape" and error["layer"] == "Sequential.1"
    assert "nn.BatchNorm2d(16)" in error["explanation"]
    assert "Sequential.0 (Conv2d(1, 16" in error["explanation"]


def test_flat_rows_given_to_a_conv(tracer: Tracer) -> None:
    error = fail(HEADER + "nn.Conv2d(1, 16, 3)(torch.rand(8, 784))\n", tracer)
    assert error["kind"] == "shape"
    assert "x.view(-1, 1, 28, 28)" in error["explanation"]


def test_out_of_memory_in_the_cpu_allocator(tracer: Tracer) -> None:
    error = fail(HEADER + "huge = torch.empty(10**15)\n", tracer)
    assert error["kind"] == "memory" and error["line"] == 3
    assert "can't allocate memory" in error["message"]
    assert "4000000.0 GB" in error["explanation"] and "batch_size" in error["explanation"]


def test_python_memory_error(tracer: Tracer) -> None:
    error = fail("buffer = bytearray(2**62)\n", tracer)
    assert error["kind"] == "memory" and error["message"] == "MemoryError"
    assert error["line"] == 1


def test_generic_fallback_names_type_message_and_line(tracer: Tracer) -> None:
    error = fail(HEADER + "x = torch.zeros(3)\ny = x.sum(dim=5)\n", tracer)
    assert error["kind"] == "exception" and error["line"] == 4 and error["layer"] is None
    assert error["message"].startswith("IndexError: Dimension out of range")
    text = error["explanation"]
    assert "IndexError" in text and "line 4" in text and "x.sum(dim=5)" in text


def test_generic_fallback_inside_a_layer_names_it(tracer: Tracer) -> None:
    error = fail(
        HEADER
        + """
class Broken(nn.Module):
    def forward(self, x):
        return x.sum(dim=5)

Broken()(torch.rand(2, 3))
""",
        tracer,
    )
    assert error["kind"] == "exception" and error["layer"] == "Broken"
    assert error["line"] == 6  # inside forward
    assert "inside Broken() with input (2, 3)" in error["explanation"]


def test_missing_import(tracer: Tracer) -> None:
    error = fail("model = nn.Sequential()\n", tracer)
    assert "import torch.nn as nn" in error["explanation"] and error["line"] == 1


def _broken(context: Any) -> Any:
    raise KeyError("no such shape")


def test_a_recogniser_that_raises_fails_loudly_under_tests(
    tracer: Tracer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tutor.sandbox import explain as module

    monkeypatch.setattr(module, "RECOGNISERS", [_broken, *module.RECOGNISERS])
    with pytest.raises(KeyError, match="no such shape"):
        fail(HEADER + "x = torch.zeros(3)\ny = x.sum(dim=5)\n", tracer)


def test_elsewhere_a_raising_recogniser_falls_back_and_is_reported(
    tracer: Tracer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tutor.sandbox import explain as module

    monkeypatch.setattr(module, "RECOGNISERS", [_broken, *module.RECOGNISERS])
    monkeypatch.setattr(module, "strict", lambda: False)
    error = fail(HEADER + "nn.Linear(4, 2)(torch.zeros(3, 5))\n", tracer)
    assert error["recogniser_error"] == "_broken: KeyError: 'no such shape'"
    assert "nn.Linear(5, 2)" in error["explanation"]  # the next recogniser still explains it
    assert "explanation rules failed here: _broken: KeyError" in error["explanation"]


def test_the_recognisers_are_one_ordered_table() -> None:
    from tutor.sandbox import explain as module

    names = [r.__name__ for r in module.RECOGNISERS]
    assert names[:2] == ["workers", "memory"]  # OS errors of worker processes first
    assert names.index("target_dtype") < names.index("target_shape")
    assert names.index("devices") < names.index("dtypes")
    assert all(name in module.__doc__ for name in names)  # each is documented in order
