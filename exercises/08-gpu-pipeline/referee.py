"""Referee for exercise 8: X_t against X rebuilt outside, and outputs that follow the input.

Runs in the referee process, never beside the answer. The model of this exercise is the
learner's own design, so there is no reference to load it into: the referee checks that its
outputs on two challenge batches have the right shape and differ. Where the model and the
batches sit (the device parts) is judged from inside the answer's process (see the README).
"""

from __future__ import annotations

from typing import Any


def _layout(value: Any, X: Any, n: int) -> str | None:
    """How X_t's numbers relate to X: transposed and scaled, reshaped, raw ..."""
    import torch

    if not isinstance(value, torch.Tensor) or value.numel() != X.numel() or value.is_complex():
        return None
    array = value.to(torch.float64)
    moved = X.permute(0, 3, 1, 2)
    if tuple(array.shape) == tuple(moved.shape):
        if torch.allclose(array, moved / 255.0, atol=1e-6, rtol=0):
            return "scaled"
        if torch.equal(array, moved):
            return "raw"
    flat = array.reshape(n, -1)
    if torch.allclose(flat, X.reshape(n, -1) / 255.0, atol=1e-6, rtol=0):
        return "reshaped"
    if torch.equal(flat, X.reshape(n, -1)):
        return "reshaped-raw"
    return "different"


def referee(evidence: Any, seed: int | None, params: dict[str, Any]) -> dict[str, Any]:
    import torch

    from tutor.data import load

    if not isinstance(evidence, dict) or "unreadable" in evidence:
        why = (evidence or {}).get("unreadable", "none was handed over")
        return {"agrees": False, "evidence": f"the tutor could not read your tensors ({why})"}
    if seed is None or evidence.get("seed") != seed:
        return {"agrees": False, "evidence": "the tensors were not handed over by this check"}
    n = int(params.get("n", 256))
    X = torch.from_numpy(load("rgb").images[:n]).to(torch.float64)
    value = evidence.get("X_t")
    found: dict[str, Any] = {"evidence": None, "n": n}
    if isinstance(value, torch.Tensor):
        found["X_t"] = {
            "kind": "tensor",
            "shape": [int(s) for s in value.shape],
            "dtype": str(value.dtype).replace("torch.", ""),
            "match": _layout(value, X, n),
        }
        if value.numel() and not value.is_complex():
            found["X_t"]["min"] = float(value.min())
            found["X_t"]["max"] = float(value.max())
    elif evidence.get("X_t_device") in ("cuda", "meta"):
        found["X_t"] = {"kind": "tensor", "match": "on-device"}
    first, second = evidence.get("eval"), evidence.get("eval_other")
    found["outputs_error"] = evidence.get("error")
    found["input_used"] = (
        isinstance(first, torch.Tensor)
        and isinstance(second, torch.Tensor)
        and first.is_floating_point()
        and first.shape == second.shape == (4, 10)
        and not bool(torch.allclose(first, second, atol=1e-6, rtol=0))
    )
    x = found.get("X_t") or {}
    found["agrees"] = bool(
        x.get("match") == "scaled"
        and x.get("dtype") == "float32"
        and x.get("shape") == [n, 3, 32, 32]
        and found["input_used"]
    )
    return found
