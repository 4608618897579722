"""In-job instrumentation: per-layer shapes of each model's first forward pass, and losses.

Runs only inside a sandbox job, installed before the learner's code so that the script
needs no tutor imports. It emits ``tutor.events`` through the job's ``emit`` callable:

``shape``
    One event per module call of a model's first forward pass, in call order (a
    container's row before its children's, as torchinfo lists them). A model is a root
    module: one called while no other module call is in progress. Each root is traced on
    its first successful call only; later passes run untraced. Fields: ``module`` (dotted
    name, the root being its class name: ``SimpleCNN.conv1``), ``layer`` (``repr`` of a
    leaf module on one line, the class name of a container; a lazy layer as it is after
    it took its shape), ``depth`` (0 for the root), ``in`` (shapes of the tensor positional
    arguments, ``null`` for other arguments), ``out`` (a shape, or a list of shapes for
    tuple outputs), ``params`` (parameter count including children) and ``root`` (the
    root's class name, ``SimpleCNN#2`` for a second model of the same class). Conv and
    pool rows also carry ``formula`` (``⌊(28 − 3 + 2·1)/1⌋ + 1 = 28``) and ``rf`` (the
    receptive field so far in input pixels, following the calls as they really happen; see
    ``layers.FieldChain``). A part of a model called on its own (``self.features(x)`` in a
    method other than forward, or ``h = model[2](h)`` layer by layer) is named and counted
    as part of that model. When a module call raises, in any pass, the innermost failing
    call is emitted with ``"out": null, "failed": true``; in a first pass the rows of the
    calls that had started before it come first, the unfinished containers among them with
    ``"out": null``. Modules called inside a DataLoader worker process and torchvision
    transforms are not traced.

``loss``, ``epoch``, ``note``
    From every loss module call (``_Loss`` subclasses) and every functional loss call
    (``F.cross_entropy``, ``F.nll_loss`` ...) made with gradients on, counted in the series
    of the model last called with gradients on; see ``tutor.sandbox.losses``.

``warning``
    The training-loop doctor's findings; see ``tutor.sandbox.doctor``.

Cost: ``Module.__call__`` gets one thin Python wrapper (a flag test for every call after a
model's first pass), loss calls add a float read on the CPU (an in-place sum and no sync
on a GPU), and ``.item()`` runs only when an event is sent. A failing call is identified
by exception handlers in that wrapper, which cost nothing until something raises.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch.nn.modules.loss import _Loss
from torch.utils.data.dataloader import DataLoader, _BaseDataLoaderIter

from tutor.events import Event
from tutor.sandbox.clues import exception_chain
from tutor.sandbox.doctor import Doctor
from tutor.sandbox.layers import (
    CallFailure,
    FieldChain,
    Row,
    arg_shapes,
    device_of,
    dtype_of,
    layer_repr,
    out_channels,
    param_count,
    param_device,
    parent_of,
    path_in,
    tensor_shape,
)
from tutor.sandbox.losses import FUNCTIONAL_LOSSES, Losses

Emit = Callable[[Event], None]

_ACTIVE: Tracer | None = None

__all__ = ["CallFailure", "Row", "Tracer", "active", "tensor_shape"]


def active() -> Tracer | None:
    """The tracer installed in this process, if any."""
    return _ACTIVE


@dataclass
class _Pass:
    """A first forward pass being recorded."""

    root: torch.nn.Module
    label: str
    names: dict[int, str]
    chain: FieldChain
    rows: list[Row] = field(default_factory=list)
    stack: list[Row] = field(default_factory=list)


# The classes whose methods install() replaces. Replacing a class's method resets the
# method caches of all its subclasses (hundreds, for Module): in a job forked from the
# worker, that first write copies their pages.
_PATCHED = (
    (torch.nn.Module, "__call__"),
    (torch.nn.Module, "zero_grad"),
    (_Loss, "__call__"),
    (DataLoader, "__iter__"),
    (_BaseDataLoaderIter, "__next__"),
    (torch.optim.Optimizer, "zero_grad"),
)


def prime() -> None:
    """Pay install()'s page copies ahead of time, in a spare job waiting for its spec:
    each method is set to itself, which changes nothing but the caches."""
    for owner, name in _PATCHED:
        if name in owner.__dict__:
            setattr(owner, name, owner.__dict__[name])


class Tracer:
    """Global module, loss and DataLoader instrumentation for one job."""

    def __init__(self, emit: Emit, *, max_rate: float = 50.0) -> None:
        self._emit = emit
        self._pid = os.getpid()
        self._installed = False
        self._saved: list[tuple[Any, str, Any]] = []
        self.busy = False
        self._pass: _Pass | None = None
        self._seen: dict[int, weakref.ref[torch.nn.Module]] = {}
        self._labels: dict[int, str] = {}
        self._models: dict[str, weakref.ref[torch.nn.Module]] = {}
        self._label_counts: dict[str, int] = {}
        self._traces: dict[str, list[Row]] = {}
        self._chains: dict[str, FieldChain] = {}
        self._fail_exc: BaseException | None = None
        self._fail_path: list[torch.nn.Module] = []
        self._fail_args: tuple[Any, ...] = ()
        self._fail_row: Row | None = None
        self.failure: CallFailure | None = None
        self._last_root: str | None = None
        self.doctor = Doctor(self._send, self.model)
        self.losses = Losses(self._send, max_rate=max_rate, watcher=self.doctor)

    # -- installation -------------------------------------------------------------------

    def install(self) -> None:
        """Patch Module, loss, functional loss and DataLoader calls; make this the active
        tracer; start the doctor."""
        global _ACTIVE
        if self._installed:
            return
        module_call = torch.nn.Module.__dict__["__call__"]
        self._orig_call = module_call
        self._patch(torch.nn.Module, "__call__", self._make_module_call(module_call))
        self._patch(_Loss, "__call__", self.losses.module_call(module_call, self))
        for name in FUNCTIONAL_LOSSES:
            original = getattr(F, name, None)
            if original is not None:
                self._patch(F, name, self.losses.functional(name, original, self))
        new_iter = self.losses.loader_iter(DataLoader.__dict__["__iter__"])
        self._patch(DataLoader, "__iter__", new_iter)
        next_batch = _BaseDataLoaderIter.__dict__["__next__"]
        self._patch(_BaseDataLoaderIter, "__next__", self.losses.loader_next(next_batch))
        self.doctor.install(self._patch)
        self._installed = True
        _ACTIVE = self

    def uninstall(self) -> None:
        """Put back everything install() replaced."""
        global _ACTIVE
        self.doctor.uninstall()
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

    def _patch(self, owner: Any, name: str, replacement: Any) -> None:
        self._saved.append((owner, name, owner.__dict__.get(name)))
        setattr(owner, name, replacement)

    # -- module calls -------------------------------------------------------------------

    def _make_module_call(self, original: Callable[..., Any]) -> Callable[..., Any]:
        tracer = self

        def __call__(module: torch.nn.Module, *args: Any, **kwargs: Any) -> Any:
            if tracer.busy:
                if tracer._pass is not None:
                    return tracer._record(module, args, kwargs)
                try:
                    return original(module, *args, **kwargs)
                except BaseException as exc:
                    tracer._note_failure(module, args, exc)
                    raise
            seen = tracer._seen.get(id(module))
            if seen is not None and seen() is module:
                tracer.busy = True
                try:
                    result = original(module, *args, **kwargs)
                except BaseException as exc:
                    tracer._note_failure(module, args, exc)
                    tracer._root_failed(module, exc, root_args=args)
                    raise
                finally:
                    tracer.busy = False
                label = tracer._labels.get(id(module))
                if torch.is_grad_enabled():
                    if label is not None:
                        tracer._last_root = label
                else:
                    tracer.doctor.evaluating(module, label)
                return result
            return tracer._first_pass(module, args, kwargs)

        __call__.__wrapped__ = original  # type: ignore[attr-defined]
        return __call__

    def _first_pass(self, root: torch.nn.Module, args: tuple[Any, ...], kwargs: Any) -> Any:
        """Call a root seen for the first time, recording every module call inside it."""
        orig = self._orig_call
        if not self._wants_trace(root):
            self._seen[id(root)] = weakref.ref(root)
            self.busy = True
            try:
                return orig(root, *args, **kwargs)
            finally:
                self.busy = False
        current = self._start_pass(root, args)
        row = current.rows[0]
        self._pass, self.busy = current, True
        try:
            result = orig(root, *args, **kwargs)
        except BaseException as exc:
            self._note_failure(root, args, exc, row)
            self._pass = None
            self._root_failed(root, exc, current, args)
            raise
        finally:
            self.busy = False
            self._pass = None
        self._finish_row(row, root, result, current.chain)
        self._seen[id(root)] = weakref.ref(root)
        self._traces.setdefault(current.label, []).extend(current.rows)
        if torch.is_grad_enabled():
            self._last_root = current.label
        else:
            self.doctor.evaluating(self.model(current.label) or root, current.label)
        for each in current.rows:
            self._send(each.event())
        return result

    def _start_pass(self, root: torch.nn.Module, args: tuple[Any, ...]) -> _Pass:
        """The pass of a first call: of the root as a model, or, for a part of a model
        called on its own, as that model's part (its names, its receptive field)."""
        parent = parent_of(root, self._labels)
        model = parent if parent is not None else root
        label = self._label(model)
        base = label.split("#")[0]
        names = {id(m): f"{base}.{n}" if n else base for n, m in model.named_modules()}
        chain = self._chains.get(label)
        if chain is None:
            chain = self._chains[label] = FieldChain()
        path = path_in(model, root) if parent is not None else ""
        first_part = next((m for m in model.children()), None)
        if parent is None or _starts_with(root, first_part):
            chain.reset()
        row = Row(names.get(id(root), base), layer_repr(root), path.count(".") + bool(path),
                  arg_shapes(args), label)  # fmt: skip
        row.out_channels, row.params = out_channels(root), param_count(root)
        self._geometry(row, root, args, chain)
        return _Pass(root, label, names, chain, [row], [row])

    def _record(self, module: torch.nn.Module, args: tuple[Any, ...], kwargs: Any) -> Any:
        """Call a module inside a first pass, adding its row before running it."""
        current = self._pass
        assert current is not None
        parent = current.stack[-1]
        name = current.names.get(id(module)) or f"{parent.module}.<{type(module).__name__}>"
        row = Row(name, layer_repr(module), parent.depth + 1, arg_shapes(args), current.label)
        row.out_channels, row.params = out_channels(module), param_count(module)
        self._geometry(row, module, args, current.chain)
        current.rows.append(row)
        current.stack.append(row)
        try:
            result = self._orig_call(module, *args, **kwargs)
        except BaseException as exc:
            self._note_failure(module, args, exc, row)
            raise
        finally:
            current.stack.pop()
        self._finish_row(row, module, result, current.chain)
        return result

    def _geometry(
        self, row: Row, module: torch.nn.Module, args: tuple[Any, ...], chain: FieldChain
    ) -> None:
        try:
            found = chain.through(module, args)
        except Exception:
            found = None
        if found is not None:
            row.formula, after = found
            row.rf, row.field_after = after.size, after

    def _finish_row(
        self, row: Row, module: torch.nn.Module, result: Any, chain: FieldChain
    ) -> None:
        row.out, row.params, row.done = tensor_shape(result), param_count(module), True
        if row.layer.startswith("Lazy"):
            row.layer = layer_repr(module)  # a lazy layer has taken its shape by now
            row.out_channels = out_channels(module)
        chain.produced(result, row.field_after)

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
            self._models[label] = weakref.ref(root)
        return label

    def model(self, label: str) -> torch.nn.Module | None:
        """The model traced under `label`, while it is alive."""
        ref = self._models.get(label)
        return ref() if ref is not None else None

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
        self,
        root: torch.nn.Module,
        exc: BaseException,
        current: _Pass | None = None,
        root_args: tuple[Any, ...] = (),
    ) -> None:
        """Build the CallFailure for explain() and send the failing call's row."""
        try:
            self.failure = self._describe_failure(root, exc, current)
            self.failure.root_inputs = arg_shapes(root_args)
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
            params = param_count(failure.module) if failure.module else 0
            row = Row(failure.name, failure.layer, failure.depth, failure.inputs, failure.root,
                      params=params, failed=True)  # fmt: skip
            self._send(row.event())

    def loss_module_failed(
        self, module: torch.nn.Module, args: tuple[Any, ...], exc: BaseException, outer: bool
    ) -> None:
        """A loss module raised: note it, and describe it when no model call is around it."""
        self._note_failure(module, args, exc)
        if outer:
            self._root_failed(module, exc)

    def functional_failed(self, name: str, args: tuple[Any, ...], exc: BaseException) -> None:
        """A functional loss raised: keep what explain() needs (its inputs' shapes, dtypes)."""
        try:
            label = self._last_root or ""
            self.failure = CallFailure(
                exc=exc, module=None, name=f"F.{name}", layer=f"F.{name}", depth=0, root=label,
                inputs=arg_shapes(args), input_dtypes=[dtype_of(a) for a in args],
                input_devices=[device_of(a) for a in args], param_device=None,
                previous=list(self._traces.get(label, [])),
            )  # fmt: skip
        except Exception:
            self.failure = None

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
            done_inside = [r for r in current.rows[index + 1 :] if r.done]
            previous = self._traces.get(label, []) + current.rows[:index] + done_inside
        else:
            base = label.split("#")[0]
            names = {id(m): f"{base}.{n}" if n else base for n, m in root.named_modules()}
            name = names.get(id(module)) or ""
            if not name:
                parent = names.get(id(path[1])) if len(path) > 1 else base
                name = f"{parent or base}.<{type(module).__name__}>"
            layer, depth = layer_repr(module), len(path) - 1
            rows = self._traces.get(label, [])
            index = next((i for i, r in enumerate(rows) if r.module == name), len(rows))
            inside = [r for r in rows[index + 1 :] if r.module.startswith(name + ".")]
            previous = rows[:index] + inside
        weights = next(iter(module.parameters()), None)
        return CallFailure(
            exc=exc,
            module=module,
            name=name,
            layer=layer,
            depth=depth,
            root=label,
            inputs=arg_shapes(args),
            input_dtypes=[dtype_of(a) for a in args],
            input_devices=[device_of(a) for a in args],
            param_device=param_device(module),
            previous=previous,
            param_dtype=dtype_of(weights),
        )

    def failure_for(self, exc: BaseException) -> CallFailure | None:
        """The failing call behind exc (or the exception it caused), if one raised."""
        failure = self.failure
        if failure is None:
            return None
        return failure if any(e is failure.exc for e in exception_chain(exc)) else None

    @property
    def last_root(self) -> str | None:
        """The label of the model most recently called with gradients on."""
        return self._last_root

    def trace(self, root: str) -> list[Row]:
        """The rows of a root's first pass, by its label."""
        return list(self._traces.get(root, []))

    # -- losses -------------------------------------------------------------------------

    def record(self, name: str, value: Any, **how: Any) -> None:
        """Add one value to a series (``cnntutor.report``); see ``Losses.record``."""
        self.losses.record(name, value, **how)

    def flush(self) -> None:
        """Send the loss values held back by the throttle, then close every open epoch."""
        self.losses.flush()

    # -- output -------------------------------------------------------------------------

    def _send(self, event: Event) -> None:
        if os.getpid() != self._pid:
            return
        try:
            self._emit(event)
        except Exception:
            pass


def _starts_with(module: torch.nn.Module, first: torch.nn.Module | None) -> bool:
    """Whether `module` is `first` or the first part of it, at any depth."""
    while first is not None:
        if first is module:
            return True
        first = next(iter(first.children()), None)
    return False
