"""Plain answer values as JSON-able facts, and reading them back in a judge.

`describe` runs inside the sandbox (it never imports torch or numpy); the `expect_*`
helpers run in the tutor and turn a description into a value or a sentence that says
what is wrong with it.
"""

from __future__ import annotations

import math
import operator
from typing import Any

_MISSING = object()
_MAX_ITEMS = 12


def describe(ns: dict[str, Any], name: str) -> dict[str, Any]:
    """What the learner's `name` holds, in JSON-able form (never raises)."""
    return describe_value(ns.get(name, _MISSING))


def describe_value(value: Any, depth: int = 0) -> dict[str, Any]:
    try:
        return _describe(value, depth)
    except Exception as exc:  # a learner's object with a broken __repr__ or __index__
        return {"kind": "other", "type": type(value).__name__, "repr": f"<{exc!r}>"}


def _describe(value: Any, depth: int) -> dict[str, Any]:
    if value is _MISSING:
        return {"kind": "missing"}
    if value is None:
        return {"kind": "none"}
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return {"kind": "bool", "value": bool(value)}
    if isinstance(value, str):
        return {"kind": "str", "value": value[:200]}
    if isinstance(value, (tuple, list)) and depth == 0:
        kind = "tuple" if isinstance(value, tuple) else "list"
        items = [describe_value(v, depth + 1) for v in list(value)[:_MAX_ITEMS]]
        return {"kind": kind, "length": len(value), "items": items}
    if isinstance(value, float) or type(value).__name__ in ("float32", "float64"):
        number = float(value)
        if math.isfinite(number) and number == int(number):
            return {"kind": "float", "value": number, "whole": True}
        return {"kind": "float", "value": number if math.isfinite(number) else None}
    try:
        return {"kind": "int", "value": operator.index(value)}
    except TypeError:
        pass
    text = repr(value)
    return {"kind": "other", "type": type(value).__name__, "repr": text[:80]}


def shown(desc: dict[str, Any]) -> str:
    """A short rendering of a described value, for messages."""
    kind = desc.get("kind")
    if kind == "missing":
        return "not defined"
    if kind == "none":
        return "None"
    if kind in ("tuple", "list"):
        inner = ", ".join(shown(d) for d in desc.get("items", []))
        if desc.get("length", 0) > len(desc.get("items", [])):
            inner += ", ..."
        if kind == "tuple":
            return f"({inner},)" if desc.get("length") == 1 else f"({inner})"
        return f"[{inner}]"
    if kind == "str":
        return repr(desc.get("value", ""))
    if kind == "other":
        return str(desc.get("repr", "?"))
    value = desc.get("value")
    if kind == "float" and desc.get("whole"):
        return f"{value:.1f}"
    return repr(value)


def _unset(desc: dict[str, Any], name: str, what: str) -> str | None:
    kind = desc.get("kind")
    if kind == "missing":
        return f"`{name}` is not defined: add a line `{name} = ...` holding {what}."
    if kind == "none":
        return f"`{name}` is still None: replace the None with {what}."
    return None


def expect_shape(
    desc: dict[str, Any], name: str, rank: int = 3
) -> tuple[tuple[int, ...] | None, str]:
    """A tuple of `rank` whole numbers, or (None, why not)."""
    what = "a tuple (channels, height, width) of whole numbers"
    problem = _unset(desc, name, what)
    if problem:
        return None, problem
    if desc.get("kind") not in ("tuple", "list"):
        return None, (
            f"`{name}` is {shown(desc)}, not a tuple; write it as {what}, e.g. (8, 10, 10)."
        )
    items = desc.get("items", [])
    if desc.get("length") != rank:
        return None, (
            f"`{name}` has {desc.get('length')} numbers; give {rank}: (channels, height, width),"
            " without the batch axis."
        )
    values: list[int] = []
    for item in items:
        if item.get("kind") == "int":
            values.append(int(item["value"]))
        elif item.get("kind") == "float" and item.get("whole"):
            values.append(int(item["value"]))
        else:
            return None, (
                f"`{name}` holds {shown(item)}; every entry must be a whole number "
                "(sizes are counted in pixels and channels)."
            )
    return tuple(values), ""


def expect_int(
    desc: dict[str, Any], name: str, what: str = "a whole number"
) -> tuple[int | None, str]:
    problem = _unset(desc, name, what)
    if problem:
        return None, problem
    kind = desc.get("kind")
    if kind == "int":
        return int(desc["value"]), ""
    if kind == "float" and desc.get("whole"):
        return int(desc["value"]), ""
    if kind == "str":
        return None, f"`{name}` is the text {shown(desc)}; write the number without quotes."
    return None, f"`{name}` is {shown(desc)}; it should be {what}."


def expect_choice(
    desc: dict[str, Any], name: str, choices: tuple[str, ...]
) -> tuple[str | None, str]:
    options = " or ".join(f'"{c}"' for c in choices)
    problem = _unset(desc, name, options)
    if problem:
        return None, problem
    if desc.get("kind") != "str":
        return None, f"`{name}` is {shown(desc)}; it should be the text {options}."
    value = str(desc["value"]).strip().lower()
    if value not in choices:
        return None, f"`{name}` is {shown(desc)}; it should be {options}."
    return value, ""


def expect_bool(desc: dict[str, Any], name: str) -> tuple[bool | None, str]:
    problem = _unset(desc, name, "True or False")
    if problem:
        return None, problem
    if desc.get("kind") != "bool":
        return None, f"`{name}` is {shown(desc)}; write True or False (no quotes)."
    return bool(desc["value"]), ""
