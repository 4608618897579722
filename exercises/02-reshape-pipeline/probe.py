"""Probe for exercise 2, run beside the answer in the sandbox (it holds no expected value).

`setup` hands the learner `X` and `y` from the built-in digits. The probe notes what kind of
thing each name holds (to name a mistake) and hands the referee plain copies of the numbers
the learner built: `images`, `X_t`, `y_t` and every batch of `loader`. The referee, outside,
rebuilds the expected tensors from the same digits and compares.
"""

from __future__ import annotations

from typing import Any

MAX_ROWS = 4096


def setup(ns: dict[str, Any], params: dict[str, Any]) -> None:
    import numpy as np

    from tutor.data import load

    ds = load("digits")
    n = int(params.get("n", 300))
    ns["X"] = ds.images[:n].reshape(n, 784).astype(np.int64)
    ns["y"] = ds.labels[:n].astype(np.int64)


def _plain(value: Any) -> Any:
    """A plain CPU tensor of a tensor's or a numeric array's numbers, else None."""
    import numpy as np
    import torch

    from tutor.checks.evidence import plain

    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        return torch.from_numpy(np.array(value, copy=True))
    return plain(value)


def probe(ns: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    from tutor.checks import evidence
    from tutor.checks.probes import error_fact, value_facts

    facts: dict[str, Any] = {
        "n": int(params.get("n", 300)),
        "batch_size_wanted": int(params.get("batch_size", 32)),
    }
    handed: dict[str, Any] = {"seed": evidence.challenge()}
    for name in ("images", "X_t", "y_t"):
        value = ns.get(name)
        facts[name] = value_facts(value, missing=name not in ns)
        handed[name] = _plain(value)
        handed[f"{name}_kind"] = facts[name]["kind"]
    facts["loader"] = _loader_facts(ns, handed, error_fact)
    evidence.save(handed)
    return facts


def _loader_facts(ns: dict[str, Any], handed: dict[str, Any], error_fact: Any) -> dict[str, Any]:
    import torch
    from torch.utils.data import DataLoader

    if "loader" not in ns:
        return {"kind": "missing"}
    loader = ns["loader"]
    if loader is None:
        return {"kind": "none"}
    if not isinstance(loader, DataLoader):
        return {"kind": "other", "type": type(loader).__name__}
    facts: dict[str, Any] = {"kind": "DataLoader"}
    xs, ys, sizes = [], [], []
    try:
        rows = 0
        for batch in loader:
            if not isinstance(batch, (list, tuple)) or len(batch) != 2:
                facts["batch_items"] = len(batch) if isinstance(batch, (list, tuple)) else 1
                break
            x, y = (_plain(item) for item in batch)
            if x is None or y is None:
                break
            xs.append(x)
            ys.append(y)
            sizes.append(int(x.shape[0]) if x.dim() else 0)
            rows += sizes[-1]
            if rows > MAX_ROWS:
                break
    except Exception as exc:
        facts["error"] = error_fact(exc)
        return facts
    if xs:
        try:
            handed["batches_x"] = torch.cat(xs)
            handed["batches_y"] = torch.cat(ys)
        except Exception:  # batches of differing shapes: the first one tells enough
            handed["batches_x"], handed["batches_y"] = xs[0], ys[0]
        handed["batch_sizes"] = sizes
    return facts
