"""Checker for exercise 4: how many 2x2 pools reach 1x1, and the Linear after three blocks.

Numeric: the probe only reads plain values, so no torch is imported anywhere.
"""

from __future__ import annotations

from typing import Any

from tutor.checks import Part
from tutor.checks.compare import fmt_count
from tutor.checks.values import expect_int
from tutor.shapes import pool_out

SIDE = 64
CHANNELS = (32, 64, 128)


def _halvings(side: int) -> list[int]:
    sizes = [side]
    while sizes[-1] > 1:
        sizes.append(pool_out(sizes[-1], kernel=2))
    return sizes


SIZES = _halvings(SIDE)  # 64, 32, 16, 8, 4, 2, 1
POOLS = len(SIZES) - 1
AFTER_THREE = SIZES[len(CHANNELS)]
IN_FEATURES = CHANNELS[-1] * AFTER_THREE * AFTER_THREE


def judge(facts: dict[str, Any]) -> list[Part]:
    missing = {"kind": "missing"}
    return [
        _judge_pools(*expect_int(facts.get("max_pools", missing), "max_pools")),
        _judge_linear(*expect_int(facts.get("linear_in_features", missing), "linear_in_features")),
    ]


def _chain(n: int) -> str:
    return " -> ".join(str(s) for s in SIZES[: n + 1])


def _judge_pools(got: int | None, problem: str) -> Part:
    pid = "max-pools"
    if got is None:
        return Part(pid, False, problem)
    if got == POOLS:
        return Part(pid, True, f"max_pools = {got}: {_chain(POOLS)}, one halving per pool.")
    said = f"max_pools = {got} is not the number of pools that reach 1x1:"
    if got == POOLS + 1:
        return Part(
            pid,
            False,
            (
                f"{said} that is one pool too many. Count the arrows in {_chain(POOLS)}; a further "
                "MaxPool2d(2) on a 1x1 map has no 2x2 window to take and raises an error."
            ),
        )
    if got == POOLS - 1:
        return Part(
            pid,
            False,
            (
                f"{said} that is one pool too few: {_chain(got)} leaves a 2x2 map. One more "
                "halving is needed."
            ),
        )
    if got in SIZES:
        return Part(
            pid,
            False,
            (
                f"{said} {got} is one of the side lengths on the way down; the question asks how "
                "many pools (halvings) it takes."
            ),
        )
    if 0 < got < POOLS:
        return Part(
            pid, False, f"{said} after {got} pools the map is still {SIZES[got]}x{SIZES[got]}."
        )
    return Part(
        pid, False, (f"{said} halve 64 again and again and count the steps until the side is 1.")
    )


def _judge_linear(got: int | None, problem: str) -> Part:
    pid = "linear-in-features"
    if got is None:
        return Part(pid, False, problem)
    side, c = AFTER_THREE, CHANNELS[-1]
    if got == IN_FEATURES:
        return Part(
            pid,
            True,
            (
                f"linear_in_features = {fmt_count(got)}: three pools take 64 to {side}, and "
                f"Flatten gives {c} x {side} x {side} values per image."
            ),
        )
    said = f"linear_in_features = {fmt_count(got)} does not match the flattened map:"
    known = {
        c * SIZES[4] * SIZES[4]: f"that counts one pool too many. Three blocks mean three "
        f"pools: {_chain(3)}.",
        c * SIZES[2] * SIZES[2]: f"that counts one pool too few. Three blocks mean three "
        f"pools: {_chain(3)}.",
        side * side: f"the channels are missing. Flatten keeps every channel: multiply the "
        f"{side}x{side} map by the {c} channels of the last conv.",
        sum(CHANNELS) * side * side: f"only the last conv's {c} channels reach the Linear; "
        "the earlier blocks' channels are not added up.",
        CHANNELS[1] * side * side: f"that uses the second conv's channels; the Linear sees "
        f"the output of the third, with {c} channels.",
        c * SIDE * SIDE: "the pools are missing: each of the three halves height and width.",
        side: "that is the side length; Flatten multiplies channels x height x width.",
    }
    if got in known:
        return Part(pid, False, f"{said} {known[got]}")
    return Part(
        pid,
        False,
        (
            f"{said} follow the shape through the three blocks (channels from each conv, side "
            "halved by each pool), then multiply channels x height x width."
        ),
    )
