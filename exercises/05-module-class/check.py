"""Checker for exercise 5: the two-conv model as `class SimpleCNN(nn.Module)`.

The probe builds the learner's class, counts its parameters, lists its layers and runs
one forward pass on an (8, 1, 28, 28) batch while recording which layers and functions
are called, in order. The judge compares that with the model it expects.
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
    params_part,
    skipped,
)

NAME = "SimpleCNN"
BATCH = (8, 1, 28, 28)
CONVS = [(1, 16), (16, 32)]
SIDE = 28 // 2 // 2
PARAMS_WANTED = (
    conv_params(1, 16, 3) + conv_params(16, 32, 3) + linear_params(32 * SIDE * SIDE, 10)
)  # 20,490


def probe(ns: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    from tutor.checks.probes import class_facts, construct, model_facts

    facts: dict[str, Any] = {"class": class_facts(ns, NAME)}
    if facts["class"]["kind"] != "module":
        return facts
    model, error = construct(ns[NAME])
    if error:
        facts["construct_error"] = error
        return facts
    facts["model"] = model_facts(model, BATCH)
    return facts


def judge(facts: dict[str, Any]) -> list[Part]:
    built = class_part("class", NAME, facts)
    rest = ["layers", "in-features", "flatten", "output-shape", "param-count"]
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
        params_part("param-count", NAME, int(model.get("params", 0)), PARAMS_WANTED),
    ]
