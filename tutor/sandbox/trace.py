"""In-job instrumentation: per-layer shapes of each model's first forward pass, and losses.

Runs only inside a sandbox job, installed before the learner's code so that the script
needs no tutor imports. It emits `tutor.events` through the job's ``emit`` callable:

``shape``
    One event per module call of a model's first forward pass, in call order (a
    container's row before its children's, as torchinfo lists them). A model is a root
    module: one called while no other module call is in progress. Each root is traced on
    its first successful call only; later passes run untraced. Fields: ``module`` (dotted
    name, the root being its class name: ``SimpleCNN.conv1``), ``layer`` (``repr`` of a
    leaf module on one line, the class name of a container), ``depth`` (0 for the root),
    ``in`` (shapes of the tensor positional arguments, ``null`` for other arguments),
    ``out`` (a shape, or a list of shapes for tuple outputs), ``params`` (parameter count
    including children) and ``root`` (the root's class name, ``SimpleCNN#2`` for a second
    model of the same class). When a module call raises, in any pass, the innermost
    failing call is emitted with ``"out": null, "failed": true``; in a first pass the rows
    of the calls that had started before it come first, the unfinished containers among
    them with ``"out": null``. Modules called inside a DataLoader worker process and
    torchvision transforms are not traced.

``loss``
    ``value`` (float), ``step`` (1-based count of calls in that series), ``epoch`` (int or
    null), and ``root`` (the model most recently called with gradients on) when known. A
    series is one loss name for one model, so the plain and the BatchNorm model of an
    exercise each get steps and epochs counted from 1. Every call of a loss module (a
    subclass of ``torch.nn.modules.loss._Loss``: CrossEntropyLoss, MSELoss, NLLLoss ...)
    returning one value is captured; functional losses are not (a script may call
    ``cnntutor.report``). Loss calls made while gradients are off (an evaluation under
    ``torch.no_grad()``) are skipped, so the training series stays clean. Events are
    throttled to ``max_rate`` a second; the first of each series is always sent, and
    ``flush`` sends the last one held back.

``epoch``
    ``epoch``, ``mean_loss`` (exact mean of every step of that epoch, throttled or not),
    ``steps``, and ``root`` when known; sent when a series' next epoch starts and at
    ``flush``. An epoch is one fresh ``iter()`` of the DataLoader that yielded the latest
    batch, so evaluating on a test loader in between starts no epoch; without a
    DataLoader, ``epoch`` is null and no epoch events are sent.

Cost: ``Module.__call__`` gets one thin Python wrapper (a flag test for every call after a
model's first pass), loss calls add a detached in-place sum and no device sync, and
``.item()`` runs only when an event is sent. A failing call is identified by exception
handlers in that wrapper, which cost nothing until something raises.
"""

from __future__ import annotations

import os
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch.nn.modules.loss import _Loss
from torch.utils.data.dataloader import DataLoader, _BaseDataLoaderIter

from tutor import events
from tutor.events import Event

Emit = Callable[[Event], None]
Shape = list[int] | None

_ACTIVE: Tracer | None = None
_SERIAL_ATTR = "_cnntutor_iter_serial"


def active() -> Tracer | None:
    """The tracer installed in this process, if any."""
    return _ACTIVE


def tensor_shape(value: object) -> Any:
    """A tensor's shape as a list of ints, nested for tuples and lists, else None."""
    if isinstance(value, torch.Tensor):
        return [int(n) for n in value.shape]
    if isinstance(value, (tuple, list)) and value:
        shapes = [tensor_shape(item) for item in value]
        return shapes if any(s is not None for s in shapes) else None
    return None


def arg_shapes(args: tuple[Any, ...]) -> list[Shape]:
    """Shapes of the tensor positional arguments, None for the others."""
    return [[int(n) for n in a.shape] if isinstance(a, torch.Tensor) else None for a in args]


def layer_repr(module: torch.nn.Module) -> str:
    """One line naming a layer: repr for a leaf module, the class name for a container."""
    if next(iter(module.children()), None) is not None:
        return type(module).__name__
    try:
        return " ".join(repr(module).split())
    except Exception:
        return type(module).__name__


