"""Checker for exercise 5: the two-conv model as `class SimpleCNN(nn.Module)`.

The probe (probe.py, in the sandbox) lists the learner's layers and records one forward
pass: that names the mistake. The referee (referee.py) decides: it loads the weights the
probe handed over into the reference model, requires the same outputs and outputs that
depend on the input, and counts the parameters itself.
"""

from __future__ import annotations

from typing import Any

from tutor.checks import Part
from tutor.checks.compare import conv_params, linear_params
from tutor.checks.models import (
    class_part,
    convs_part,
    flatten_part,
    in_features_part,
    output_part,
    referee_input_part,
    referee_outputs_part,
    referee_params_part,
    skipped,
)

NAME = "SimpleCNN"
BATCH = (8, 1, 28, 28)
PARAMS: dict[str, Any] = {}
CONVS = [(1, 16), (16, 32)]
SIDE = 28 // 2 // 2
PARAMS_WANTED = (
    conv_params(1, 16, 3) + conv_params(16, 32, 3) + linear_params(32 * SIDE * SIDE, 10)
)  # 20,490


def judge(facts: dict[str, Any], referee: dict[str, Any] | None = None) -> list[Part]:
    built = class_part("class", NAME, facts)
    rest = [
        "layers",
        "in-features",
        "flatten",
        "output-shape",
        "param-count",
        "same-outputs",
        "input-used",
    ]
    if not built.passed or "model" not in facts:
        return [built, *skipped(rest, f"`{NAME}` could not be built (see the class part).")]
    model = facts["model"]
    layers = model.get("layers", [])
    forward = model.get("forward", {})
    return [
        built,
        convs_part("layers", NAME, layers, CONVS),
        in_features_part("in-features", layers, CONVS[-1][1], SIDE),
        flatten_part("flatten", forward),
        output_part("output-shape", forward, (BATCH[0], 10)),
        referee_params_part(
            "param-count", NAME, referee, int(model.get("params", 0)), PARAMS_WANTED
        ),
        referee_outputs_part("same-outputs", NAME, referee),
        referee_input_part("input-used", NAME, referee),
    ]
