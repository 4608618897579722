"""Probe for exercise 5, run beside the answer in the sandbox (it holds no expected value).

It builds the learner's SimpleCNN, lists its layers and records one forward pass (for the
feedback parts), then asks for the challenge seed, fills a fresh instance's weights from it
and hands the weights and the outputs on the challenge inputs to the referee.
"""

from __future__ import annotations

from typing import Any

NAME = "SimpleCNN"
BATCH = (8, 1, 28, 28)


def probe(ns: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    from tutor.checks import evidence
    from tutor.checks.probes import class_facts, construct, model_facts

    facts: dict[str, Any] = {"class": class_facts(ns, NAME)}
    if facts["class"]["kind"] != "module":
        return facts
    model, error = construct(ns[NAME])
    if error:
        facts["construct_error"] = error
        return facts
    facts["model"] = model_facts(model, BATCH)
    fresh, error = construct(ns[NAME])
    if fresh is not None:
        evidence.save(evidence.model_evidence(fresh, evidence.challenge(), BATCH))
    return facts
