"""Checker for exercise 8: channels-last colour images, and one device for everything.

The probe (probe.py) runs the learner's functions on a GPU device, simulated where there
is none, and reports where the model and the batches were: those device parts are judged
from what the probe saw inside the answer's process. `X_t`'s layout and whether the model's
outputs follow its input are the referee's (referee.py), found outside.
"""

from __future__ import annotations

import re
from typing import Any

from tutor.checks import Part
from tutor.checks.compare import fmt_shape

PARAMS = {"n": 256, "train_n": 96, "predict_n": 64, "seed": 0}

# -- judging, in the tutor -------------------------------------------------------------

_MISMATCH = re.compile(r"same device|should be the same|Expected .* to be on|different devices")


def judge(facts: dict[str, Any], referee: dict[str, Any] | None = None) -> list[Part]:
    simulated = facts.get("accelerator") == "simulated"
    gpu = "the (simulated) GPU" if simulated else "the GPU"
    found = referee or {}
    tampered = facts.get("tampered")
    if tampered:
        device_parts = ("device", "model-device", "batch-device", "mean-loss", "predict")
        untrusted = f"Not checked: {tampered}. Leave torch and torch.cuda as they are."
        return [
            *(Part(pid, False, untrusted) for pid in device_parts[:1]),
            _judge_x(_x_outside(facts.get("X_t", {}), found), int(found.get("n") or 0)),
            Part("model-device", False, untrusted),
            _judge_model_output(facts.get("model", {}), found),
            *(Part(pid, False, untrusted) for pid in device_parts[2:]),
        ]
    return [
        _judge_device(facts.get("device", {}), gpu),
        _judge_x(_x_outside(facts.get("X_t", {}), found), int(found.get("n") or facts.get("n", 0))),
        _judge_model_device(facts.get("model", {}), facts.get("device", {})),
        _judge_model_output(facts.get("model", {}), found),
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


def _x_outside(claimed: dict[str, Any], found: dict[str, Any]) -> dict[str, Any]:
    """X_t as the referee found it; what the probe said only where it is not a tensor."""
    if claimed.get("kind") != "tensor":
        return claimed
    why = found.get("evidence") or "the check did not get as far as handing it over"
    return found.get("X_t") or {"kind": "unchecked", "why": why}


def _judge_x(facts: dict[str, Any], n: int) -> Part:
    pid = "x-layout"
    want = (n, 3, 32, 32)
    kind = facts.get("kind")
    if kind == "unchecked":
        return Part(pid, False, f"The tutor could not check `X_t` itself ({facts.get('why')}).")
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


def _judge_model_output(model: dict[str, Any], found: dict[str, Any]) -> Part:
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
    if not found.get("input_used"):
        why = found.get("evidence") or found.get("outputs_error")
        if why:
            return Part(pid, False, f"The tutor could not compare the model's outputs ({why}).")
        return Part(
            pid,
            False,
            (
                "The model's outputs do not depend on its input: two different batches gave "
                "the same logits. forward must compute its result from x, the batch it is given."
            ),
        )
    return Part(
        pid,
        True,
        "A (4, 3, 32, 32) batch on the device gives (4, 10) logits, and they follow the input.",
    )


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
