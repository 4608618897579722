"""What the tracer says about one layer: shapes, repr, parameters, size arithmetic, parent.

The arithmetic itself (output size, receptive field) is ``tutor.shapes``; this module only
reads a torch layer's settings into a ``tutor.shapes.Window`` and follows the receptive
field along the layers in the order they are really called.
"""

from __future__ import annotations

import sys
import weakref
from dataclasses import dataclass, field
from typing import Any

import torch
from torch.nn.modules.conv import _ConvNd
from torch.nn.modules.pooling import _AvgPoolNd, _MaxPoolNd

from tutor import events
from tutor.shapes import Field, Window, formula

Shape = list[int] | None


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


def out_channels(module: torch.nn.Module) -> int | None:
    """A layer's out_channels when it has one (convs)."""
    channels = getattr(module, "out_channels", None)
    return channels if isinstance(channels, int) else None


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, tuple) else value


def window_of(module: torch.nn.Module) -> tuple[Window, bool] | None:
    """The sliding window of a conv or pool layer, and whether the plain ⌊(H − K + 2P)/S⌋ + 1
    formula gives its output size (not for dilation, ceil_mode or padding='same')."""
    if isinstance(module, _ConvNd):
        kernel, dilation = int(_first(module.kernel_size)), int(_first(module.dilation))
        padding = _first(module.padding)
        plain = isinstance(padding, int) and dilation == 1 and not module.transposed
        if module.transposed:
            return None
        effective = dilation * (kernel - 1) + 1
        return Window("conv", effective, int(_first(module.stride)),
                      padding if isinstance(padding, int) else 0), plain  # fmt: skip
    if isinstance(module, (_MaxPoolNd, _AvgPoolNd)):
        kernel = int(_first(module.kernel_size))
        stride = int(_first(module.stride or kernel))
        dilation = int(_first(getattr(module, "dilation", 1)))
        plain = dilation == 1 and not module.ceil_mode
        kind = "maxpool" if isinstance(module, _MaxPoolNd) else "avgpool"
        return Window(kind, dilation * (kernel - 1) + 1, stride, int(_first(module.padding))), plain
    return None


def spatial_dims(module: torch.nn.Module) -> int:
    """How many trailing axes a conv or pool layer slides over (2 for Conv2d)."""
    kernel = getattr(module, "kernel_size", None)
    if isinstance(kernel, tuple):
        return len(kernel)
    name = type(module).__name__
    return 1 if "1d" in name else 3 if "3d" in name else 2


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
    formula: str | None = None
    rf: int | None = None
    field_after: Field | None = None

    def event(self) -> events.Shape:
        """The ``shape`` event for this row (``formula`` and ``rf`` for conv and pool rows)."""
        return events.Shape(
            module=self.module,
            layer=self.layer,
            depth=self.depth,
            inputs=self.inputs,
            out=self.out if self.done else None,
            params=self.params,
            root=self.root,
            failed=self.failed,
            formula=(self.formula or None) if self.rf is not None else None,
            rf=self.rf,
        )


@dataclass
class CallFailure:
    """The innermost module (or functional loss) call that raised, as explain() needs it.

    ``module`` is None for a functional loss (``name`` is then ``F.nll_loss``);
    ``root_inputs`` are the shapes the model itself was called with."""

    exc: BaseException
    module: torch.nn.Module | None
    name: str
    layer: str
    depth: int
    root: str
    inputs: list[Shape]
    input_dtypes: list[str | None]
    input_devices: list[str | None]
    param_device: str | None
    previous: list[Row] = field(default_factory=list)
    param_dtype: str | None = None
    root_inputs: list[Shape] = field(default_factory=list)

    @property
    def kind(self) -> str:
        """The failing module's class name (the function's name for a functional loss)."""
        return type(self.module).__name__ if self.module is not None else self.name


@dataclass
class FieldChain:
    """The receptive field along the layers of one model, in the order they are called.

    A conv or pool whose input is the output of an earlier traced call (a residual block's
    shortcut, a branch) starts from that call's field; any other input (a tensor made by a
    function in forward) follows the widest field so far."""

    current: Field = field(default_factory=Field)
    by_tensor: dict[int, tuple[weakref.ref[torch.Tensor], Field]] = field(default_factory=dict)

    def reset(self) -> None:
        """Start again at one input pixel (a new model, or a model called from its first
        layer again)."""
        self.current = Field()
        self.by_tensor.clear()

    def through(self, module: torch.nn.Module, args: tuple[Any, ...]) -> tuple[str, Field] | None:
        """The formula ('' when it does not apply) and the receptive field after this layer,
        or None for layers without a sliding window."""
        found = window_of(module)
        if found is None:
            return None
        window, plain = found
        start = self.current
        if args and isinstance(args[0], torch.Tensor):
            known = self.by_tensor.get(id(args[0]))
            if known is not None and known[0]() is args[0]:
                start = known[1]
        after = start.through(window)
        if after.size >= self.current.size:
            self.current = after
        text = ""
        if plain and args and isinstance(args[0], torch.Tensor):
            dims = spatial_dims(module)
            if args[0].dim() >= dims + 1:
                size = int(args[0].shape[-dims])
                text = formula(size, window.kernel, stride=window.stride, padding=window.padding)
        return text, after

    def produced(self, value: object, after: Field | None) -> None:
        """Remember the field of a traced call's output tensor (the widest so far for a
        call without a window of its own)."""
        if isinstance(value, torch.Tensor):
            try:
                self.by_tensor[id(value)] = (weakref.ref(value), after or self.current)
            except TypeError:
                pass


def parent_of(module: torch.nn.Module, known: dict[int, str]) -> torch.nn.Module | None:
    """The model `module` belongs to, when it is called on its own: from a parent's method
    (``self.features(x)``) or layer by layer (``h = model[2](h)``). Looks at ``self`` and the
    module-level names of the calling frames; prefers a model already traced, then the
    largest one that holds `module`."""
    best: tuple[int, int, torch.nn.Module] | None = None
    frame = sys._getframe(2)
    depth = 0
    while frame is not None and depth < 24:
        depth += 1
        values: list[Any] = []
        me = frame.f_locals.get("self")
        if isinstance(me, torch.nn.Module):
            values.append(me)
        if frame.f_code.co_name == "<module>":
            values += [v for v in frame.f_locals.values() if isinstance(v, torch.nn.Module)]
        for value in values:
            if value is module:
                continue
            size = 0
            for each in value.modules():
                size += 1
                if each is module:
                    rank = (1 if id(value) in known else 0, sum(1 for _ in value.modules()))
                    if best is None or rank > best[:2]:
                        best = (*rank, value)
                    break
        frame = frame.f_back  # type: ignore[assignment]
    return best[2] if best else None


def path_in(parent: torch.nn.Module, module: torch.nn.Module) -> str:
    """The dotted name of `module` inside `parent` ('' when not found)."""
    return next((name for name, each in parent.named_modules() if each is module), "")


def dtype_of(value: object) -> str | None:
    return str(value.dtype).removeprefix("torch.") if isinstance(value, torch.Tensor) else None


def device_of(value: object) -> str | None:
    return str(value.device) if isinstance(value, torch.Tensor) else None


def param_device(module: torch.nn.Module) -> str | None:
    for tensor in (*module.parameters(), *module.buffers()):
        return str(tensor.device)
    return None
