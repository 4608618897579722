"""Probe for exercise 8, run beside the answer in the sandbox (it holds no expected value).

`setup` hands the learner `X` and `y` from the built-in rgb set and, on a machine with
no GPU, installs a simulated one (tutor.checks.accelerator), so that a model or a batch
left on the CPU fails exactly as on real hardware. The probe then calls the learner's
functions with a GPU device, and, when the GPU is simulated, a second time on the CPU to
look at real values (the simulated GPU keeps none). The device checks are the one part of
the course judged from inside the answer's process (see the README). The referee gets
plain copies of `X_t` and of the model's outputs on two challenge batches.
"""

from __future__ import annotations

from typing import Any

_given: dict[str, Any] = {}


def setup(ns: dict[str, Any], params: dict[str, Any]) -> None:
    import numpy as np
    import torch

    from tutor.data import load

    ds = load("rgb")
    n = int(params.get("n", 256))
    X = np.ascontiguousarray(ds.images[:n], dtype=np.uint8)
    y = ds.labels[:n].astype(np.int64)
    _given.update(X=X.copy(), y=y.copy())
    if torch.cuda.is_available():
        _given["accelerator"] = "cuda"
    else:
        from tutor.checks import accelerator

        accelerator.install()
        _given["accelerator"] = "simulated"
        _given["simulation"] = _simulation_now()
    ns["X"], ns["y"] = X, y


def _simulation_now() -> tuple[Any, ...]:
    """What makes the simulated GPU work, by identity: its mode, the top of torch's mode
    stack, its translating function and the replaced torch.cuda functions."""
    import torch

    from tutor.checks import accelerator

    mode = accelerator._installed.get("mode")
    try:
        stack = torch.overrides._get_current_function_mode_stack()
    except AttributeError:  # pragma: no cover - an older torch: the stack cannot be read
        stack = [mode]
    return (
        mode,
        stack[-1] if stack else None,
        getattr(type(mode), "__torch_function__", None),
        torch.cuda.is_available,
        torch.cuda.device_count,
        torch.Tensor.to,
        torch.nn.Module.to,
    )


def _tampered() -> str | None:
    """Why the simulated GPU can no longer be trusted after the answer ran, or None."""
    if _given.get("accelerator") != "simulated":
        return None
    now, then = _simulation_now(), _given.get("simulation")
    if then is None or any(a is not b for a, b in zip(now, then, strict=True)):
        return (
            "your code changed the simulated GPU (torch's device functions, its function "
            "modes or torch.cuda) after the tutor set it up"
        )
    return None


