"""Measuring a learner's tensors and models, for the probes of the code exercises.

Everything here runs inside the sandbox, after the learner's code: torch and numpy are
imported inside the functions, never when the tutor imports this module. Every function
records what it finds and never raises on a wrong answer.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

# Functional ops worth seeing in a forward pass, by the name torch gives them.
_RELU = {"relu", "relu_"}
_POOL = {"max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "adaptive_max_pool2d"}
_FLATTEN = {"flatten"}
_RESHAPE = {"view", "reshape"}
_WATCHED = _RELU | _POOL | _FLATTEN | _RESHAPE | {"batch_norm"}

LAYER_ATTRS = (
    "in_channels",
    "out_channels",
    "kernel_size",
    "padding",
    "stride",
    "in_features",
    "out_features",
    "num_features",
    "start_dim",
)


def error_fact(exc: BaseException) -> dict[str, Any]:
    """An exception as a fact: its type and first line of message."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return {"type": type(exc).__name__, "message": text[:400]}


def shape_of(value: Any) -> list[int] | None:
    try:
        return [int(s) for s in value.shape]
    except Exception:
        return None


def value_facts(value: Any, missing: bool = False) -> dict[str, Any]:
    """What a learner's variable holds: kind, shape, dtype, device, value range."""
    if missing:
        return {"kind": "missing"}
    if value is None:
        return {"kind": "none"}
    facts: dict[str, Any] = {"type": type(value).__name__}
    try:
        import numpy as np
        import torch
    except ImportError:  # pragma: no cover - the code exercises always have torch
        return {"kind": "other", **facts}
    if isinstance(value, torch.Tensor):
        facts.update(
            kind="tensor",
            shape=shape_of(value),
            dtype=str(value.dtype).replace("torch.", ""),
            device=value.device.type,
        )
        if not value.is_meta and value.numel():
            with torch.no_grad():
                facts.update(_value_range(value.detach().float()))
        return facts
    if isinstance(value, np.ndarray):
        facts.update(kind="ndarray", shape=shape_of(value), dtype=str(value.dtype))
        if value.size and value.dtype.kind in "biuf":
            facts.update(_value_range(value.astype(np.float64)))
        return facts
    return {"kind": "other", **facts, "repr": repr(value)[:80]}


def _value_range(values: Any) -> dict[str, Any]:
    low, high = float(values.min()), float(values.max())
    return {
        "min": low if math.isfinite(low) else None,
        "max": high if math.isfinite(high) else None,
    }


def count_params(model: Any) -> int:
    return int(sum(p.numel() for p in model.parameters()))


def own_params(module: Any) -> int | None:
    """The parameters a module holds itself (not its children's), or None if unreadable."""
    try:
        return int(sum(p.numel() for p in module._parameters.values() if p is not None))
    except Exception:
        return None


def layer_facts(model: Any) -> list[dict[str, Any]]:
    """Every leaf module in registration order, with its sizes."""
    layers = []
    for name, module in model.named_modules():
        if next(module.children(), None) is not None or module is model:
            continue
        entry: dict[str, Any] = {"name": name, "type": type(module).__name__}
        for attr in LAYER_ATTRS:
            if hasattr(module, attr):
                value = getattr(module, attr)
                entry[attr] = list(value) if isinstance(value, tuple) else value
                if not isinstance(entry[attr], (int, float, str, list, type(None))):
                    entry[attr] = str(entry[attr])
        layers.append(entry)
    return layers


def construct(cls: Any) -> tuple[Any, dict[str, Any] | None]:
    """Build `cls()`; return the model, or None and what went wrong."""
    try:
        return cls(), None
    except Exception as exc:
        fact = error_fact(exc)
        fact["super_missing"] = "before Module.__init__() call" in str(exc) or (
            isinstance(exc, AttributeError) and "_modules" in str(exc)
        )
        return None, fact


def class_facts(ns: dict[str, Any], name: str) -> dict[str, Any]:
    """Whether `name` is an nn.Module subclass in the learner's namespace."""
    import torch.nn as nn

    if name not in ns:
        return {"kind": "missing"}
    value = ns[name]
    if value is None:
        return {"kind": "none"}
    if not isinstance(value, type):
        return {"kind": "not-a-class", "type": type(value).__name__}
    if not issubclass(value, nn.Module):
        return {"kind": "not-a-module", "bases": [b.__name__ for b in value.__bases__]}
    return {"kind": "module"}


