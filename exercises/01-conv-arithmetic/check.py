"""Checker for exercise 1: the output shape of four layers on a (3, 32, 32) input.

Numeric: the probe only reads four plain values, so no torch is imported anywhere.
"""

from __future__ import annotations

from typing import Any

from tutor.checks import Part
from tutor.checks.compare import fmt_shape
from tutor.checks.values import expect_shape
from tutor.shapes import conv_out, conv_out_rounded_up, pool_out

INPUT = (3, 32, 32)
# name, part id, (out_channels or None for a pool, kernel, padding, stride), how it reads
LAYERS: tuple[tuple[str, str, tuple[int | None, int, int, int], str], ...] = (
    ("a", "a-same-padding", (16, 3, 1, 1), "Conv2d(3, 16, kernel_size=3, padding=1, stride=1)"),
    ("b", "b-no-padding", (16, 5, 0, 1), "Conv2d(3, 16, kernel_size=5, padding=0, stride=1)"),
    ("c", "c-stride", (16, 3, 1, 2), "Conv2d(3, 16, kernel_size=3, padding=1, stride=2)"),
    ("d", "d-pooling", (None, 2, 0, 2), "MaxPool2d(2)"),
)


def expected(spec: tuple[int | None, int, int, int]) -> tuple[int, int, int]:
    channels, kernel, padding, stride = spec
    if channels is None:
        side = pool_out(INPUT[1], kernel, stride=stride)
        return (INPUT[0], side, side)
    side = conv_out(INPUT[1], kernel, stride=stride, padding=padding)
    return (channels, side, side)


def judge(facts: dict[str, Any]) -> list[Part]:
    parts = []
    for name, part_id, spec, layer in LAYERS:
        shape, problem = expect_shape(facts.get(name, {"kind": "missing"}), name)
        if shape is None:
            parts.append(Part(part_id, False, problem))
        else:
            parts.append(_judge_layer(name, part_id, spec, layer, shape))
    return parts


def _judge_layer(
    name: str,
    part_id: str,
    spec: tuple[int | None, int, int, int],
    layer: str,
    got: tuple[int, ...],
) -> Part:
    want = expected(spec)
    channels, kernel, padding, stride = spec
    h = INPUT[1]
    if got == want:
        if channels is None:
            why = "a 2x2 pool halves height and width and leaves the channels alone"
        else:
            why = (
                f"{channels} filters give {channels} channels, and "
                f"floor(({h} - {kernel} + 2*{padding}) / {stride}) + 1 = {want[1]}"
            )
        return Part(part_id, True, f"{name} = {fmt_shape(got)} is right for {layer}: {why}.")

    def fail(text: str) -> Part:
        return Part(
            part_id, False, f"{name} = {fmt_shape(got)} is not the output of {layer}: {text}"
        )

    formula = f"floor(({h} - {kernel} + 2*{padding}) / {stride}) + 1"
    if got == (want[1], want[2], want[0]) and want[0] != want[1]:
        return fail(
            "the channels are written last. PyTorch puts channels first: write "
            "(channels, height, width)."
        )
    if got[1:] == want[1:] and got[0] != want[0]:
        if channels is None:
            return fail(
                f"pooling does not change the number of channels. It works on each of the "
                f"{INPUT[0]} input channels separately, so the output still has {INPUT[0]}."
            )
        if got[0] == INPUT[0]:
            return fail(
                f"a conv layer outputs one channel per filter. This one has {channels} "
                f"filters (out_channels), whatever the {INPUT[0]} input channels."
            )
        return fail(f"the channel count is the number of filters, out_channels = {channels}.")
    if got[0] != want[0]:
        source = (
            "the pool keeps the input's channels"
            if channels is None
            else (f"out_channels is {channels}")
        )
        return fail(f"check the channels first ({source}), then height and width with {formula}.")
    side = got[1]
    if got[1] != got[2]:
        return fail("the input is square and the kernel is square, so height and width match.")
    if stride > 1 and side == conv_out(h, kernel, stride=1, padding=padding):
        what = "the pool's own stride of 2" if channels is None else "stride=2"
        return fail(
            f"you left out {what}. The window moves {stride} pixels at a time, so divide by "
            f"the stride: {formula}."
        )
    if padding > 0 and side == conv_out(h, kernel, stride=stride, padding=0):
        return fail(
            f"you left out padding={padding}. Padding adds {padding} pixel on every border, "
            f"so 2P = {2 * padding} goes into the formula: {formula}."
        )
    if (
        padding == 0
        and channels is not None
        and side == conv_out(h, kernel, stride=stride, padding=(kernel - 1) // 2)
    ):
        return fail(
            f"this layer has padding=0, so nothing is added at the borders and the "
            f"{kernel}x{kernel} window fits fewer times: {formula}."
        )
    if padding > 0 and side == conv_out(h, kernel, stride=stride, padding=0) + padding:
        return fail(f"padding goes on both sides, so it counts twice (2P): {formula}.")
    if side == conv_out(h, kernel, stride=stride, padding=padding) - 1:
        return fail(f"you left out the + 1 at the end of the formula: {formula}.")
    if side == conv_out_rounded_up(h, kernel, stride=stride, padding=padding):
        return fail(f"the division is rounded down, not up: {formula}.")
    if channels is None and side == h:
        return fail("a 2x2 pool with stride 2 halves the height and the width.")
    if channels is None:
        return fail("MaxPool2d(2) has a 2x2 window moving 2 pixels at a time: it halves 32.")
    return fail(f"put H={h}, K={kernel}, P={padding}, S={stride} into floor((H - K + 2P) / S) + 1.")
