"""The training-loop doctor: likely bugs in a run that did not fail, as ``warning`` events.

Each warning is sent once per run and kind, with the learner's line when one is on the
stack. What it watches for, and how, at no cost to a healthy step beyond a counter:

``zero-grad``
    ``optimizer.step()`` ran twice with no ``zero_grad()`` (of any optimizer or module) in
    between and the gradient tensors kept accumulating in place: each step then follows the
    sum of every batch's gradient so far. Gradient accumulation on purpose (a step every k
    batches, then zero_grad) has a zero_grad between steps and is not flagged.
``eval-mode``
    After training started (an optimizer step ran), a model holding BatchNorm or Dropout is
    called under ``torch.no_grad()`` while still in train mode: the evaluation uses batch
    statistics and drops units. A shape check before training is not flagged.
``nan-loss``
    A loss value is NaN or infinite: the step and epoch, the values before it, and the likely
    cause (a learning rate too high when the loss grew first, a log of 0 for an infinity).
    On the CPU every step is looked at; on a GPU, the steps that are sent.
``flat-loss``
    A loss that did not move over a whole epoch of at least ``FLAT_STEPS`` steps, or an epoch
    whose mean equals the epoch before's to a millionth of that (the weights did not
    change), with why it likely did not (no optimizer step ran, a learning rate of 0, an
    optimizer holding another model's parameters).
"""

from __future__ import annotations

import math
import os
import sys
import sysconfig
import weakref
from collections.abc import Callable
from typing import Any

import torch

from tutor import events
from tutor.sandbox.losses import Series, Watcher

Emit = Callable[[events.Event], None]
FLAT_STEPS = 8

_LIBRARIES = tuple(
    {
        os.path.dirname(torch.__file__),
        os.path.dirname(os.path.dirname(__file__)),
        sysconfig.get_paths()["stdlib"],
        sysconfig.get_paths()["purelib"],
    }
)
_NORMS = (torch.nn.modules.batchnorm._BatchNorm, torch.nn.modules.dropout._DropoutNd)


def warning_event(kind: str, message: str, line: int | None) -> events.Warning:
    """A ``warning`` event: a likely bug in a run that did not fail."""
    return events.Warning(kind=kind, message=message, line=line)


def learner_line() -> int | None:
    """The innermost line on the stack that is the learner's code (not torch, the tutor or
    the standard library)."""
    frame = sys._getframe(1)
    while frame is not None:
        name = frame.f_code.co_filename
        if not name.startswith(_LIBRARIES) and not name.startswith("<"):
            return frame.f_lineno
        frame = frame.f_back  # type: ignore[assignment]
    return None


def _number(value: float) -> str:
    return f"{value:.4g}"