def param_count(module: torch.nn.Module) -> int:
    """Number of parameters of a module and its children (0 while still uninitialised)."""
    try:
        return sum(p.numel() for p in module.parameters())
    except Exception:
        return 0


def _param_device(module: torch.nn.Module) -> str | None:
    for tensor in (*module.parameters(), *module.buffers()):
        return str(tensor.device)
    return None


@dataclass
class Row:
    """One traced module call; ``event()`` is what is sent."""

    module: str
    layer: str
    depth: int
    inputs: list[Shape]
    root: str
    out: Any = None
    params: int = 0
    done: bool = False
    failed: bool = False
    out_channels: int | None = None

    def event(self) -> events.Shape:
        """The ``shape`` event for this row."""
        return events.Shape(
            module=self.module,
            layer=self.layer,
            depth=self.depth,
            inputs=self.inputs,
            out=self.out if self.done else None,
            params=self.params,
            root=self.root,
            failed=self.failed,
        )


@dataclass
class CallFailure:
    """The innermost module call that raised, as explain() needs it."""

    exc: BaseException
    module: torch.nn.Module
    name: str
    layer: str
    depth: int
    root: str
    inputs: list[Shape]
    input_dtypes: list[str | None]
    input_devices: list[str | None]
    param_device: str | None
    previous: list[Row] = field(default_factory=list)

    @property
    def kind(self) -> str:
        """The failing module's class name."""
        return type(self.module).__name__


@dataclass
class _Pass:
    """A first forward pass being recorded."""

    root: torch.nn.Module
    label: str
    names: dict[int, str]
    rows: list[Row] = field(default_factory=list)
    stack: list[Row] = field(default_factory=list)


@dataclass
class _Series:
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
    pending: tuple[Any, int, int | None] | None = None


