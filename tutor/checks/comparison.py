"""Exercise 6's two training runs, read from a verdict's facts (no textual, no torch)."""

from __future__ import annotations

from typing import Any

RUNS = (("plain", "without BatchNorm"), ("bn", "with BatchNorm"))


def training_curves(facts: dict[str, Any] | None) -> dict[str, tuple[list[float], list[float]]]:
    """Per run label, its loss per epoch and test accuracy per epoch; {} without a comparison."""
    training = (facts or {}).get("training")
    if not isinstance(training, dict):
        return {}
    curves = {}
    for name, label in RUNS:
        run = training.get(name) or {}
        loss = [float(v) for v in run.get("loss", []) if isinstance(v, (int, float))]
        accuracy = [float(v) for v in run.get("accuracy", []) if isinstance(v, (int, float))]
        if not loss or not accuracy:
            return {}
        curves[label] = (loss, accuracy)
    return curves


def batch_losses(facts: dict[str, Any] | None) -> dict[str, list[float]]:
    """Per run label, the loss of every training batch; {} when a run lacks them."""
    training = (facts or {}).get("training")
    if not isinstance(training, dict):
        return {}
    found = {}
    for name, label in RUNS:
        run = training.get(name) or {}
        losses = [float(v) for v in run.get("batches", []) if isinstance(v, (int, float))]
        if not losses:
            return {}
        found[label] = losses
    return found
