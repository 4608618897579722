"""Checker for exercise 8: channels-last colour images, and one device for everything.

`setup` hands the learner `X` and `y` from the built-in rgb set and, on a machine with
no GPU, installs a simulated one (tutor.checks.accelerator), so that a model or a batch
left on the CPU fails exactly as on real hardware. The probe then calls the learner's
functions with a GPU device, and, when the GPU is simulated, a second time on the CPU to
look at real values (the simulated GPU keeps none).
"""

from __future__ import annotations

import re
from typing import Any

from tutor.checks import Part
from tutor.checks.compare import fmt_shape

PARAMS = {"n": 256, "train_n": 96, "predict_n": 64, "seed": 0}

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
    ns["X"], ns["y"] = X, y


def probe(ns: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    import torch

    from tutor.checks.probes import count_params, error_fact, value_facts

    X, y = _given["X"], _given["y"]
    gpu = torch.device("cuda")
    simulated = _given.get("accelerator") == "simulated"
    facts: dict[str, Any] = {"n": len(y), "accelerator": _given.get("accelerator")}
    facts["device"] = _device_facts(ns)
    facts["X_t"] = value_facts(ns.get("X_t"), missing="X_t" not in ns)
    facts["X_t"]["match"] = _layout(ns.get("X_t"), X)

    x_ref = torch.from_numpy(X.transpose(0, 3, 1, 2) / 255.0).float()
    y_ref = torch.from_numpy(y).long()
    model = ns.get("model")
    if not isinstance(model, torch.nn.Module):
        facts["model"] = value_facts(model, missing="model" not in ns)
        return facts
    # A simulated GPU reports its tensors as cuda, so this reads the same on both.
    devices = sorted({p.device.type for p in model.parameters()})
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
    return facts


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


def _layout(value: Any, X: Any) -> str | None:
    """How X_t's numbers relate to X: transposed and scaled, reshaped, raw ..."""
    import numpy as np
    import torch

    if not isinstance(value, torch.Tensor) or value.numel() != X.size:
        return None
    if value.is_meta or value.device.type == "cuda":
        return "on-device"
    array = value.detach().cpu().double().numpy()
    moved = X.transpose(0, 3, 1, 2).astype(np.float64)
    n = X.shape[0]
    if array.shape == moved.shape:
        if np.allclose(array, moved / 255.0, atol=1e-6):
            return "scaled"
        if np.array_equal(array, moved):
            return "raw"
    flat = array.reshape(n, -1)
    if np.allclose(flat, X.reshape(n, -1) / 255.0, atol=1e-6):
        return "reshaped"
    if np.array_equal(flat, X.reshape(n, -1).astype(np.float64)):
        return "reshaped-raw"
    return "different"


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


# -- judging, in the tutor -------------------------------------------------------------

_MISMATCH = re.compile(r"same device|should be the same|Expected .* to be on|different devices")


def judge(facts: dict[str, Any]) -> list[Part]:
    simulated = facts.get("accelerator") == "simulated"
    gpu = "the (simulated) GPU" if simulated else "the GPU"
    return [
        _judge_device(facts.get("device", {}), gpu),
        _judge_x(facts.get("X_t", {}), int(facts.get("n", 0))),
        _judge_model_device(facts.get("model", {}), facts.get("device", {})),
        _judge_model_output(facts.get("model", {})),
        _judge_batches(facts.get("train"), facts.get("model", {})),
        _judge_loss(facts.get("train_cpu") or facts.get("train")),
        _judge_predict(facts.get("predict"), facts.get("predict_cpu"), facts.get("model", {})),
    ]


def _judge_device(device: dict[str, Any], gpu: str) -> Part:
    pid = "device"
    kind = device.get("kind")
    choose = 'torch.device("cuda" if torch.cuda.is_available() else "cpu")'
    if kind in ("missing", "none"):
        verb = "is not defined" if kind == "missing" else "is still None"
        return Part(pid, False, f"`device` {verb}: set it to {choose}.")
    if kind == "other":
        return Part(pid, False, f"`device` is a {device.get('type')}; set it to {choose}.")
    if device.get("type") != "cuda":
        return Part(
            pid,
            False,
            (
                f"`device` is {device.get('type')}, although {gpu} is available: choose it with "
                f"{choose}, so the same file uses a GPU where there is one."
            ),
        )
    how = "torch.device('cuda')" if kind == "device" else f"the text {device.get('value')!r}"
    return Part(pid, True, f"`device` is {how}, so {gpu} is used.")


def _judge_x(facts: dict[str, Any], n: int) -> Part:
    pid = "x-layout"
    want = (n, 3, 32, 32)
    kind = facts.get("kind")
    if kind in ("missing", "none"):
        verb = "is not defined" if kind == "missing" else "is still None"
        return Part(
            pid,
            False,
            (
                f"`X_t` {verb}: make it a float32 tensor {fmt_shape(want)} in [0, 1], channels "
                "moved with np.transpose(X, (0, 3, 1, 2))."
            ),
        )
    if kind != "tensor":
        return Part(
            pid,
            False,
            (f"`X_t` is a {facts.get('type')}, not a torch tensor: use torch.from_numpy(...)."),
        )
    shape = tuple(facts.get("shape") or ())
    match = facts.get("match")
    if match == "on-device":
        return Part(
            pid,
            False,
            (
                "`X_t` was moved to the GPU as a whole. Keep the dataset on the CPU and move each "
                "minibatch inside the loop: a real dataset rarely fits in GPU memory."
            ),
        )
    if shape == (n, 32, 32, 3):
        return Part(
            pid,
            False,
            (
                f"`X_t` is {fmt_shape(shape)}: channels are still last. PyTorch wants them second: "
                "np.transpose(X, (0, 3, 1, 2)) or .permute(0, 3, 1, 2)."
            ),
        )
    if shape != want:
        return Part(
            pid, False, f"`X_t` has shape {fmt_shape(shape)}; it should be {fmt_shape(want)}."
        )
    if match in ("reshaped", "reshaped-raw"):
        return Part(
            pid,
            False,
            (
                "`X_t` has the right shape but scrambled pixels: a reshape to (N, 3, 32, 32) keeps "
                "the memory order of (N, 32, 32, 3), so each 'channel' mixes rows of all three "
                "colours. Move the axis with a transpose: np.transpose(X, (0, 3, 1, 2)) or "
                ".permute(0, 3, 1, 2)."
            ),
        )
    if facts.get("dtype") != "float32":
        return Part(
            pid,
            False,
            (f"`X_t` is {facts.get('dtype')}; the model's weights are float32: add .float()."),
        )
    if match == "raw":
        return Part(
            pid,
            False,
            (
                f"`X_t` runs from {facts.get('min'):g} to {facts.get('max'):g}: divide by 255 "
                "so the pixels lie in [0, 1]."
            ),
        )
    if match != "scaled":
        return Part(
            pid,
            False,
            (
                "`X_t` does not hold X's pixels divided by 255 in the transposed order: build it "
                "from X with np.transpose(X, (0, 3, 1, 2)), .float() and / 255."
            ),
        )
    return Part(
        pid, True, f"`X_t` is float32 {fmt_shape(want)}, channels moved by a transpose, in [0, 1]."
    )


def _judge_model_device(model: dict[str, Any], device: dict[str, Any]) -> Part:
    pid = "model-device"
    if model.get("kind") != "module":
        what = "is not defined" if model.get("kind") == "missing" else f"is {model.get('kind')}"
        return Part(pid, False, f"`model` {what}: build it with SmallNet().to(device).")
    where = model.get("devices") or []
    wanted = device.get("type")
    on = ", ".join(where) or "nowhere (no parameters)"
    if wanted not in ("cuda", "cpu"):
        return Part(pid, False, "Not checked yet: `device` is not a device (see the device part).")
    if where == [wanted]:
        return Part(pid, True, f"`model`'s parameters are on {wanted}, the chosen device.")
    return Part(
        pid,
        False,
        (
            f"`model`'s parameters are on {on}, but `device` is {wanted}: the model was never "
            "moved. Call .to(device) once, right after building it: model = SmallNet().to(device)."
        ),
    )


def _judge_model_output(model: dict[str, Any]) -> Part:
    pid = "model-output"
    if model.get("kind") != "module":
        return Part(pid, False, "Not checked yet: there is no model (see the model-device part).")
    out = model.get("output", {})
    if "error" in out:
        error = out["error"]
        return Part(
            pid,
            False,
            (
                f"A (4, 3, 32, 32) batch on the device made the model raise {error.get('type')}: "
                f"{error.get('message')}"
            ),
        )
    shape = tuple(out.get("shape") or ())
    if shape != (4, 10):
        return Part(
            pid, False, f"A (4, 3, 32, 32) batch gives {fmt_shape(shape)}; it should give (4, 10)."
        )
    return Part(pid, True, "A (4, 3, 32, 32) batch on the device gives (4, 10) logits.")


def _judge_batches(train: dict[str, Any] | None, model: dict[str, Any]) -> Part:
    pid = "batch-device"
    if model.get("kind") != "module":
        return Part(pid, False, "Not checked yet: there is no model to train.")
    if not train or train.get("missing"):
        return Part(
            pid,
            False,
            (
                "`train_one_epoch` is not defined: define train_one_epoch(model, loader, "
                "optimizer, criterion, device)."
            ),
        )
    if train.get("ok"):
        return Part(
            pid,
            True,
            ("train_one_epoch moves every batch, images and labels, to the model's device."),
        )
    error = train.get("error", {})
    message = str(error.get("message", ""))
    if _MISMATCH.search(message):
        if "target" in message:
            return Part(
                pid,
                False,
                (
                    "In train_one_epoch the labels stay on the CPU while the model's output is on "
                    "the GPU, so the loss cannot compare them. Move both halves of the batch: "
                    "xb, yb = xb.to(device), yb.to(device)."
                ),
            )
        return Part(
            pid,
            False,
            (
                "In train_one_epoch a batch of images reaches the model while still on the CPU, "
                "and the model is on the GPU: PyTorch will not mix devices. Move each batch "
                "inside the loop: xb, yb = xb.to(device), yb.to(device)."
            ),
        )
    return Part(
        pid,
        False,
        (
            f"train_one_epoch(model, loader, optimizer, criterion, device) raised "
            f"{error.get('type')}: {message}"
        ),
    )


def _judge_loss(train: dict[str, Any] | None) -> Part:
    pid = "mean-loss"
    if not train or train.get("missing") or not train.get("ok"):
        return Part(
            pid, False, "Not checked yet: train_one_epoch did not finish (see batch-device)."
        )
    returned = train.get("returned")
    if "value" not in train:
        if returned == "Tensor":
            return Part(
                pid,
                False,
                (
                    "train_one_epoch returns a tensor; return a Python float: add up loss.item() "
                    "for each batch and divide by the number of batches."
                ),
            )
        return Part(
            pid,
            False,
            (
                f"train_one_epoch returns {returned}; it should return the epoch's mean loss, a "
                "float (total of loss.item() / number of batches)."
            ),
        )
    if train.get("changed") is False:
        return Part(
            pid,
            False,
            (
                "train_one_epoch did not change the model's weights: call loss.backward() and "
                "optimizer.step() for every batch."
            ),
        )
    value = train["value"]
    if not value == value or value in (float("inf"), float("-inf")) or value <= 0:
        return Part(
            pid,
            False,
            f"train_one_epoch returned {value}; a mean cross-entropy is a positive number.",
        )
    return Part(
        pid, True, f"train_one_epoch trains the model and returns its mean loss ({value:.3f})."
    )


def _judge_predict(
    predict: dict[str, Any] | None, on_cpu: dict[str, Any] | None, model: dict[str, Any]
) -> Part:
    pid = "predict"
    if model.get("kind") != "module":
        return Part(pid, False, "Not checked yet: there is no model to predict with.")
    if not predict or predict.get("missing"):
        return Part(pid, False, "`predict` is not defined: define predict(model, X_t, device).")
    if not predict.get("ok"):
        error = predict.get("error", {})
        message = str(error.get("message", ""))
        if "numpy" in message and "cpu" in message.lower():
            return Part(
                pid,
                False,
                (
                    "predict calls .numpy() on a tensor that is still on the GPU; NumPy can only "
                    "read CPU memory. Bring it back first: .detach().cpu().numpy()."
                ),
            )
        if _MISMATCH.search(message):
            return Part(
                pid,
                False,
                (
                    "predict hands the model X_t while it is on the CPU and the model is on the "
                    "GPU: move the images first, model(X_t.to(device))."
                ),
            )
        return Part(
            pid, False, f"predict(model, X_t, device) raised {error.get('type')}: {message}"
        )
    returned = predict.get("returned")
    if returned == "Tensor":
        return Part(
            pid,
            False,
            (
                "predict returns a torch tensor, not a NumPy array: end with "
                ".detach().cpu().numpy() to bring the predictions back to the CPU as NumPy."
            ),
        )
    if returned != "ndarray":
        return Part(pid, False, f"predict returns a {returned}; it should return a NumPy array.")
    checked = on_cpu if on_cpu is not None else predict
    if not checked.get("ok", False):
        return Part(
            pid, False, "predict works on the GPU but failed on the CPU: use its device argument."
        )
    n = len(checked.get("shape") or [])
    if checked.get("equal") is False or n != 1:
        return Part(
            pid,
            False,
            (
                "predict's array is not the class with the largest logit for each image: return "
                "logits.argmax(dim=1), one class per image."
            ),
        )
    return Part(pid, True, "predict returns a NumPy array with the predicted class of each image.")
