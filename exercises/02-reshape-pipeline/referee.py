"""Referee for exercise 2: rebuilds X and y from the same digits and compares, outside.

Runs in the referee process, never beside the answer, so nothing the answer patches (numpy's
or torch's comparisons included) can change what is found here. The findings have the same
form as the probe's facts (kind, shape, dtype, range, and how the numbers relate to X), so
the judge reads them in place of what the probe said.
"""

from __future__ import annotations

from collections import Counter
from typing import Any


def _given(n: int) -> tuple[Any, Any]:
    import torch

    from tutor.data import load

    ds = load("digits")
    X = torch.from_numpy(ds.images[:n].reshape(n, 784)).to(torch.float64)
    y = torch.from_numpy(ds.labels[:n]).to(torch.int64)
    return X, y


def _dtype(value: Any) -> str:
    return str(value.dtype).replace("torch.", "")


def _described(value: Any, kind: Any) -> dict[str, Any]:
    import torch

    if not isinstance(value, torch.Tensor):
        return {"kind": "unchecked"}
    facts: dict[str, Any] = {
        "kind": kind if kind in ("tensor", "ndarray") else "tensor",
        "shape": [int(s) for s in value.shape],
        "dtype": _dtype(value),
    }
    if value.numel() and (value.is_floating_point() or not value.is_complex()):
        values = value.to(torch.float64)
        low, high = float(values.min()), float(values.max())
        facts["min"] = low if low == low and abs(low) != float("inf") else None
        facts["max"] = high if high == high and abs(high) != float("inf") else None
    return facts


def _match(value: Any, X: Any, n: int) -> str | None:
    """How `value`'s numbers relate to the pixels: raw, scaled, reordered or different."""
    import torch

    if not isinstance(value, torch.Tensor) or value.numel() != X.numel() or value.is_complex():
        return None
    flat = value.reshape(n, -1).to(torch.float64)
    if torch.equal(flat, X):
        return "raw"
    if torch.allclose(flat, X / 255.0, atol=1e-6, rtol=0):
        return "scaled"
    if torch.equal(flat, torch.div(X, 255, rounding_mode="floor")):
        return "floor-divided"
    ordered = flat.sort(dim=1).values
    if torch.equal(ordered, X.sort(dim=1).values) or torch.allclose(
        ordered, (X / 255.0).sort(dim=1).values, atol=1e-6, rtol=0
    ):
        return "reordered"
    return "different"


def _labels_equal(value: Any, y: Any) -> bool | None:
    import torch

    if not isinstance(value, torch.Tensor) or value.numel() != y.numel() or value.is_complex():
        return None
    return bool(torch.equal(value.reshape(-1).to(torch.float64), y.to(torch.float64)))


def _same_rows(xs: Any, ys: Any, X_t: Any, y_t: Any) -> bool:
    import torch

    if not all(isinstance(t, torch.Tensor) for t in (xs, ys, X_t, y_t)):
        return False
    n = int(y_t.numel())
    if n == 0 or xs.numel() != X_t.numel() or ys.numel() != n or X_t.is_complex():
        return False

    def rows(images: Any, labels: Any) -> Counter[tuple[bytes, float]]:
        flat = images.reshape(n, -1).to(torch.float64).contiguous()
        return Counter(
            (row.numpy().tobytes(), float(label))
            for row, label in zip(flat, labels.reshape(-1).to(torch.float64), strict=True)
        )

    return rows(xs, ys) == rows(X_t, y_t)


def _loader(evidence: dict[str, Any]) -> dict[str, Any]:
    import torch

    xs, ys, sizes = (
        evidence.get("batches_x"),
        evidence.get("batches_y"),
        evidence.get("batch_sizes"),
    )
    if not isinstance(xs, torch.Tensor) or not isinstance(ys, torch.Tensor):
        return {"kind": "unchecked"}
    if not isinstance(sizes, list) or not sizes or not all(isinstance(s, int) for s in sizes):
        return {"kind": "unchecked"}
    first = sizes[0]
    facts: dict[str, Any] = {
        "kind": "DataLoader",
        "batch_size": first,
        "length": int(xs.shape[0]) if xs.dim() else 0,
        "batch": [
            {"shape": [first, *[int(s) for s in xs.shape[1:]]], "dtype": _dtype(xs)},
            {"shape": [first, *[int(s) for s in ys.shape[1:]]], "dtype": _dtype(ys)},
        ],
    }
    # Every (image, label) the loader gives is one of X_t's with its y_t, once, in any order.
    facts["rows_match"] = _same_rows(xs, ys, evidence.get("X_t"), evidence.get("y_t"))
    return facts


def referee(evidence: Any, seed: int | None, params: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(evidence, dict) or "unreadable" in evidence:
        why = (evidence or {}).get("unreadable", "none was handed over")
        return {"agrees": False, "evidence": f"the tutor could not read your tensors ({why})"}
    if seed is None or evidence.get("seed") != seed:
        return {"agrees": False, "evidence": "the tensors were not handed over by this check"}
    n = int(params.get("n", 300))
    X, y = _given(n)
    found: dict[str, Any] = {"n": n, "evidence": None}
    for name in ("images", "X_t"):
        found[name] = _described(evidence.get(name), evidence.get(f"{name}_kind"))
        found[name]["match"] = _match(evidence.get(name), X, n)
    found["y_t"] = _described(evidence.get("y_t"), evidence.get("y_t_kind"))
    found["y_t"]["equal"] = _labels_equal(evidence.get("y_t"), y)
    found["loader"] = _loader(evidence)
    found["agrees"] = bool(
        found["images"]["match"] in ("raw", "scaled")
        and found["images"].get("shape") == [n, 28, 28]
        and found["X_t"]["match"] == "scaled"
        and found["X_t"].get("dtype") == "float32"
        and found["X_t"].get("kind") == "tensor"
        and found["X_t"].get("shape") == [n, 1, 28, 28]
        and found["y_t"].get("equal")
        and found["y_t"].get("dtype") == "int64"
        and found["y_t"].get("kind") == "tensor"
        and found["y_t"].get("shape") == [n]
        and found["loader"].get("batch_size") == int(params.get("batch_size", 32))
        and found["loader"].get("rows_match")
    )
    return found