class Doctor(Watcher):
    """Watches optimizer steps, zero_grad calls, evaluation calls and loss values."""

    def __init__(self, send: Emit, model_of: Callable[[str], torch.nn.Module | None]) -> None:
        self._send = send
        self._model_of = model_of
        self._warned: set[str] = set()
        self.steps = 0
        self._zeroed = 0
        self._last_step: dict[int, tuple[int, Any]] = {}
        self._optimizer: weakref.ref[torch.optim.Optimizer] | None = None
        self._epoch_steps: dict[int, int] = {}
        self._means: dict[int, float] = {}
        self._norms: dict[int, bool] = {}
        self._hook: Any = None
        self._last_lr: float | None = None

    # -- installation -------------------------------------------------------------------

    def install(self, patch: Callable[[type, str, Any], None]) -> None:
        """Hook every optimizer's step and wrap Optimizer/Module.zero_grad through `patch`."""
        from torch.optim.optimizer import register_optimizer_step_pre_hook

        self._hook = register_optimizer_step_pre_hook(self._before_step)
        for owner in (torch.optim.Optimizer, torch.nn.Module):
            patch(owner, "zero_grad", self._counting(owner.__dict__["zero_grad"]))

    def uninstall(self) -> None:
        """Remove the step hook (the tracer puts the zero_grad methods back)."""
        if self._hook is not None:
            self._hook.remove()
            self._hook = None

    def _counting(self, original: Callable[..., Any]) -> Callable[..., Any]:
        doctor = self

        def zero_grad(owner: Any, *args: Any, **kwargs: Any) -> Any:
            doctor._zeroed += 1
            return original(owner, *args, **kwargs)

        zero_grad.__wrapped__ = original  # type: ignore[attr-defined]
        return zero_grad

    # -- the watches --------------------------------------------------------------------

    def warn(self, kind: str, message: str, line: int | None = None) -> None:
        """Send one warning of this kind (later ones of the same kind are dropped)."""
        if kind in self._warned:
            return
        self._warned.add(kind)
        self._send(warning_event(kind, message, line))

    def _before_step(self, optimizer: torch.optim.Optimizer, args: Any, kwargs: Any) -> None:
        self.steps += 1
        self._optimizer = weakref.ref(optimizer)
        try:
            self._last_lr = float(optimizer.param_groups[0]["lr"])
            grad = next(
                (p.grad for g in optimizer.param_groups for p in g["params"] if p.grad is not None),
                None,
            )
            before = self._last_step.get(id(optimizer))
            self._last_step[id(optimizer)] = (self._zeroed, grad)
            if before is None or grad is None or "zero-grad" in self._warned:
                return
            zeroed, last_grad = before
            if zeroed == self._zeroed and last_grad is grad:
                self.warn(
                    "zero-grad",
                    "optimizer.step() ran again with no optimizer.zero_grad() since the last "
                    "step, so the gradients of every batch so far are added up and each step "
                    "follows their sum. Call optimizer.zero_grad() once per batch, before "
                    "loss.backward().",
                    learner_line(),
                )
        except Exception:
            pass

    def evaluating(self, model: torch.nn.Module, label: str | None) -> None:
        """A model called with gradients off: flag it when training started and it is still
        in train mode with BatchNorm or Dropout inside."""
        if not self.steps or not model.training or "eval-mode" in self._warned:
            return
        has = self._norms.get(id(model))
        if has is None:
            has = self._norms[id(model)] = any(isinstance(m, _NORMS) for m in model.modules())
        if not has:
            return
        kinds = sorted({type(m).__name__ for m in model.modules() if isinstance(m, _NORMS)})
        name = label or type(model).__name__
        self.warn(
            "eval-mode",
            f"{name} is evaluated under torch.no_grad() but is still in train mode, and it has "
            f"{' and '.join(kinds)}: BatchNorm then normalises with this batch's statistics "
            "and Dropout drops units, so the results are not the trained model's. Call "
            "model.eval() before evaluating, and model.train() before training again.",
            learner_line(),
        )

    def not_finite(self, series: Series, value: float, step: int, epoch: int | None) -> None:
        """A NaN or infinite loss: when, what came before, and the likely cause."""
        when = f"step {step}" + (f" of epoch {epoch}" if epoch is not None else "")
        what = "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
        finite = [(s, v) for s, v in series.seen if math.isfinite(v) and s < step]
        if series.last_finite is not None and series.last_finite[0] < step:
            finite.append(series.last_finite)
        history = ""
        cause = (
            "Look for a NaN in the data (torch.isnan(x).any()), a log of 0 or a division by "
            "0 in a hand-written loss, and try a smaller learning rate."
        )
        if finite:
            (s0, v0), (s1, v1) = finite[0], finite[-1]
            history = f" It was {_number(v0)} at step {s0}" + (
                f" and {_number(v1)} at step {s1}." if s1 != s0 else "."
            )
            if s1 != s0 and abs(v1) > 4 * abs(v0) + 1e-12:
                lr = self._lr()
                rate = f" (lr={lr:g})" if lr is not None else ""
                cause = (
                    f"The loss grew before it broke: the learning rate{rate} is too high, so "
                    "each step overshoots. Try one ten times smaller."
                )
        if what != "nan" and cause.startswith("Look"):
            cause = (
                "An infinite loss is usually a log of 0: probabilities of exactly 0 or 1 fed to "
                "a log or to F.binary_cross_entropy. Use F.cross_entropy on raw logits (or "
                "F.binary_cross_entropy_with_logits), which are stable; or lower the learning "
                "rate."
            )
        self.warn(
            "nan-loss",
            f"The loss became {what} at {when}.{history} {cause}",
            learner_line(),
        )

    def epoch_closed(self, series: Series, mean: float) -> None:
        """Flag an epoch whose loss did not move at all, or that averaged exactly what the
        epoch before it did (the weights did not change)."""
        epoch, steps = series.epoch, series.epoch_steps
        steps_before = self._epoch_steps.get(id(series), 0)
        self._epoch_steps[id(series)] = self.steps
        before = self._means.get(id(series))
        self._means[id(series)] = mean
        if steps < FLAT_STEPS or not math.isfinite(mean):
            return
        tiny = 1e-6 * max(1.0, abs(mean))
        low, high = series.epoch_low, series.epoch_high
        if math.isfinite(low) and math.isfinite(high) and high - low <= tiny:
            what = f"The loss stayed at {_number(mean)} for all {steps} steps of epoch {epoch}"
        elif before is not None and abs(before - mean) <= tiny:
            what = (
                f"The loss of epoch {epoch} averaged {_number(mean)}, exactly what the epoch "
                "before did (so the weights did not change)"
            )
        else:
            return
        guess = ""
        if mean > 0 and abs(round(math.exp(mean)) - math.exp(mean)) < 1e-3 * math.exp(mean):
            guess = (
                f" {_number(mean)} is ln({round(math.exp(mean))}), the loss of guessing every "
                "class equally."
            )
        why = self._why_flat(series, self.steps - steps_before)
        self.warn("flat-loss", f"{what}: the model is not learning.{guess} {why}")

    def _why_flat(self, series: Series, steps: int) -> str:
        if steps == 0:
            return "No optimizer.step() ran in that epoch: call it after loss.backward()."
        lr = self._lr()
        if lr == 0:
            return "The optimizer's learning rate is 0: give it a positive lr, e.g. lr=0.01."
        optimizer = self._optimizer() if self._optimizer else None
        model = self._model_of(series.label) if series.label else None
        if optimizer is not None and model is not None:
            held = {id(p) for g in optimizer.param_groups for p in g["params"]}
            if not any(id(p) in held for p in model.parameters()):
                return (
                    f"The optimizer holds none of {series.label}'s parameters: build it from "
                    "this model, optimizer = torch.optim.SGD(model.parameters(), ...), after "
                    "the model is created (and again if the model is re-created)."
                )
        return (
            "Check that loss.backward() and optimizer.step() run for every batch, that the "
            "loss is not computed from a detached tensor (.item(), .detach(), .data), and that "
            "the learning rate is not far too small."
        )

    def _lr(self) -> float | None:
        return self._last_lr
