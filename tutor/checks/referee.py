"""The referee: checks a probe's evidence in a process that never runs learner code.

The worker forks the referee once, right after importing torch and before it forks any
job, and hands it two pipes that lead straight to the tutor (the worker keeps no copy, so
no job ever holds them). The tutor sends one request per check: the exercise's
`referee.py` source (which stays out of every job), the challenge seed, the check's
parameters and the evidence bytes the probe left in the job's folder. The referee loads the
evidence with ``torch.load(weights_only=True)`` (tensors, numbers and strings only, after a
size check), runs the exercise's ``referee(evidence, seed, params)`` and answers with its
findings as JSON.

Frames on both pipes: an 8-byte big-endian length, then that many bytes.
"""

from __future__ import annotations

import io
import json
import os
import struct
import traceback
from typing import Any

from tutor.checks.evidence import BUFFERS, MAX_EVIDENCE_BYTES, challenge_inputs, seeded_value

MAX_REQUEST_BYTES = MAX_EVIDENCE_BYTES + 4 * 1024 * 1024
ATOL, RTOL = 1e-4, 1e-3


# -- frames ------------------------------------------------------------------------------


def write_frame(fd: int, data: bytes) -> None:
    view = memoryview(struct.pack(">Q", len(data)) + data)
    while view:
        view = view[os.write(fd, view) :]


def read_frame(fd: int, limit: int = MAX_REQUEST_BYTES) -> bytes | None:
    """One frame, or None at the end of the pipe; ValueError for an oversized one."""
    head = _read_exactly(fd, 8)
    if head is None:
        return None
    (size,) = struct.unpack(">Q", head)
    if size > limit:
        raise ValueError(f"a frame of {size} bytes is over the limit of {limit}")
    body = _read_exactly(fd, size)
    if body is None:
        return None
    return body


