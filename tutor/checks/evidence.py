"""Evidence for the referee: what a probe hands over, and the seeded values both ends share.

A probe runs beside the answer, in the learner's process, so nothing it *says* decides a
pass. What it can hand over is evidence that only a correct answer produces: the model's
weights, filled from a challenge seed that the answer's code could not know while it was
defining things, and the model's outputs on challenge inputs made from the same seed. The
referee (tutor.checks.referee, in a process that never runs learner code) rebuilds the
inputs and the weights from the seed, runs its own reference model and compares.

The probe side (`challenge`, `model_evidence`, `save`) runs in the job and hands the
evidence to the worker over the challenge socket; `seeded_value` and
`challenge_inputs` are the one home of the seeded values, imported by both ends. torch is
imported inside the functions, never when the tutor imports this module.
"""

from __future__ import annotations

import math
import os
from typing import Any

MAX_EVIDENCE_BYTES = 16 * 1024 * 1024
# Buffers a layer keeps beside its parameters: never counted as parameters.
BUFFERS = ("running_mean", "running_var", "num_batches_tracked")

# Set by the job runner (tutor.sandbox.job) only after the answer's module has run: the
# descriptor on which the worker answers one request for this job's challenge seed, and
# then takes one piece of evidence (see `save`).
_challenge_fd: int | None = None
_evidence_fd: int | None = None
# The evidence's frame on that socket: its length, then its bytes (torch.save's).
HEADER_BYTES = 8


class NoChallenge(RuntimeError):
    """The worker gave no challenge seed (already asked once, or no channel)."""


def challenge() -> int:
    """This job's challenge seed, asked of the worker once; NoChallenge if it gives none."""
    global _challenge_fd, _evidence_fd
    fd, _challenge_fd = _challenge_fd, None
    if fd is None:
        raise NoChallenge("no challenge channel")
    data = b""
    try:
        os.write(fd, b"?")
        while chunk := os.read(fd, 64):
            data += chunk
            if data.endswith(b"\n"):
                break
    except OSError as exc:
        _close(fd)
        raise NoChallenge(f"the challenge channel failed: {exc}") from exc
    try:
        seed = int(data.strip())
    except ValueError:
        _close(fd)
        raise NoChallenge("the worker gave no challenge seed (asked before the probe)") from None
    _evidence_fd = fd  # the same socket takes the evidence, once
    return seed


def _close(fd: int) -> None:
    try:
        os.close(fd)
    except OSError:
        pass


def seeded_value(seed: int, index: int, name: str, shape: tuple[int, ...]) -> Any:
    """The value the `index`-th entry of a state dict gets from `seed` (float32).

    Weights get a fan-in scale, BatchNorm scales and running variances stay positive, and
    everything else (biases, shifts, running means) is small and non-zero: so a layer that
    is declared but skipped, or a BatchNorm computed and thrown away, changes the output.
    """
    import torch

    g = torch.Generator().manual_seed((seed * 1_000_003 + index) % (2**63))
    suffix = name.rsplit(".", 1)[-1]
    u = torch.rand(shape, generator=g, dtype=torch.float32)
    if suffix == "running_var":
        return 0.5 + 1.5 * u
    if len(shape) >= 2:
        fan_in = math.prod(shape[1:]) or 1
        bound = 1.0 / math.sqrt(fan_in)
        return (2 * u - 1) * bound
    if suffix == "weight":
        return 0.5 + u
    return u - 0.5


def challenge_inputs(seed: int, shape: tuple[int, ...]) -> tuple[Any, Any]:
    """Two different input batches of `shape`, made from `seed`."""
    import torch

    g = torch.Generator().manual_seed(seed % (2**63))
    return torch.randn(shape, generator=g), torch.randn(shape, generator=g)


def plain(value: Any) -> Any:
    """A plain CPU tensor holding `value`'s numbers (no subclass, no graph), or None."""
    import torch

    if not isinstance(value, torch.Tensor) or value.is_meta:
        return None
    data = value.detach()
    if data.device.type != "cpu":
        data = data.to("cpu")
    out = torch.empty(tuple(data.shape), dtype=data.dtype)
    with torch.no_grad():
        torch.Tensor.copy_(out, data)
    return out


def model_evidence(model: Any, seed: int, input_shape: tuple[int, ...]) -> dict[str, Any]:
    """Fill `model`'s weights from `seed`, then record them and its outputs on the challenge.

    The outputs are taken in eval mode on two inputs, then in train mode on the first (where
    BatchNorm uses the batch's own statistics). Never raises: a failure is recorded.
    """
    import torch
    import torch.nn as nn

    evidence: dict[str, Any] = {"seed": seed, "names": [], "tensors": []}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a batch of 8: more threads only wait on each other
    try:
        state = nn.Module.state_dict(model)  # the class's own, whatever the answer overrides
        with torch.no_grad():
            for index, (name, tensor) in enumerate(state.items()):
                if isinstance(tensor, torch.Tensor) and tensor.is_floating_point():
                    value = seeded_value(seed, index, name, tuple(tensor.shape))
                    torch.Tensor.copy_(tensor, value.to(tensor.dtype))
                evidence["names"].append(str(name))
                evidence["tensors"].append(plain(tensor))
        first, second = challenge_inputs(seed, input_shape)
        with torch.no_grad():
            nn.Module.train(model, False)
            evidence["eval"] = plain(model(first))
            evidence["eval_other"] = plain(model(second))
            nn.Module.train(model, True)
            evidence["train"] = plain(model(first))
    except Exception as exc:
        evidence["error"] = f"{type(exc).__name__}: {str(exc)[:300]}"
    finally:
        torch.set_num_threads(threads)
    return evidence


def save(evidence: dict[str, Any]) -> None:
    """Send the evidence to the worker on the challenge socket, once (length, then bytes).

    The job's folder is in its own private tmpfs, out of the tutor's reach: the worker
    takes the bytes (at most MAX_EVIDENCE_BYTES) and hands them to the tutor itself.
    """
    import io

    import torch

    global _evidence_fd
    fd, _evidence_fd = _evidence_fd, None
    if fd is None:
        raise NoChallenge("no evidence channel (ask for the challenge first, once)")
    try:
        buffer = io.BytesIO()
        torch.save(evidence, buffer)
        data = buffer.getvalue()
        if len(data) > MAX_EVIDENCE_BYTES:
            raise NoChallenge(
                f"the evidence is {len(data)} bytes, over the {MAX_EVIDENCE_BYTES} allowed"
            )
        view = memoryview(len(data).to_bytes(HEADER_BYTES, "big") + data)
        while view:
            view = view[os.write(fd, view) :]
    except OSError as exc:
        raise NoChallenge(f"the evidence channel failed: {exc}") from exc
    finally:
        _close(fd)
