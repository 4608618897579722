"""Probe for exercise 3, run beside the answer in the sandbox: it reads the answer's values.

It holds no expected value: the judge in check.py compares what it reads, in the tutor.
"""

from __future__ import annotations

from typing import Any

NAMES = ("cnn_params", "mlp_params", "more_parameters", "generalises_better")


def probe(ns: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    from tutor.checks.values import describe

    return {name: describe(ns, name) for name in NAMES}
