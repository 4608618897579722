"""Probe for exercise 7, run beside the answer in the sandbox: it reads the answer's values.

It holds no expected value: the judge in check.py compares what it reads, in the tutor.
"""

from __future__ import annotations

from typing import Any

NAMES = ("receptive_field", "covers_whole_image")


def probe(ns: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    from tutor.checks.values import describe

    return {name: describe(ns, name) for name in NAMES}
