"""Checker for exercise 7: the receptive field of conv-pool-conv-pool-conv.

Numeric: the probe only reads plain values, so no torch is imported anywhere. The
answer is computed here with the field-and-jump rule: r += (k - 1) * j, then j *= s.
"""

from __future__ import annotations

from typing import Any

from tutor.checks import Part
from tutor.checks.values import expect_bool, expect_int
from tutor.shapes import Field, Window

# (kind, kernel, stride) from the input to the last conv
STACK = (("conv", 3, 1), ("pool", 2, 2), ("conv", 3, 1), ("pool", 2, 2), ("conv", 3, 1))
IMAGE_SIDE = 28


def receptive_field(
    stack: tuple[tuple[str, int, int], ...] = STACK, pool_window: bool = True
) -> tuple[int, list[int]]:
    """The field after the whole stack, and after each layer (a pool with no window of its
    own, `pool_window=False`, is the typical slip of counting only its jump)."""
    field, steps = Field(), []
    for kind, kernel, stride in stack:
        window = kernel if kind == "conv" or pool_window else 1
        field = field.through(Window(kind, kernel=window, stride=stride))
        steps.append(field.size)
    return field.size, steps


FIELD, STEPS = receptive_field()


def judge(facts: dict[str, Any]) -> list[Part]:
    missing = {"kind": "missing"}
    return [
        _judge_field(*expect_int(facts.get("receptive_field", missing), "receptive_field")),
        _judge_covers(*expect_bool(facts.get("covers_whole_image", missing), "covers_whole_image")),
    ]


def _judge_field(got: int | None, problem: str) -> Part:
    pid = "receptive-field"
    if got is None:
        return Part(pid, False, problem)
    walk = " -> ".join(str(s) for s in STEPS)
    if got == FIELD:
        return Part(
            pid,
            True,
            (
                f"receptive_field = {got}: layer by layer the field grows {walk}; "
                "each pool doubles "
                "the step of every later conv."
            ),
        )
    said = f"receptive_field = {got} is not the field of the last conv:"
    convs_only = receptive_field(tuple(layer for layer in STACK if layer[0] == "conv"))[0]
    no_window = receptive_field(pool_window=False)[0]
    known = {
        convs_only: "that counts the three convs but leaves out the pools. After a 2x2 pool, "
        "neighbouring units sit 2 input pixels apart, so the next 3x3 conv spans more pixels.",
        no_window: "the pools' jumps are there but not their own 2x2 windows. A pool is a "
        "layer with k = 2: it adds (2 - 1) x j before doubling j.",
        STEPS[3]: "that is the field after the second pool; the last conv adds (3 - 1) times "
        "the jump, which is 4 by then.",
        STEPS[2]: "that is the field after the second conv; there is a pool and a conv more.",
        3 * 3 * 3: "fields do not multiply: each layer adds (k - 1) x j pixels.",
        3 * 3: "fields do not multiply: each layer adds (k - 1) x j pixels.",
        IMAGE_SIDE: "28 is the image, not the field; walk the layers with the rule above.",
    }
    if got in known:
        return Part(pid, False, f"{said} {known[got]}")
    return Part(
        pid,
        False,
        (
            f"{said} walk the five layers from the input with r = r + (k - 1) x j, then j = j x s, "
            "starting from r = 1 and j = 1 (a pool has k = 2 and s = 2)."
        ),
    )


def _judge_covers(got: bool | None, problem: str) -> Part:
    pid = "covers-whole-image"
    if got is None:
        return Part(pid, False, problem)
    if got is (FIELD >= IMAGE_SIDE):
        return Part(
            pid,
            True,
            (
                f"covers_whole_image = {got}: {FIELD}x{FIELD} is smaller than {IMAGE_SIDE}x"
                f"{IMAGE_SIDE}, so each unit sees only part of a digit; the Linear after it "
                "puts the parts together."
            ),
        )
    return Part(
        pid,
        False,
        (
            f"covers_whole_image = {got} is not right: compare the field of this stack with the "
            f"{IMAGE_SIDE}-pixel side of the image. A patch smaller than {IMAGE_SIDE}x{IMAGE_SIDE} "
            "does not cover the whole digit."
        ),
    )