def _read_exactly(fd: int, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def pack_request(source: str, seed: int | None, params: dict[str, Any], evidence: bytes) -> bytes:
    head = json.dumps({"source": source, "seed": seed, "params": params}).encode()
    return struct.pack(">Q", len(head)) + head + evidence


def unpack_request(frame: bytes) -> tuple[dict[str, Any], bytes]:
    (size,) = struct.unpack(">Q", frame[:8])
    return json.loads(frame[8 : 8 + size]), frame[8 + size :]


# -- the process -------------------------------------------------------------------------


def serve(requests: int, answers: int) -> None:
    """The referee's loop: one request in, one JSON answer out, until the tutor goes."""
    import torch

    torch.set_num_threads(1)  # small batches: one thread is fastest, and leaves the job its CPU
    compiled: dict[str, dict[str, Any]] = {}
    while True:
        try:
            frame = read_frame(requests)
        except (ValueError, OSError):
            return
        if frame is None:
            return
        try:
            head, evidence = unpack_request(frame)
            source = str(head["source"])
            namespace = compiled.get(source)
            if namespace is None:
                namespace = {"__name__": "cnn_tutor_referee"}
                exec(compile(source, "referee.py", "exec"), namespace)
                compiled.clear()
                compiled[source] = namespace
            loaded = load_evidence(evidence)
            findings = namespace["referee"](loaded, head.get("seed"), head.get("params") or {})
            answer = {"findings": findings}
        except Exception as exc:  # noqa: BLE001 - the referee must answer, never die
            answer = {"error": "".join(traceback.format_exception_only(exc)).strip()[:600]}
        try:
            write_frame(answers, json.dumps(answer, default=str).encode())
        except OSError:
            return


def load_evidence(data: bytes) -> dict[str, Any] | None:
    """The probe's evidence, or None when there is none or it is not plain data."""
    if not data:
        return None
    if len(data) > MAX_EVIDENCE_BYTES:
        return {"unreadable": f"the evidence is over {MAX_EVIDENCE_BYTES // 2**20} MB"}
    import torch

    try:
        loaded = torch.load(io.BytesIO(data), weights_only=True, map_location="cpu")
    except Exception as exc:
        return {"unreadable": f"{type(exc).__name__}: {str(exc)[:200]}"}
    if not isinstance(loaded, dict):
        return {"unreadable": "the evidence is not a dict"}
    return loaded


# -- models ------------------------------------------------------------------------------


def _kind(entries: dict[str, Any]) -> str:
    """What a layer is, from its tensors: conv, linear, bn or other."""
    if "running_mean" in entries:
        return "bn"
    weight = entries.get("weight")
    if weight is not None and weight.dim() == 4:
        return "conv"
    if weight is not None and weight.dim() == 2:
        return "linear"
    return "other"


def _layers(names: list[str], tensors: list[Any]) -> list[tuple[str, dict[str, Any]]]:
    """State-dict entries grouped by layer, in order: (layer prefix, {suffix: tensor})."""
    layers: dict[str, dict[str, Any]] = {}
    for name, tensor in zip(names, tensors, strict=True):
        prefix, _, suffix = name.rpartition(".")
        layers.setdefault(prefix, {})[suffix] = tensor
    return list(layers.items())


def match_layers(
    names: list[str], tensors: list[Any], reference: Any
) -> tuple[dict[str, Any] | None, str | None]:
    """The learner's tensors as the reference's state dict, matched by layer kind, order
    and shape (any names pass); or None and why they do not fit."""
    ref_state = reference.state_dict()
    ref_layers = _layers(list(ref_state), list(ref_state.values()))
    mine = _layers(names, tensors)
    mapped: dict[str, Any] = {}
    for kind in ("conv", "bn", "linear", "other"):
        want = [(p, e) for p, e in ref_layers if _kind(e) == kind]
        have = [(p, e) for p, e in mine if _kind(e) == kind]
        if len(want) != len(have):
            label = {"conv": "conv", "bn": "BatchNorm", "linear": "linear"}.get(kind, "other")
            return None, (
                f"the model has {len(have)} {label} layer(s) with weights where the "
                f"reference has {len(want)}"
            )
        for (ref_prefix, ref_entries), (prefix, entries) in zip(want, have, strict=True):
            for suffix, ref_tensor in ref_entries.items():
                got = entries.get(suffix)
                shown = f"{prefix}.{suffix}" if prefix else suffix
                if got is None:
                    return None, f"`{prefix or 'the model'}` has no `{suffix}`"
                if tuple(got.shape) != tuple(ref_tensor.shape):
                    return None, (
                        f"`{shown}` has shape {tuple(got.shape)} where the reference's has "
                        f"{tuple(ref_tensor.shape)}"
                    )
                key = f"{ref_prefix}.{suffix}" if ref_prefix else suffix
                mapped[key] = got
            extra = sorted(set(entries) - set(ref_entries))
            if extra:
                return None, f"`{prefix}` holds {', '.join(extra)}, which the reference has not"
    return mapped, None


def count_params(names: list[str], tensors: list[Any]) -> int:
    """The parameters in a state dict, counted here: every entry but BatchNorm's buffers."""
    return sum(
        int(t.numel())
        for n, t in zip(names, tensors, strict=True)
        if n.rpartition(".")[2] not in BUFFERS
    )


def _outputs(model: Any, first: Any, second: Any) -> dict[str, Any]:
    import torch

    with torch.no_grad():
        model.eval()
        out = {"eval": model(first), "eval_other": model(second)}
        model.train()
        out["train"] = model(first)
    return out


def _same(a: Any, b: Any) -> bool:
    import torch

    return (
        isinstance(a, torch.Tensor)
        and isinstance(b, torch.Tensor)
        and a.shape == b.shape
        and a.dtype == b.dtype
        and bool(torch.allclose(a, b, rtol=RTOL, atol=ATOL))
    )


def check_model(
    evidence: dict[str, Any] | None,
    seed: int | None,
    reference: Any,
    input_shape: tuple[int, ...],
    variants: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Judge a model by its evidence against `reference` (an nn.Module, built here).

    Findings: `evidence` (why there is none or it is unusable, else None), `seeded`,
    `fits` (None, or why the weights do not fit the reference), `params` (counted here),
    `input_used`, `same` ({mode: bool}), `variant` (the name of the first of `variants`,
    same architecture with a different forward, whose outputs the answer's match) and
    `agrees`, true only when everything holds; and `reference_calls`, the reference's own
    forward pass recorded as the probe records the learner's (the reference diff's rows).
    """
    import torch

    findings: dict[str, Any] = {"agrees": False, "evidence": None}
    findings["reference_calls"] = reference_calls(reference, input_shape)
    if evidence is None:
        findings["evidence"] = "the check did not get as far as handing over the model"
        return findings
    if "unreadable" in evidence:
        findings["evidence"] = f"the model's evidence could not be read ({evidence['unreadable']})"
        return findings
    if seed is None or evidence.get("seed") != seed:
        findings["evidence"] = "the evidence was not made from this check's challenge"
        return findings
    if evidence.get("error"):
        findings["evidence"] = f"running the model on the challenge raised {evidence['error']}"
        return findings
    names, tensors = evidence.get("names"), evidence.get("tensors")
    if (
        not isinstance(names, list)
        or not isinstance(tensors, list)
        or len(names) != len(tensors)
        or not all(isinstance(n, str) for n in names)
        or not all(isinstance(t, torch.Tensor) for t in tensors)
    ):
        findings["evidence"] = "the model's weights were not handed over"
        return findings
    findings["params"] = count_params(names, tensors)
    seeded = True
    for index, (name, tensor) in enumerate(zip(names, tensors, strict=True)):
        if tensor.is_floating_point():
            value = seeded_value(seed, index, name, tuple(tensor.shape)).to(tensor.dtype)
            if not torch.equal(tensor, value):
                seeded = False
                break
    findings["seeded"] = seeded
    first, second = challenge_inputs(seed, input_shape)
    got: dict[str, Any] = {m: evidence.get(m) for m in ("eval", "eval_other", "train")}
    findings["input_used"] = (
        _tensor(got["eval"])
        and _tensor(got["eval_other"])
        and got["eval"].shape == got["eval_other"].shape
        and not bool(torch.allclose(got["eval"], got["eval_other"], atol=1e-6, rtol=0))
    )
    mapped, why = match_layers(names, tensors, reference)
    findings["fits"] = why
    if mapped is None:
        return findings
    reference.load_state_dict(mapped)
    want = _outputs(reference, first, second)
    findings["same"] = {mode: _same(got[mode], want[mode]) for mode in want}
    findings["output_shape"] = list(got["eval"].shape) if _tensor(got["eval"]) else None
    findings["variant"] = None
    if not all(findings["same"].values()):
        for label, variant in (variants or {}).items():
            variant.load_state_dict(mapped)
            other = _outputs(variant, first, second)
            if all(_same(got[mode], other[mode]) for mode in other):
                findings["variant"] = label
                break
    findings["agrees"] = bool(seeded and findings["input_used"] and all(findings["same"].values()))
    return findings


def reference_calls(reference: Any, input_shape: tuple[int, ...]) -> list[dict[str, Any]]:
    """The reference's forward pass on a batch of `input_shape`, call by call, recorded by
    the same code that records the learner's (tutor.checks.probes), in eval mode so no
    running statistic moves."""
    from tutor.checks.probes import forward_facts

    was_training = reference.training
    reference.eval()
    try:
        return list(forward_facts(reference, input_shape).get("calls") or [])
    finally:
        reference.train(was_training)


def _tensor(value: Any) -> bool:
    import torch

    return isinstance(value, torch.Tensor) and value.is_floating_point()