def probe(ns: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    import torch

    from tutor.checks.probes import count_params, error_fact, value_facts

    X, y = _given["X"], _given["y"]
    gpu = torch.device("cuda")
    simulated = _given.get("accelerator") == "simulated"
    facts: dict[str, Any] = {"n": len(y), "accelerator": _given.get("accelerator")}
    facts["tampered"] = _tampered()
    facts["device"] = _device_facts(ns)
    facts["X_t"] = value_facts(ns.get("X_t"), missing="X_t" not in ns)

    x_ref = torch.from_numpy(X.transpose(0, 3, 1, 2) / 255.0).float()
    y_ref = torch.from_numpy(y).long()
    model = ns.get("model")
    if not isinstance(model, torch.nn.Module):
        facts["model"] = value_facts(model, missing="model" not in ns)
        return facts
    # A simulated GPU reports its tensors as cuda, so this reads the same on both.
    # The class's own parameters(), whatever the answer overrides.
    devices = sorted({p.device.type for p in torch.nn.Module.parameters(model)})
    facts["model"] = {"kind": "module", "devices": devices, "params": count_params(model)}
    if devices != ["cuda"]:
        model.to(gpu)  # move it for the learner, so the batch checks stand on their own
    facts["model"]["output"] = _forward(model, x_ref[:4].to(gpu), error_fact)

    m, k = int(params.get("train_n", 96)), int(params.get("predict_n", 64))
    facts["train"] = _train(
        ns, model, x_ref[:m], y_ref[:m], gpu, params, error_fact, values=not simulated
    )
    facts["predict"] = _predict(ns, model, x_ref[:k], gpu, error_fact, values=not simulated)
    if simulated and facts["train"].get("ok"):
        # A second run on the CPU, from fresh weights, to see real numbers.
        torch.manual_seed(int(params.get("seed", 0)))
        model.to_empty(device="cpu")
        for module in model.modules():
            if hasattr(module, "reset_parameters"):
                module.reset_parameters()
        cpu = torch.device("cpu")
        facts["train_cpu"] = _train(
            ns, model, x_ref[:m], y_ref[:m], cpu, params, error_fact, values=True
        )
        facts["predict_cpu"] = _predict(ns, model, x_ref[:k], cpu, error_fact, values=True)
    _hand_over(ns, model, gpu, simulated)
    return facts


def _hand_over(ns: dict[str, Any], model: Any, gpu: Any, simulated: bool) -> None:
    """Plain copies of X_t and of the model's outputs on two challenge batches."""
    import torch

    from tutor.checks import evidence

    handed: dict[str, Any] = {"seed": evidence.challenge()}
    value = ns.get("X_t")
    if isinstance(value, torch.Tensor):
        handed["X_t_device"] = "meta" if value.is_meta else value.device.type
        handed["X_t"] = evidence.plain(value)
    first, second = evidence.challenge_inputs(handed["seed"], (4, 3, 32, 32))
    device = torch.device("cpu") if simulated else gpu
    try:
        if simulated:  # the simulated GPU keeps no values: fresh real weights on the CPU
            torch.manual_seed(handed["seed"])
            model.to_empty(device="cpu")
            for module in model.modules():
                if hasattr(module, "reset_parameters"):
                    module.reset_parameters()
        torch.nn.Module.train(model, False)
        with torch.no_grad():
            handed["eval"] = evidence.plain(model(first.to(device)))
            handed["eval_other"] = evidence.plain(model(second.to(device)))
    except Exception as exc:
        handed["error"] = f"{type(exc).__name__}: {str(exc)[:300]}"
    evidence.save(handed)


def _device_facts(ns: dict[str, Any]) -> dict[str, Any]:
    import torch

    if "device" not in ns:
        return {"kind": "missing"}
    device = ns["device"]
    if device is None:
        return {"kind": "none"}
    if isinstance(device, torch.device):
        return {"kind": "device", "type": device.type}
    if isinstance(device, str):
        try:
            return {"kind": "str", "type": torch.device(device).type, "value": device}
        except RuntimeError:
            return {"kind": "other", "type": type(device).__name__, "repr": device[:40]}
    return {"kind": "other", "type": type(device).__name__, "repr": repr(device)[:40]}


def _forward(model: Any, batch: Any, error_fact: Any) -> dict[str, Any]:
    import torch

    try:
        with torch.no_grad():
            out = model(batch)
        return {"shape": [int(s) for s in out.shape]}
    except Exception as exc:
        return {"error": error_fact(exc)}


def _train(
    ns: dict[str, Any],
    model: Any,
    x: Any,
    y: Any,
    device: Any,
    params: dict[str, Any],
    error_fact: Any,
    values: bool,
) -> dict[str, Any]:
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    train = ns.get("train_one_epoch")
    if not callable(train):
        return {"missing": True}
    torch.manual_seed(int(params.get("seed", 0)))
    loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=False)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    before = [p.detach().clone() for p in model.parameters()]
    try:
        result = train(model, loader, optimizer, torch.nn.CrossEntropyLoss(), device)
    except Exception as exc:
        return {"ok": False, "error": error_fact(exc)}
    facts: dict[str, Any] = {"ok": True, "returned": type(result).__name__}
    if isinstance(result, (int, float)) and not isinstance(result, bool):
        facts["value"] = float(result)
    if values and before:
        facts["changed"] = any(
            not torch.equal(a, b.detach()) for a, b in zip(before, model.parameters(), strict=True)
        )
    return facts


def _predict(
    ns: dict[str, Any], model: Any, x: Any, device: Any, error_fact: Any, values: bool
) -> dict[str, Any]:
    import numpy as np
    import torch

    predict = ns.get("predict")
    if not callable(predict):
        return {"missing": True}
    try:
        result = predict(model, x, device)
    except Exception as exc:
        return {"ok": False, "error": error_fact(exc)}
    facts: dict[str, Any] = {"ok": True, "returned": type(result).__name__}
    if isinstance(result, (np.ndarray, torch.Tensor)):
        facts["shape"] = [int(s) for s in result.shape]
        facts["dtype"] = str(result.dtype).replace("torch.", "")
    if isinstance(result, torch.Tensor):
        facts["tensor_device"] = result.device.type
    if values and isinstance(result, np.ndarray) and result.shape == (len(x),):
        with torch.no_grad():
            wanted = model(x.to(device)).argmax(dim=1).cpu().numpy()
        facts["equal"] = bool(np.array_equal(result.astype(np.int64), wanted))
    return facts