@contextmanager
def recording_calls(model: Any) -> Iterator[list[dict[str, Any]]]:
    """Record, in order, every leaf module call and every bare functional op of a forward.

    A module call holds its type, name, input and output shapes and its own parameter
    count; a call that raised has no `out`.

    Functional ops (F.relu, torch.flatten, x.view ...) count only when the learner's own
    forward calls them, not from inside a layer such as nn.ReLU, so each step shows once.
    """
    import torch
    from torch.overrides import TorchFunctionMode

    calls: list[dict[str, Any]] = []
    depth = [0]
    outer: list[dict[str, Any]] = []  # the module call under way at depth 0

    def before(module: Any, args: Any) -> None:
        if depth[0] == 0:
            call = {
                "op": "module",
                "type": type(module).__name__,
                "name": names[module],
                "in": shape_of(args[0]) if args else None,
                "params": own_params(module),
            }
            calls.append(call)
            outer[:] = [call]
        depth[0] += 1

    def after(module: Any, args: Any, output: Any) -> None:
        depth[0] -= 1
        if depth[0] == 0 and outer:
            outer.pop()["out"] = shape_of(output)

    class Functional(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
            kwargs = kwargs or {}
            result = func(*args, **kwargs)
            name = getattr(func, "__name__", "")
            if depth[0] == 0 and name in _WATCHED:
                calls.append(_functional_call(func, name, args, kwargs, result))
            return result

    names = {m: n for n, m in model.named_modules()}
    handles = []
    for module in names:
        if next(module.children(), None) is None and module is not model:
            handles.append(module.register_forward_pre_hook(before))
            handles.append(module.register_forward_hook(after))
    try:
        with Functional():
            yield calls
    finally:
        for handle in handles:
            handle.remove()
        _ = torch  # keep the import visibly used


def _functional_call(func: Any, name: str, args: Any, kwargs: Any, result: Any) -> dict[str, Any]:
    method = getattr(func, "__qualname__", "").startswith("TensorBase")
    first = args[0] if args else None
    entry: dict[str, Any] = {"op": name.rstrip("_"), "via": "method" if method else "function"}
    entry["in"] = shape_of(first)
    entry["out"] = shape_of(result)
    if name in _FLATTEN:
        entry["start_dim"] = args[1] if len(args) > 1 else kwargs.get("start_dim", 0)
        if not isinstance(entry["start_dim"], int):
            entry["start_dim"] = None
    return entry


def forward_facts(model: Any, input_shape: tuple[int, ...], seed: int = 0) -> dict[str, Any]:
    """One recorded forward pass on random input: the call order and the output or error."""
    import torch

    torch.manual_seed(seed)
    x = torch.randn(*input_shape)
    facts: dict[str, Any] = {"input": list(input_shape)}
    try:
        with recording_calls(model) as calls, torch.no_grad():
            out = model(x)
        facts["output"] = shape_of(out)
        if facts["output"] is None:
            facts["output_type"] = type(out).__name__
    except Exception as exc:
        facts["error"] = error_fact(exc)
    facts["calls"] = calls
    return facts


def model_facts(model: Any, input_shape: tuple[int, ...]) -> dict[str, Any]:
    """Parameter count, layers, and one recorded forward pass of `model`."""
    import torch

    facts: dict[str, Any] = {"params": count_params(model), "layers": layer_facts(model)}
    model.eval()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # one small batch: more threads only wait on each other
    try:
        facts["forward"] = forward_facts(model, input_shape)
    finally:
        torch.set_num_threads(threads)
    return facts


def digits_tensors(n_train: int, n_test: int) -> tuple[Any, Any, Any, Any]:
    """The first built-in digits as float32 (N, 1, 28, 28) in [0, 1] and int64 labels."""
    import torch

    from tutor.data import load

    ds = load("digits")
    images = torch.from_numpy(ds.images[: n_train + n_test] / 255.0).float().unsqueeze(1)
    labels = torch.from_numpy(ds.labels[: n_train + n_test]).long()
    return images[:n_train], labels[:n_train], images[n_train:], labels[n_train:]


def train_compare(
    builders: dict[str, Any],
    *,
    epochs: int = 3,
    n_train: int = 512,
    n_test: int = 256,
    lr: float = 0.05,
    batch_size: int = 32,
    seed: int = 0,
    known: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Train each model the same way (same seed, data, order, SGD) and keep its curves.

    Returns, per name, the mean training loss of every epoch, the loss of every batch
    (`batches`) and the test accuracy after every epoch; or an `error` for a model whose
    training raised. A name in `known` is not trained: its result is taken from there
    (a curve cached from an earlier run with the same seed, data and model).
    """
    import torch

    x_train, y_train, x_test, y_test = digits_tensors(n_train, n_test)
    # Models this small train as fast on one thread, and on a busy machine several
    # threads fighting for the cores made a check five times slower.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _train_each(
            builders,
            known,
            x_train,
            y_train,
            x_test,
            y_test,
            epochs=epochs,
            n_train=n_train,
            n_test=n_test,
            lr=lr,
            batch_size=batch_size,
            seed=seed,
        )
    finally:
        torch.set_num_threads(threads)


def _train_each(
    builders: dict[str, Any],
    known: dict[str, Any] | None,
    x_train: Any,
    y_train: Any,
    x_test: Any,
    y_test: Any,
    *,
    epochs: int,
    n_train: int,
    n_test: int,
    lr: float,
    batch_size: int,
    seed: int,
) -> dict[str, Any]:
    import torch
    import torch.nn.functional as F

    results: dict[str, Any] = {
        "epochs": epochs,
        "n_train": n_train,
        "n_test": n_test,
        "lr": lr,
    }
    for name, build in builders.items():
        if known and name in known:
            results[name] = known[name]
            continue
        try:
            torch.manual_seed(seed)
            model = build()
            optimizer = torch.optim.SGD(model.parameters(), lr=lr)
            order = torch.Generator().manual_seed(seed)
            losses, accuracies, batches = [], [], []
            for _ in range(epochs):
                model.train()
                perm = torch.randperm(n_train, generator=order)
                total, steps = 0.0, 0
                for start in range(0, n_train, batch_size):
                    idx = perm[start : start + batch_size]
                    loss = F.cross_entropy(model(x_train[idx]), y_train[idx])
                    optimizer.zero_grad()
                    loss.backward()
                    optimizer.step()
                    total += float(loss.item())
                    batches.append(round(float(loss.item()), 4))
                    steps += 1
                losses.append(round(total / steps, 4))
                model.eval()
                with torch.no_grad():
                    hits = (model(x_test).argmax(dim=1) == y_test).float().mean().item()
                accuracies.append(round(float(hits), 4))
            results[name] = {"loss": losses, "accuracy": accuracies, "batches": batches}
        except Exception as exc:
            results[name] = {"error": error_fact(exc)}
    return results
