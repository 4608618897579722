"""Loss capture inside a job: series, steps, epochs, the throttle, and functional losses.

Used by the tracer (``tutor.sandbox.trace``); see its docstring for the events. A series is
one loss name for one model. Each value counts a step; the DataLoader pass that fed the
latest batch is the epoch. Values are sent at most ``max_rate`` a second (the first and the
last of each series always); per-epoch means are exact over every step, sent or not, and
when steps were thinned a ``note`` event says how many were charted.

Functional losses (``F.cross_entropy``, ``F.nll_loss``, ``F.mse_loss`` ...) are captured
like loss modules: ``FUNCTIONAL_LOSSES`` names the ones patched in ``torch.nn.functional``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from tutor import events

Emit = Callable[[events.Event], None]
_SERIAL_ATTR = "_cnntutor_iter_serial"

FUNCTIONAL_LOSSES = (
    "cross_entropy",
    "nll_loss",
    "mse_loss",
    "l1_loss",
    "smooth_l1_loss",
    "huber_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "kl_div",
    "poisson_nll_loss",
    "gaussian_nll_loss",
    "soft_margin_loss",
    "multilabel_soft_margin_loss",
    "multi_margin_loss",
    "margin_ranking_loss",
    "hinge_embedding_loss",
    "cosine_embedding_loss",
    "triplet_margin_loss",
)


def note_event(text: str) -> events.Note:
    """A ``note`` event: something the learner should know about the run itself."""
    return events.Note(text=text)


def loss_event(
    value: float, step: int, epoch: int | None, name: str, root: str | None
) -> events.Loss:
    """A ``loss`` event (``name`` is sent only when it is not ``loss``)."""
    return events.Loss(value=value, step=step, epoch=epoch, name=name, root=root)


def epoch_event(epoch: int, mean: float, steps: int, root: str | None) -> events.Epoch:
    """An ``epoch`` event: the exact mean of every step of one epoch of one series."""
    return events.Epoch(epoch=epoch, mean_loss=mean, steps=steps, root=root)


@dataclass
class Series:
    """Running state of one loss series."""

    label: str | None
    name: str
    step: int = 0
    sent: int = 0
    feed: int | None = None
    auto_epoch: int = 0
    epoch: int | None = None
    epoch_steps: int = 0
    epoch_sum: Any = None
    epoch_low: float = math.inf
    epoch_high: float = -math.inf
    seen: list[tuple[int, float]] = field(default_factory=list)
    pending: tuple[Any, int, int | None] | None = None
    broken: bool = False
    last_finite: tuple[int, float] | None = None


class Watcher:
    """What the training-loop doctor wants to hear about losses (all no-ops here)."""

    def not_finite(self, series: Series, value: float, step: int, epoch: int | None) -> None:
        """A loss value that is NaN or infinite."""

    def epoch_closed(self, series: Series, mean: float) -> None:
        """One epoch of a series ended (low/high/steps are still those of that epoch)."""


class Losses:
    """Every loss series of a job, with epochs told by the DataLoader feeding the batches."""

    def __init__(self, send: Emit, *, max_rate: float, watcher: Watcher | None = None) -> None:
        self._send = send
        self._interval = 1.0 / max_rate if max_rate > 0 else 0.0
        self._rate = max_rate
        self._last_sent = float("-inf")
        self.series: dict[tuple[str, str | None], Series] = {}
        self.feed: int | None = None
        self.auto = True
        self.watcher = watcher or Watcher()

    def loss(self, value: Any, root: str | None) -> None:
        """Count one loss module or functional loss result in the series of `root`."""
        if not isinstance(value, torch.Tensor) or value.numel() != 1:
            return
        try:
            self.record("loss", value.detach(), root=root)
        except Exception:
            pass

    def record(
        self,
        name: str,
        value: Any,
        *,
        step: int | None = None,
        epoch: int | None = None,
        root: str | None = None,
        explicit: bool = False,
    ) -> None:
        """Add one value to a series: count its step, sum its epoch, send it unless throttled."""
        if explicit and name == "loss":
            self.auto = False
        key = (name, root)
        series = self.series.get(key)
        if series is None:
            series = self.series[key] = Series(root, name)
        series.step = step if step is not None else series.step + 1
        if epoch is None:
            epoch = self._auto_epoch(series)
        if epoch != series.epoch:
            self._close_epoch(series)
            series.epoch = epoch
        number: float | None = None
        if not isinstance(value, torch.Tensor):
            number = float(value)
        elif value.device.type == "cpu":
            number = float(value)  # no device sync on the CPU: every step is looked at
        if number is not None:
            series.epoch_low = min(series.epoch_low, number)
            series.epoch_high = max(series.epoch_high, number)
            if not math.isfinite(number):
                self._not_finite(series, number, series.step, epoch)
            else:
                series.last_finite = (series.step, number)
        if epoch is not None:
            series.epoch_steps += 1
            self._add(series, value if number is None else number)
        now = time.monotonic()
        if series.sent == 0 or now - self._last_sent >= self._interval:
            self._last_sent = now
            series.pending = None
            self._send_loss(series, value if number is None else number, series.step, epoch)
        else:
            series.pending = (value if number is None else number, series.step, epoch)

    def _add(self, series: Series, value: Any) -> None:
        total = series.epoch_sum
        if isinstance(value, torch.Tensor):
            if total is None:
                series.epoch_sum = total = torch.zeros((), dtype=torch.float64, device=value.device)
            if isinstance(total, torch.Tensor) and total.device == value.device:
                total.add_(value.reshape(()))
            else:
                series.epoch_sum = float(total) + float(value)
        else:
            series.epoch_sum = value if total is None else total + value

    def _not_finite(self, series: Series, value: float, step: int, epoch: int | None) -> None:
        if not series.broken:
            series.broken = True
            self.watcher.not_finite(series, value, step, epoch)

    def _auto_epoch(self, series: Series) -> int | None:
        feed = self.feed
        if feed is None:
            return None
        if feed != series.feed:
            series.feed = feed
            series.auto_epoch += 1
        return series.auto_epoch

    def _send_loss(self, series: Series, value: Any, step: int, epoch: int | None) -> None:
        number = float(value.item()) if isinstance(value, torch.Tensor) else float(value)
        if len(series.seen) < 64 or step % 8 == 0:
            series.seen.append((step, number))
            del series.seen[:-256]
        if not math.isfinite(number):
            self._not_finite(series, number, step, epoch)
        elif series.last_finite is None or series.last_finite[0] < step:
            series.last_finite = (step, number)
        series.sent += 1
        self._send(loss_event(number, step, epoch, series.name, series.label))

    def _close_epoch(self, series: Series) -> None:
        if series.epoch is not None and series.epoch_steps and series.name == "loss":
            total = series.epoch_sum
            if isinstance(total, torch.Tensor):
                total = total.item()
            mean = float(total) / series.epoch_steps
            self._send(epoch_event(series.epoch, mean, series.epoch_steps, series.label))
            if not math.isfinite(mean):
                self._not_finite(series, mean, series.step, series.epoch)
            self.watcher.epoch_closed(series, mean)
        series.epoch, series.epoch_steps, series.epoch_sum = None, 0, None
        series.epoch_low, series.epoch_high = math.inf, -math.inf

    def flush(self) -> None:
        """Send the values held back by the throttle, close every open epoch, note thinning."""
        for series in self.series.values():
            try:
                if series.pending is not None:
                    value, step, epoch = series.pending
                    series.pending = None
                    self._send_loss(series, value, step, epoch)
                self._close_epoch(series)
            except Exception:
                series.pending = None
            if series.sent < series.step and series.name == "loss":
                self._send(note_event(thinned_text(series, self._rate)))

    def functional(self, name: str, original: Callable[..., Any], owner: Any) -> Callable[..., Any]:
        """A stand-in for ``torch.nn.functional.<name>`` that captures its value like a module.

        `owner` is the tracer: its ``busy`` flag marks a call inside another module or loss
        call (nn.CrossEntropyLoss calls F.cross_entropy: counted once), its
        ``functional_failed`` records a failing call for the explanation, and its
        ``last_root`` names the series.
        """
        losses = self

        def loss_function(*args: Any, **kwargs: Any) -> Any:
            if owner.busy:
                return original(*args, **kwargs)
            owner.busy = True
            try:
                result = original(*args, **kwargs)
            except BaseException as exc:
                owner.functional_failed(name, args, exc)
                raise
            finally:
                owner.busy = False
            if losses.auto and torch.is_grad_enabled():
                losses.loss(result, owner.last_root)
            return result

        loss_function.__wrapped__ = original  # type: ignore[attr-defined]
        loss_function.__name__ = name
        return loss_function

    def module_call(self, original: Callable[..., Any], owner: Any) -> Callable[..., Any]:
        """A stand-in for ``_Loss.__call__`` (every loss module): its failure is noted for the
        explanation, its one-value result counted in the series of ``owner.last_root``."""
        losses = self

        def __call__(module: torch.nn.Module, *args: Any, **kwargs: Any) -> Any:
            outer = not owner.busy
            owner.busy = True
            try:
                result = original(module, *args, **kwargs)
            except BaseException as exc:
                owner.loss_module_failed(module, args, exc, outer)
                raise
            finally:
                if outer:
                    owner.busy = False
            if losses.auto and torch.is_grad_enabled():
                losses.loss(result, owner.last_root)
            return result

        __call__.__wrapped__ = original  # type: ignore[attr-defined]
        return __call__

    def loader_iter(self, original: Callable[..., Any]) -> Callable[..., Any]:
        """A stand-in for ``DataLoader.__iter__`` that numbers each fresh iterator."""
        serial = [0]

        def __iter__(loader: Any) -> Any:
            iterator = original(loader)
            serial[0] += 1
            try:
                setattr(iterator, _SERIAL_ATTR, serial[0])
            except Exception:
                pass
            return iterator

        __iter__.__wrapped__ = original  # type: ignore[attr-defined]
        return __iter__

    def loader_next(self, original: Callable[..., Any]) -> Callable[..., Any]:
        """A stand-in for a DataLoader iterator's ``__next__``: the batch's pass is the feed
        that tells epochs apart."""
        losses = self

        def __next__(iterator: Any) -> Any:
            batch = original(iterator)
            losses.feed = getattr(iterator, _SERIAL_ATTR, None)
            return batch

        __next__.__wrapped__ = original  # type: ignore[attr-defined]
        return __next__


def thinned_text(series: Series, rate: float) -> str:
    """The note that says how many of a series' steps were charted."""
    model = f" of {series.label}" if series.label else ""
    return (
        f"The loss{model} was charted at {series.sent} of its {series.step} steps "
        f"(at most {rate:g} a second, so the display keeps up); the per-epoch means "
        "use every step."
    )