class Tracer:
    """Global module, loss and DataLoader instrumentation for one job."""

    def __init__(self, emit: Emit, *, max_rate: float = 50.0) -> None:
        self._emit = emit
        self._interval = 1.0 / max_rate if max_rate > 0 else 0.0
        self._pid = os.getpid()
        self._installed = False
        self._saved: list[tuple[type, str, Any]] = []
        self._busy = False
        self._pass: _Pass | None = None
        self._seen: dict[int, weakref.ref[torch.nn.Module]] = {}
        self._labels: dict[int, str] = {}
        self._label_counts: dict[str, int] = {}
        self._traces: dict[str, list[Row]] = {}
        self._fail_exc: BaseException | None = None
        self._fail_path: list[torch.nn.Module] = []
        self._fail_args: tuple[Any, ...] = ()
        self._fail_row: Row | None = None
        self.failure: CallFailure | None = None
        self._last_root: str | None = None
        self._feed: int | None = None
        self._iter_serial = 0
        self._series: dict[tuple[str, str | None], _Series] = {}
        self._last_sent = float("-inf")
        self._auto_loss = True

    # -- installation -------------------------------------------------------------------

    def install(self) -> None:
        """Patch Module, loss and DataLoader calls; make this the active tracer."""
        global _ACTIVE
        if self._installed:
            return
        module_call = torch.nn.Module.__dict__["__call__"]
        self._orig_call = module_call
        self._patch(torch.nn.Module, "__call__", self._make_module_call(module_call))
        self._patch(_Loss, "__call__", self._make_loss_call(module_call))
        self._patch(DataLoader, "__iter__", self._make_loader_iter(DataLoader.__dict__["__iter__"]))
        self._patch(
            _BaseDataLoaderIter,
            "__next__",
            self._make_loader_next(_BaseDataLoaderIter.__dict__["__next__"]),
        )
        self._installed = True
        _ACTIVE = self

    def uninstall(self) -> None:
        """Put back everything install() replaced."""
        global _ACTIVE
        for owner, name, original in reversed(self._saved):
            if original is None:
                if name in owner.__dict__:
                    delattr(owner, name)
            else:
                setattr(owner, name, original)
        self._saved.clear()
        self._installed = False
        if _ACTIVE is self:
            _ACTIVE = None

    def _patch(self, owner: type, name: str, replacement: Any) -> None:
        self._saved.append((owner, name, owner.__dict__.get(name)))
        setattr(owner, name, replacement)

    # -- module calls -------------------------------------------------------------------

    def _make_module_call(self, original: Callable[..., Any]) -> Callable[..., Any]:
        tracer = self

        def __call__(module: torch.nn.Module, *args: Any, **kwargs: Any) -> Any:
            if tracer._busy:
                if tracer._pass is not None:
                    return tracer._record(module, args, kwargs)
                try:
                    return original(module, *args, **kwargs)
                except BaseException as exc:
                    tracer._note_failure(module, args, exc)
                    raise
            seen = tracer._seen.get(id(module))
            if seen is not None and seen() is module:
                tracer._busy = True
                try:
                    result = original(module, *args, **kwargs)
                except BaseException as exc:
                    tracer._note_failure(module, args, exc)
                    tracer._root_failed(module, exc)
                    raise
                finally:
                    tracer._busy = False
                if torch.is_grad_enabled():
                    label = tracer._labels.get(id(module))
                    if label is not None:
                        tracer._last_root = label
                return result
            return tracer._first_pass(module, args, kwargs)

        __call__.__wrapped__ = original  # type: ignore[attr-defined]
        return __call__

    def _first_pass(self, root: torch.nn.Module, args: tuple[Any, ...], kwargs: Any) -> Any:
        """Call a root seen for the first time, recording every module call inside it."""
        orig = self._orig_call
        if not self._wants_trace(root):
            self._seen[id(root)] = weakref.ref(root)
            self._busy = True
            try:
                return orig(root, *args, **kwargs)
            finally:
                self._busy = False
        label = self._label(root)
        base = type(root).__name__
        names = {id(m): f"{base}.{n}" if n else base for n, m in root.named_modules()}
        row = Row(base, layer_repr(root), 0, arg_shapes(args), label)
        row.out_channels, row.params = _out_channels(root), param_count(root)
        current = _Pass(root, label, names, [row], [row])
        self._pass, self._busy = current, True
        try:
            result = orig(root, *args, **kwargs)
        except BaseException as exc:
            self._note_failure(root, args, exc, row)
            self._pass = None
            self._root_failed(root, exc, current)
            raise
        finally:
            self._busy = False
            self._pass = None
        row.out, row.params, row.done = tensor_shape(result), param_count(root), True
        self._seen[id(root)] = weakref.ref(root)
        self._traces[label] = current.rows
        if torch.is_grad_enabled():
            self._last_root = label
        for each in current.rows:
            self._send(each.event())
        return result

    def _record(self, module: torch.nn.Module, args: tuple[Any, ...], kwargs: Any) -> Any:
        """Call a module inside a first pass, adding its row before running it."""
        current = self._pass
        assert current is not None
        parent = current.stack[-1]
        name = current.names.get(id(module)) or f"{parent.module}.<{type(module).__name__}>"
        row = Row(name, layer_repr(module), len(current.stack), arg_shapes(args), current.label)
        row.out_channels, row.params = _out_channels(module), param_count(module)
        current.rows.append(row)
        current.stack.append(row)
        try:
            result = self._orig_call(module, *args, **kwargs)
        except BaseException as exc:
            self._note_failure(module, args, exc, row)
            raise
        finally:
            current.stack.pop()
        row.out, row.params, row.done = tensor_shape(result), param_count(module), True
        return result

    def _wants_trace(self, root: torch.nn.Module) -> bool:
        if os.getpid() != self._pid:
            return False
        return not type(root).__module__.startswith("torchvision.transforms")

    def _label(self, root: torch.nn.Module) -> str:
        label = self._labels.get(id(root))
        if label is None:
            base = type(root).__name__
            count = self._label_counts.get(base, 0) + 1
            self._label_counts[base] = count
            label = base if count == 1 else f"{base}#{count}"
            self._labels[id(root)] = label
        return label

    # -- failures -----------------------------------------------------------------------

    def _note_failure(
        self,
        module: torch.nn.Module,
        args: tuple[Any, ...],
        exc: BaseException,
        row: Row | None = None,
    ) -> None:
        """Called by each module call the exception passes through, innermost first."""
        if self._fail_exc is not exc:
            self._fail_exc, self._fail_path, self._fail_args = exc, [], args
            self._fail_row = row
        self._fail_path.append(module)

    def _root_failed(
        self, root: torch.nn.Module, exc: BaseException, current: _Pass | None = None
    ) -> None:
        """Build the CallFailure for explain() and send the failing call's row."""
        try:
            self.failure = self._describe_failure(root, exc, current)
        except Exception:
            self.failure = None
            return
        if os.getpid() != self._pid:
            return
        if current is not None:
            for each in current.rows:
                self._send(each.event())
        else:
            failure = self.failure
            row = Row(
                failure.name,
                failure.layer,
                failure.depth,
                failure.inputs,
                failure.root,
                params=param_count(failure.module),
                failed=True,
            )
            self._send(row.event())

    def _describe_failure(
        self, root: torch.nn.Module, exc: BaseException, current: _Pass | None
    ) -> CallFailure:
        path = self._fail_path if self._fail_exc is exc else [root]
        module = path[0]
        args = self._fail_args if self._fail_exc is exc else ()
        label = self._label(root) if current is None else current.label
        if current is not None:
            row = self._fail_row or current.rows[0]
            row.failed = True
            index = current.rows.index(row)
            name, layer, depth = row.module, row.layer, row.depth
            previous = current.rows[:index]
        else:
            base = type(root).__name__
            names = {id(m): f"{base}.{n}" if n else base for n, m in root.named_modules()}
            name = names.get(id(module)) or ""
            if not name:
                parent = names.get(id(path[1])) if len(path) > 1 else base
                name = f"{parent or base}.<{type(module).__name__}>"
            layer, depth = layer_repr(module), len(path) - 1
            rows = self._traces.get(label, [])
            index = next((i for i, r in enumerate(rows) if r.module == name), len(rows))
            previous = rows[:index]
        return CallFailure(
            exc=exc,
            module=module,
            name=name,
            layer=layer,
            depth=depth,
            root=label,
            inputs=arg_shapes(args),
            input_dtypes=[_dtype(a) for a in args],
            input_devices=[str(a.device) if isinstance(a, torch.Tensor) else None for a in args],
            param_device=_param_device(module),
            previous=previous,
        )

    def failure_for(self, exc: BaseException) -> CallFailure | None:
        """The failing module call behind exc (or the exception it caused), if one raised."""
        failure = self.failure
        if failure is None:
            return None
        seen: set[int] = set()
        todo: list[BaseException | None] = [exc]
        while todo:
            each = todo.pop()
            if each is None or id(each) in seen:
                continue
            if each is failure.exc:
                return failure
            seen.add(id(each))
            todo += [each.__cause__, each.__context__]
        return None

    @property
    def last_root(self) -> str | None:
        """The label of the model most recently called with gradients on."""
        return self._last_root

    def trace(self, root: str) -> list[Row]:
        """The rows of a root's first pass, by its label."""
        return list(self._traces.get(root, []))

    # -- losses -------------------------------------------------------------------------

    def _make_loss_call(self, original: Callable[..., Any]) -> Callable[..., Any]:
        tracer = self

        def __call__(module: torch.nn.Module, *args: Any, **kwargs: Any) -> Any:
            outer = not tracer._busy
            tracer._busy = True
            try:
                result = original(module, *args, **kwargs)
            except BaseException as exc:
                tracer._note_failure(module, args, exc)
                if outer:
                    tracer._root_failed(module, exc)
                raise
            finally:
                if outer:
                    tracer._busy = False
            if tracer._auto_loss and torch.is_grad_enabled():
                tracer._loss(result)
            return result

        __call__.__wrapped__ = original  # type: ignore[attr-defined]
        return __call__

    def _loss(self, value: Any) -> None:
        """Count one loss module result in the series of the model last called."""
        if not isinstance(value, torch.Tensor) or value.numel() != 1:
            return
        try:
            self.record("loss", value.detach(), root=self._last_root)
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
            self._auto_loss = False
        key = (name, root)
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = _Series(root, name)
        series.step = step if step is not None else series.step + 1
        if epoch is None:
            epoch = self._auto_epoch(series)
        if epoch != series.epoch:
            self._close_epoch(series)
            series.epoch = epoch
        if epoch is not None:
            series.epoch_steps += 1
            if isinstance(value, torch.Tensor):
                if series.epoch_sum is None:
                    series.epoch_sum = torch.zeros((), dtype=torch.float64, device=value.device)
                total = series.epoch_sum
                if isinstance(total, torch.Tensor) and total.device == value.device:
                    total.add_(value.reshape(()))
                elif isinstance(total, torch.Tensor):
                    series.epoch_sum = total.item() + float(value)
                else:
                    series.epoch_sum += float(value)
            else:
                series.epoch_sum = (
                    float(value) if series.epoch_sum is None else series.epoch_sum + value
                )
        now = time.monotonic()
        if series.sent == 0 or now - self._last_sent >= self._interval:
            self._last_sent = now
            series.pending = None
            self._send_loss(series, value, series.step, epoch)
        else:
            series.pending = (value, series.step, epoch)

    def _auto_epoch(self, series: _Series) -> int | None:
        feed = self._feed
        if feed is None:
            return None
        if feed != series.feed:
            series.feed = feed
            series.auto_epoch += 1
        return series.auto_epoch

    def _send_loss(self, series: _Series, value: Any, step: int, epoch: int | None) -> None:
        number = float(value.item()) if isinstance(value, torch.Tensor) else float(value)
        series.sent += 1
        self._send(
            events.Loss(value=number, step=step, epoch=epoch, name=series.name, root=series.label)
        )

    def _close_epoch(self, series: _Series) -> None:
        if series.epoch is not None and series.epoch_steps and series.name == "loss":
            total = series.epoch_sum
            if isinstance(total, torch.Tensor):
                total = total.item()
            self._send(
                events.Epoch(
                    epoch=series.epoch,
                    mean_loss=float(total) / series.epoch_steps,
                    steps=series.epoch_steps,
                    root=series.label,
                )
            )
        series.epoch, series.epoch_steps, series.epoch_sum = None, 0, None

    def flush(self) -> None:
        """Send the loss values held back by the throttle, then close every open epoch."""
        for series in self._series.values():
            try:
                if series.pending is not None:
                    value, step, epoch = series.pending
                    series.pending = None
                    self._send_loss(series, value, step, epoch)
                self._close_epoch(series)
            except Exception:
                series.pending = None

    # -- data loaders -------------------------------------------------------------------

    def _make_loader_iter(self, original: Callable[..., Any]) -> Callable[..., Any]:
        tracer = self

        def __iter__(loader: DataLoader[Any]) -> Any:
            iterator = original(loader)
            tracer._iter_serial += 1
            try:
                setattr(iterator, _SERIAL_ATTR, tracer._iter_serial)
            except Exception:
                pass
            return iterator

        __iter__.__wrapped__ = original  # type: ignore[attr-defined]
        return __iter__

    def _make_loader_next(self, original: Callable[..., Any]) -> Callable[..., Any]:
        tracer = self

        def __next__(iterator: _BaseDataLoaderIter) -> Any:
            batch = original(iterator)
            tracer._feed = getattr(iterator, _SERIAL_ATTR, None)
            return batch

        __next__.__wrapped__ = original  # type: ignore[attr-defined]
        return __next__

    # -- output -------------------------------------------------------------------------

    def _send(self, event: Event) -> None:
        if os.getpid() != self._pid:
            return
        try:
            self._emit(event)
        except Exception:
            pass


def _dtype(value: object) -> str | None:
    return str(value.dtype).removeprefix("torch.") if isinstance(value, torch.Tensor) else None


def _out_channels(module: torch.nn.Module) -> int | None:
    channels = getattr(module, "out_channels", None)
    return channels if isinstance(channels, int) else None
