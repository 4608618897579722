"""Shape arithmetic without torch, checked against torch on random layer stacks."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tutor.checks.compare import fmt_shape
from tutor.shapes import (
    Window,
    conv_out,
    conv_out_rounded_up,
    conv_params,
    formula,
    linear_params,
    parse_layer,
    parse_stack_line,
    pool_out,
    receptive_field,
    shape_text,
    trace_stack,
)

torch = pytest.importorskip("torch")
nn = torch.nn


@st.composite
def conv_lines(draw: st.DrawFn, channels: int) -> tuple[str, int]:
    """A Conv2d line whose in_channels is usually, not always, the channels that arrive."""
    stale = draw(st.booleans()) and draw(st.booleans()) and draw(st.booleans())
    in_c = draw(st.integers(1, 4)) if stale else channels
    out_c = draw(st.integers(1, 4))
    k, s, p = draw(st.integers(1, 5)), draw(st.integers(1, 3)), draw(st.integers(0, 2))
    return f"Conv2d({in_c}, {out_c}, {k}, stride={s}, padding={p})", out_c


@st.composite
def stacks(draw: st.DrawFn) -> tuple[tuple[int, int, int, int], list[str]]:
    """An input shape and a stack: convs and pools, maybe Flatten, maybe Linears."""
    shape = (
        draw(st.integers(1, 3)),
        draw(st.integers(1, 3)),
        draw(st.integers(1, 16)),
        draw(st.integers(1, 16)),
    )
    lines: list[str] = []
    channels = shape[1]
    for _ in range(draw(st.integers(0, 5))):
        kind = draw(st.sampled_from(["conv", "conv", "max", "avg", "relu"]))
        if kind == "conv":
            line, channels = draw(conv_lines(channels))
            lines.append(line)
        elif kind == "relu":
            lines.append("ReLU()")
        else:
            k = draw(st.integers(2, 3))
            name = "MaxPool2d" if kind == "max" else "AvgPool2d"
            lines.append(f"{name}({k})")
    if draw(st.booleans()):
        lines.append("Flatten()")
    for _ in range(draw(st.integers(0, 2))):
        right = draw(st.booleans()) or draw(st.booleans())
        in_f = 0 if right else draw(st.integers(1, 64))
        lines.append(f"Linear({in_f}, {draw(st.integers(1, 8))})" if in_f else "LINEAR")
    return shape, lines


def torch_layer(line: str, arriving: torch.Tensor) -> nn.Module:
    """The torch module of a line; `LINEAR` means a Linear with the right in_features."""
    if line == "LINEAR":
        return nn.Linear(arriving.shape[-1], 3)
    return eval(f"nn.{line}", {"nn": nn})


def torch_trace(shape: tuple[int, ...], lines: list[str]) -> list[tuple[tuple[int, ...], int]]:
    """(shape, parameters) after each layer for as long as torch accepts the stack."""
    x = torch.zeros(shape)
    done = []
    for line in lines:
        layer = torch_layer(line, x)
        try:
            x = layer(x)
        except RuntimeError:
            break
        done.append((tuple(x.shape), sum(p.numel() for p in layer.parameters())))
    return done


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stacks())
def test_the_calculator_agrees_with_torch(case: tuple[tuple[int, ...], list[str]]) -> None:
    """Same shapes and parameter counts, and the first layer torch rejects is marked.

    The calculator only sees (B, C, H, W) or, after Flatten, (B, F): a 3D input, which
    torch reads as one unbatched image, never arises here and the calculator rejects it.
    """
    shape, lines = case
    with torch.no_grad():
        expected = torch_trace(shape, lines)
    shown = ["linear 3" if line == "LINEAR" else line for line in lines]  # in_features inferred
    steps = trace_stack(shape, shown)
    assert len(steps) == len(lines)
    for step, want in zip(steps, expected, strict=False):
        assert step.problem is None, (lines, step)
        assert (step.shape, step.params) == want, (lines, step)
    if len(expected) < len(lines):
        rejected = steps[len(expected)]
        assert rejected.shape is None and rejected.problem, (lines, rejected)
        assert all(s.shape is None for s in steps[len(expected) :])


def test_receptive_field_of_the_exercise_7_stack_is_18() -> None:
    stack = ["conv 8 k3", "pool 2", "conv 8 k3", "pool 2", "conv 8 k3"]
    assert trace_stack((1, 1, 28, 28), stack)[-1].field == 18
    conv, pool = Window("conv", 3, 1), Window("maxpool", 2, 2)
    assert receptive_field([conv, pool, conv, pool, conv]) == 18


def test_receptive_field_of_two_stacked_3x3_convs_is_5() -> None:
    steps = trace_stack((1, 1, 28, 28), ["Conv2d(1, 4, 3)", "ReLU()", "Conv2d(4, 4, 3)"])
    assert [s.field for s in steps] == [3, 3, 5]


def test_a_wrong_in_features_names_the_factors() -> None:
    model = [
        "Conv2d(1, 16, 3, padding=1)", "ReLU()", "MaxPool2d(2)",
        "Conv2d(16, 32, 3, padding=1)", "ReLU()", "MaxPool2d(2)",
        "Flatten()", "Linear(3136, 10)",
    ]  # fmt: skip
    steps = trace_stack((8, 1, 28, 28), model)
    assert steps[6].shape == (8, 1568)
    assert steps[7].problem == "in_features is 3136, but Flatten gives 1568 = 32 × 7 × 7"
    assert sum(s.params for s in steps) == 160 + 4640


def test_a_kernel_larger_than_the_map_says_so() -> None:
    (step,) = trace_stack((1, 1, 3, 3), ["conv 4 k5"])
    assert step.problem == "kernel 5 is larger than the 3×3 map"


def test_short_lines_and_pytorch_calls_read_alike() -> None:
    assert parse_stack_line("conv 16 k3 p1").kernel == 3
    assert parse_stack_line("nn.Conv2d(1, 16, kernel_size=3, padding=1)").padding == 1
    assert parse_stack_line("pool 2").stride == 2
    assert parse_stack_line("MaxPool2d(kernel_size=3, stride=1)").stride == 1
    assert parse_stack_line("linear 10").out_features == 10
    steps = trace_stack((1, 1, 28, 28), ["convolve 3", "flatten"])
    assert "unknown layer 'convolve'" in (steps[0].problem or "")
    assert steps[1].shape is None


def test_the_older_names_still_work() -> None:
    assert formula(28, 3, stride=1, padding=1) == "⌊(28 − 3 + 2·1)/1⌋ + 1 = 28"
    window = parse_layer("Conv2d(1, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))")
    assert window == Window("conv", 3, 1, 1, 1, 16)


# --- the one home of the arithmetic: output sizes, parameter counts, shape text -------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    size=st.integers(1, 40),
    kernel=st.integers(1, 7),
    stride=st.integers(1, 4),
    padding=st.integers(0, 3),
)
def test_output_sides_agree_with_torch(size: int, kernel: int, stride: int, padding: int) -> None:
    if size + 2 * padding < kernel or 2 * padding > kernel:
        return  # torch refuses these layers; the trace reports them as problems
    x = torch.zeros(1, 1, size, size)
    conv = nn.Conv2d(1, 1, kernel, stride=stride, padding=padding)
    pool = nn.MaxPool2d(kernel, stride=stride, padding=padding)
    assert conv(x).shape[-1] == conv_out(size, kernel, stride=stride, padding=padding)
    assert pool(x).shape[-1] == pool_out(size, kernel, stride=stride, padding=padding)
    if size >= kernel:  # a pool's stride defaults to its window
        assert nn.MaxPool2d(kernel)(x).shape[-1] == pool_out(size, kernel)
    exact = (size - kernel + 2 * padding) % stride == 0
    rounded_up = conv_out_rounded_up(size, kernel, stride=stride, padding=padding)
    assert rounded_up == conv_out(size, kernel, stride=stride, padding=padding) + (not exact)


def test_stride_and_padding_must_be_named() -> None:
    """The arithmetic once took them in two orders; naming them makes a swap impossible."""
    with pytest.raises(TypeError):
        conv_out(32, 3, 2, 1)  # type: ignore[misc]
    assert conv_out(32, 3, stride=2, padding=1) == 16


@pytest.mark.parametrize(("bias"), [True, False])
def test_parameter_counts_agree_with_torch(bias: bool) -> None:
    def count(module: Any) -> int:
        return sum(p.numel() for p in module.parameters())

    assert conv_params(3, 16, 5, bias=bias) == count(nn.Conv2d(3, 16, 5, bias=bias))
    assert linear_params(784, 100, bias=bias) == count(nn.Linear(784, 100, bias=bias))
    assert Window("conv", 5, 1, in_channels=3, out_channels=16, bias=bias).params == (
        conv_params(3, 16, 5, bias=bias)
    )


def test_shape_text_prints_shapes_as_python_prints_tuples() -> None:
    assert shape_text((16, 32, 32)) == str((16, 32, 32))
    assert shape_text([10]) == str((10,))
    assert shape_text(None) == "-" and shape_text(None, none="?") == "?"
    assert fmt_shape((4, 10)) == "(4, 10)" and fmt_shape(None) == "?"
