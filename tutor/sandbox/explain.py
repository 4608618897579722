"""Plain-words explanations of the errors a learner's CNN script raises.

``explain`` turns an exception from the learner's code into the ``error`` event's fields:
``kind`` (``shape`` for shape, channel and feature mismatches, ``memory`` for running out
of memory, ``exception`` otherwise), ``message`` (the exception's type and first line),
``explanation`` (what went wrong, in which layer, with this failure's shapes, and the
fix), ``line`` (the innermost line of the learner's file) and ``layer`` (the dotted name
of the module whose call raised, as in the ``shape`` events, or null). The layer facts
come from the tracer: the failing call, its input shapes, dtypes and devices, and the
rows of the first pass that ran before it.
"""

from __future__ import annotations

import math
import re
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from tutor.sandbox.trace import CallFailure, Row, Tracer

Found = tuple[str, str] | None

_MATMUL = re.compile(r"mat1 and mat2 shapes cannot be multiplied \((\d+)x(\d+) and (\d+)x(\d+)\)")
_RANK = re.compile(
    r"Expected (\d)D \(unbatched\) or (\d)D \(batched\) input to (\w+), "
    r"but got input of size: \[([\d, ]*)\]"
)
_POOL = re.compile(
    r"Given input size: \((\d+)x(\d+)x(\d+)\)\. "
    r"Calculated output size: \((\d+)x(-?\d+)x(-?\d+)\)"
)
_BATCH = re.compile(r"Expected input batch_size \((\d+)\) to match target batch_size \((\d+)\)")
_ASSIGN = re.compile(r"cannot assign (module|parameters|buffer) before Module.__init__\(\) call")


@dataclass
class _Context:
    """What the recognisers look at."""

    exc: BaseException
    text: str
    failure: CallFailure | None
    line: int | None
    source_lines: list[str]

    @property
    def where(self) -> str:
        """The failing layer as 'name (repr)', or a neutral phrase when unknown."""
        failure = self.failure
        if failure is None:
            return "A layer"
        if failure.layer.startswith(failure.name):
            return failure.layer
        return f"{failure.name} ({failure.layer})"

    def input_shape(self, index: int = 0) -> list[int] | None:
        """The failing call's positional input shape at index, if known."""
        if self.failure is None or len(self.failure.inputs) <= index:
            return None
        return self.failure.inputs[index]

    def attr(self, name: str) -> Any:
        """An attribute of the failing module, or None."""
        return getattr(self.failure.module, name, None) if self.failure else None


def explain(
    exc: BaseException, *, tracer: Tracer | None, source: str, filename: str
) -> dict[str, Any]:
    """The ``error`` event fields for an exception raised by the learner's code."""
    message = _one_line(exc)
    source_lines = source.splitlines()
    if isinstance(exc, SyntaxError) and exc.filename in (filename, None, "<string>"):
        return {
            "kind": "exception",
            "message": message,
            "explanation": _syntax(exc, source_lines),
            "line": exc.lineno,
            "layer": None,
        }
    failure = tracer.failure_for(exc) if tracer is not None else None
    context = _Context(exc, str(exc), failure, learner_line(exc, filename), source_lines)
    found: Found = None
    for recognise in _RECOGNISERS:
        try:
            found = recognise(context)
        except Exception:
            found = None
        if found is not None:
            break
    kind, explanation = found or ("exception", _generic(context))
    return {
        "kind": kind,
        "message": message,
        "explanation": explanation,
        "line": context.line,
        "layer": failure.name if failure is not None else None,
    }


def learner_line(exc: BaseException, filename: str) -> int | None:
    """The line of the innermost frame of the learner's file in the traceback."""
    line = None
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        if frame.f_code.co_filename == filename:
            line = lineno
    return line


# -- formatting helpers ------------------------------------------------------------------


def _one_line(exc: BaseException) -> str:
    text = next((part.strip() for part in str(exc).splitlines() if part.strip()), "")
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _shape(shape: list[int] | tuple[int, ...] | None) -> str:
    if shape is None:
        return "(?)"
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def _ints(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"-?\d+", text)]


def _is_ancestor(row: Row, name: str) -> bool:
    return name.startswith(row.module + ".")


def _earlier(failure: CallFailure) -> list[Row]:
    """Rows that ran before the failing call, nearest first, its containers left out."""
    return [r for r in reversed(failure.previous) if not _is_ancestor(r, failure.name)]


def _channel_producer(failure: CallFailure, channels: int) -> Row | None:
    """The nearest earlier layer that made `channels` channels (a conv, typically)."""
    for row in _earlier(failure):
        out = row.out
        if row.out_channels == channels and isinstance(out, list) and out and _flat(out):
            return row
    return None


def _flat(shape: Any) -> bool:
    return isinstance(shape, list) and all(isinstance(n, int) for n in shape)


def _spatial_history(failure: CallFailure) -> str:
    """How the height of the feature maps went down before the failing call: '28 → 14 → 7'."""
    shapes: list[Any] = []
    if failure.previous and failure.previous[0].inputs:
        shapes.append(failure.previous[0].inputs[0])
    shapes += [r.out for r in failure.previous if r.done and not _is_ancestor(r, failure.name)]
    shapes += failure.inputs[:1]
    sizes: list[int] = []
    for shape in shapes:
        if _flat(shape) and len(shape) == 4 and (not sizes or sizes[-1] != shape[2]):
            sizes.append(shape[2])
    return " → ".join(str(n) for n in sizes) if len(sizes) > 1 else ""


def _conv_call(module: Any, in_channels: int) -> str:
    """The nn.Conv2d(...) call with in_channels changed and the rest as the learner wrote."""
    parts = [str(in_channels), str(module.out_channels)]
    kernel = module.kernel_size
    parts.append(f"kernel_size={kernel[0] if len(set(kernel)) == 1 else kernel}")
    for name, default in (("stride", 1), ("padding", 0)):
        value = getattr(module, name)
        if isinstance(value, tuple) and len(set(value)) == 1:
            value = value[0]
        if value != default:
            parts.append(f"{name}={value!r}")
    return f"nn.{type(module).__name__}({', '.join(parts)})"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _bytes(count: int) -> str:
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if count >= size:
            return f"{count / size:.1f} {unit}"
    return f"{count} bytes"


# -- recognisers -------------------------------------------------------------------------


def _memory(c: _Context) -> Found:
    lowered = c.text.lower()
    is_memory = (
        isinstance(c.exc, MemoryError)
        or type(c.exc).__name__ == "OutOfMemoryError"
        or "out of memory" in lowered
        or "can't allocate memory" in lowered
        or "cannot allocate memory" in lowered
    )
    if not is_memory:
        return None
    size = ""
    match = re.search(r"tried to allocate (\d+) bytes", c.text, re.IGNORECASE)
    if match:
        size = f" it asked for {_bytes(int(match.group(1)))} at once"
    else:
        match = re.search(r"tried to allocate ([\d.]+ [KMGT]i?B)", c.text, re.IGNORECASE)
        size = f" it asked for {match.group(1)} at once" if match else ""
    inside = f" in {c.where}" if c.failure else ""
    return "memory", (
        f"The script ran out of memory{inside}:{size or ' a tensor did not fit'}. "
        "Use a smaller batch_size or smaller layers, and check that no tensor is far "
        "bigger than you meant (a Linear with a huge in_features, a forgotten pool)."
    )


def _linear_features(c: _Context) -> Found:
    match = _MATMUL.search(c.text)
    if not match:
        return None
    rows, got, want, outs = (int(g) for g in match.groups())
    if isinstance(c.attr("in_features"), int):
        want, outs = c.attr("in_features"), c.attr("out_features")
    shape = c.input_shape()
    if shape is not None and len(shape) > 2:
        flat = math.prod(shape[1:])
        fix = (
            "Flatten each example first: nn.Flatten() or torch.flatten(x, start_dim=1) "
            f"turns it into {_shape([shape[0], flat])}"
        )
        if flat != want:
            fix += f", and then the layer must be nn.Linear({flat}, {outs})"
        return "shape", (
            f"{c.where} got a tensor of shape {_shape(shape)}, but a Linear works on the last "
            f"axis only, so it saw {got} features where it expects {want}. {fix}."
        )
    batch = shape[0] if shape else rows
    factors = _flattened_factors(c.failure, batch, got) if c.failure else None
    origin = ""
    if factors is not None:
        ch, h, w = factors
        origin = f": the flattened {_shape([ch, h, w])} maps, {got} = {ch} × {h} × {w}"
    where = c.where if c.failure else "A Linear layer"
    return "shape", (
        f"{where} expects {want} features per example, but it receives {got}{origin}. "
        f"in_features must match what comes out of the flatten: use nn.Linear({got}, {outs})."
    )


def _flattened_factors(failure: CallFailure, batch: int, got: int) -> tuple[int, int, int] | None:
    """The (C, H, W) that flattened to `got` features, from the maps traced before the call."""
    earlier = _earlier(failure)
    for row in earlier:
        for shape in (row.out, *row.inputs[:1]):
            if _flat(shape) and len(shape) == 4 and shape[0] == batch:
                if math.prod(shape[1:]) == got:
                    return shape[1], shape[2], shape[3]
    for row in earlier:
        # a later pass with other image sizes: keep the channels, solve for a square map
        if _flat(row.out) and len(row.out) == 4 and got % row.out[1] == 0:
            side = math.isqrt(got // row.out[1])
            if side * side * row.out[1] == got:
                return row.out[1], side, side
    return None


def _conv_channels(c: _Context) -> Found:
    match = re.search(
        r"weight of size \[([\d, ]+)\], expected input\[([\d, ]+)\] to have (\d+) channels, "
        r"but got (\d+) channels",
        c.text,
    )
    if not match:
        return None
    shown = _ints(match.group(2))
    want, got = int(match.group(3)), int(match.group(4))
    shape = c.input_shape() or shown
    where = c.where if c.failure else "A conv layer"
    if len(shape) == 3:
        if shape[-1] == want and shape[0] != want:
            return "shape", (
                f"{where} got one image of shape {_shape(shape)} with the channels last. "
                f"PyTorch wants (C, H, W): x.permute(2, 0, 1) gives "
                f"{_shape([shape[2], shape[0], shape[1]])}, and x.unsqueeze(0) adds the batch axis."
            )
        fix = "x.unsqueeze(1)" if want == 1 else f"x.view({shape[0]}, {want}, ...)"
        target = [shape[0], 1, *shape[1:]] if want == 1 else None
        return "shape", (
            f"{where} got a tensor of shape {_shape(shape)}: with only 3 axes PyTorch reads it "
            f"as ONE unbatched image with {shape[0]} channels, not a batch of {shape[0]} "
            f"images, and this layer expects {_count(want, 'channel')}. "
            f"Add the channel axis: {fix}"
            + (f" turns it into {_shape(target)}." if target else ".")
        )
    if len(shape) == 4 and shape[3] == want and shape[1] != want:
        n, h, w, ch = shape
        return "shape", (
            f"{where} expects {want} channels on axis 1, (B, C, H, W), but the batch has shape "
            f"{_shape(shape)}: the channels are last, as NumPy and Pillow store images, so it "
            f"read {shape[1]} channels. Move them to axis 1: x.permute(0, 3, 1, 2), or "
            f"np.transpose(X, (0, 3, 1, 2)) on the array, gives {_shape([n, ch, h, w])}."
        )
    producer = _channel_producer(c.failure, got) if c.failure else None
    module = c.failure.module if c.failure else None
    fix = _conv_call(module, got) if module is not None and hasattr(module, "kernel_size") else ""
    if producer is not None:
        return "shape", (
            f"{where} expects {_count(want, 'input channel')}, but the layer before it, "
            f"{producer.module} ({producer.layer}), produces {got} channels. "
            "A conv's in_channels must equal the out_channels of the conv before it: "
            f"use in_channels={got}" + (f", {fix}." if fix else ".")
        )
    return "shape", (
        f"{where} expects {_count(want, 'input channel')}, but its input {_shape(shape)} has {got} "
        f"(axis 1). in_channels must match the data: 1 for grey images, 3 for RGB; "
        f"use in_channels={got}" + (f", {fix}," if fix else "") + " or reshape the input."
    )


def _conv_rank(c: _Context) -> Found:
    match = _RANK.search(c.text)
    if not match:
        return None
    shape = _ints(match.group(4))
    layer = match.group(3)
    where = c.where if c.failure else f"A {layer} layer"
    want = int(match.group(2))
    if len(shape) == 2 and want == 4:
        side = math.isqrt(shape[1])
        if side * side == shape[1]:
            fix = (
                f"rows of {shape[1]} pixels look like flat {side}x{side} images: "
                f"x.view(-1, 1, {side}, {side}) gives {_shape([shape[0], 1, side, side])}"
            )
        else:
            one = _shape([1, 1, *shape])
            fix = f"a single image needs x.unsqueeze(0).unsqueeze(0), giving {one}"
        return "shape", (
            f"{where} needs (B, C, H, W) input, but got {_shape(shape)}, only 2 axes; {fix}."
        )
    return "shape", (
        f"{where} needs {want}-axis input (B, C, H, W), but got {_shape(shape)} with "
        f"{len(shape)} axes. Check the reshapes before it: every batch should be (B, C, H, W)."
    )


def _batchnorm_features(c: _Context) -> Found:
    match = re.search(r"running_mean should contain (\d+) elements not (\d+)", c.text)
    if not match:
        return None
    got, want = int(match.group(1)), int(match.group(2))
    where = c.where if c.failure else "A BatchNorm layer"
    producer = _channel_producer(c.failure, got) if c.failure else None
    source = f"{producer.module} ({producer.layer}) produces" if producer else "its input has"
    name = type(c.failure.module).__name__ if c.failure else "BatchNorm2d"
    return "shape", (
        f"{where} normalises {want} channels, but {source} {got}. num_features must equal "
        f"the out_channels of the conv before it: use nn.{name}({got})."
    )


def _too_small(c: _Context) -> Found:
    kernel = re.search(
        r"Calculated padded input size per channel: \((\d+) x (\d+)\)\. "
        r"Kernel size: \((\d+) x (\d+)\)",
        c.text,
    )
    pool = _POOL.search(c.text)
    if not kernel and not pool:
        return None
    where = c.where if c.failure else "A layer"
    history = _spatial_history(c.failure) if c.failure else ""
    shrink = f" The maps shrank {history} before it." if history else ""
    if kernel:
        h, w, kh, kw = (int(g) for g in kernel.groups())
        return "shape", (
            f"{where} got feature maps of only {h}×{w}, smaller than its {kh}×{kw} kernel.{shrink} "
            f"Use padding={kh // 2} to keep the size, fewer pools, or a smaller kernel."
        )
    assert pool is not None
    _, h, w, _, oh, ow = (int(g) for g in pool.groups())
    return "shape", (
        f"{where} got feature maps of {h}×{w}, which would leave {oh}×{ow} after it.{shrink} "
        "There are too many pools (or unpadded convs) for this image size: remove one."
    )


def _target_dtype(c: _Context) -> Found:
    patterns = (
        r"expected target dtype to be Long",
        r"expected scalar type Long but found",
        r"Expected object of scalar type Long",
    )
    if not any(re.search(p, c.text) for p in patterns):
        return None
    failure = c.failure
    labels = ""
    if failure is not None and len(failure.inputs) > 1:
        labels = (
            f" got labels of dtype {failure.input_dtypes[1]} and shape {_shape(failure.inputs[1])}"
        )
    where = c.where if failure else "The loss"
    return "exception", (
        f"{where}{labels or ' got labels that are not integers'}, but it needs integer class "
        "indices (0 to C-1), one per example, as torch.long. Convert them: y.long(), or build "
        "them with torch.tensor(y, dtype=torch.long)."
    )


def _target_shape(c: _Context) -> Found:
    where = c.where if c.failure else "The loss"
    if "multi-target not supported" in c.text:
        labels = c.input_shape(1)
        shape = _shape(labels) if labels else "more than one axis"
        n = labels[0] if labels else "B"
        return "shape", (
            f"{where} got labels of shape {shape}, but it wants one class index per example, "
            f"shape ({n},). Use y.view(-1) (or y.argmax(1) for one-hot labels)."
        )
    match = _BATCH.search(c.text)
    if match:
        preds, targets = match.groups()
        return "shape", (
            f"{where} got {preds} predictions but {targets} labels. A reshape in forward "
            "probably mixed examples together: flatten with torch.flatten(x, start_dim=1) "
            "or x.view(x.size(0), -1) so the batch axis stays."
        )
    match = re.search(r"Target (-?\d+) is out of bounds", c.text)
    if match:
        classes = c.input_shape(0)
        n = classes[-1] if classes else "C"
        return "exception", (
            f"{where} got the label {match.group(1)}, but the model has {n} outputs, so labels "
            f"must be 0 to {n if isinstance(n, str) else n - 1}. Give the last Linear one output "
            "per class, or check the labels."
        )
    return None


def _devices(c: _Context) -> Found:
    text = c.text
    cross = re.search(r"Input type \(([\w.]+)\) and weight type \(([\w.]+)\)", text)
    device_words = ("cuda", "mps", "meta", "xpu")
    is_device = (
        "Expected all tensors to be on the same device" in text
        or "is not on the expected device" in text
        or bool(cross and any(w in cross.group(1) + cross.group(2) for w in device_words))
    )
    if not is_device:
        return None
    failure = c.failure
    facts = ""
    if failure is not None and failure.param_device:
        data = next((d for d in failure.input_devices if d), None)
        if data and data != failure.param_device:
            facts = f" has its weights on {failure.param_device} but got a batch on {data}"
    if not facts:
        found = re.search(r"two devices, ([\w:]+) and ([\w:]+)", text) or re.search(
            r"device (\w+(?::\d+)?) is not on the expected device (\w+(?::\d+)?)", text
        )
        facts = f" got tensors on {found.group(1)} and {found.group(2)}" if found else ""
    where = c.where if failure else "A layer"
    return "exception", (
        f"{where}{facts or ' got tensors on two different devices'}: the model and the data "
        "must be on the same device. Move the model once with model.to(device), and every "
        "batch inside the loop: x, y = x.to(device), y.to(device)."
    )


def _dtypes(c: _Context) -> Found:
    text = c.text
    match = re.search(r"Input type \((.+?)\) and (?:weight|bias) type \((.+?)\)", text)
    other = re.search(
        r"mat1 and mat2 must have the same dtype, but got (\w+) and (\w+)"
        r"|expected scalar type (\w+) but found (\w+)"
        r"|expected (?:m1 and m2|mat1 and mat2) to have the same dtype",
        text,
    )
    if not match and not other:
        return None
    failure = c.failure
    dtype = next((d for d in failure.input_dtypes if d), None) if failure else None
    if dtype is None and match:
        dtype = match.group(1)
    where = c.where if failure else "A layer"
    if dtype and ("int" in dtype or "char" in dtype or "long" in dtype):
        fix = "Images stored as integers need x.float() / 255 to become float32 in [0, 1]."
    else:
        fix = (
            "Convert the data with x.float() (a NumPy float array gives float64 through "
            "torch.from_numpy)."
        )
    got = f" got {dtype} data" if dtype else " got data of another dtype"
    return "exception", f"{where}{got}, but its weights are float32. {fix}"


def _module_init(c: _Context) -> Found:
    match = _ASSIGN.search(c.text)
    no_init = isinstance(c.exc, AttributeError) and re.search(
        r"object has no attribute '_(modules|parameters|buffers|forward_hooks|backward_hooks)'",
        c.text,
    )
    if not match and not no_init:
        return None
    cls = _init_class(c.exc) or "your model class"
    code = ""
    if c.line and 0 < c.line <= len(c.source_lines):
        code = f" (line {c.line}: {c.source_lines[c.line - 1].strip()})"
    what = {"module": "a layer", "parameters": "a parameter", "buffer": "a buffer"}
    thing = what[match.group(1)] if match else "a layer"
    return "exception", (
        f"{cls}.__init__ stores {thing}{code} before nn.Module has been set up, because "
        "super().__init__() was not called first. Make super().__init__() the first line "
        f"of {cls}.__init__."
    )


def _init_class(exc: BaseException) -> str | None:
    name = None
    for frame, _ in traceback.walk_tb(exc.__traceback__):
        self = frame.f_locals.get("self")
        if isinstance(self, torch.nn.Module) and frame.f_code.co_name == "__init__":
            name = type(self).__name__
            break
    return name


def _name_error(c: _Context) -> Found:
    if not isinstance(c.exc, NameError) or not getattr(c.exc, "name", None):
        return None
    name = c.exc.name  # type: ignore[attr-defined]
    imports = {
        "nn": "import torch.nn as nn",
        "torch": "import torch",
        "F": "import torch.nn.functional as F",
        "np": "import numpy as np",
        "pd": "import pandas as pd",
        "DataLoader": "from torch.utils.data import DataLoader",
        "TensorDataset": "from torch.utils.data import TensorDataset",
    }
    hint = (
        f" Add `{imports[name]}` at the top."
        if name in imports
        else (" Check the spelling, and that it is defined or imported before this line.")
    )
    at = f" on line {c.line}" if c.line else ""
    return "exception", f"The name {name!r} is used{at} but was never defined.{hint}"


_RECOGNISERS: list[Callable[[_Context], Found]] = [
    _memory,
    _linear_features,
    _conv_channels,
    _conv_rank,
    _batchnorm_features,
    _too_small,
    _target_dtype,
    _target_shape,
    _devices,
    _dtypes,
    _module_init,
    _name_error,
]


def _generic(c: _Context) -> str:
    """Type, message and line, with the failing layer's inputs when one raised."""
    at = f" on line {c.line}" if c.line else ""
    code = ""
    if c.line and 0 < c.line <= len(c.source_lines):
        code = f" ({c.source_lines[c.line - 1].strip()})"
    text = _one_line(c.exc).partition(": ")[2] or "no message"
    parts = [f"Python raised {type(c.exc).__name__}{at}{code}: {text}."]
    if c.failure is not None:
        shapes = ", ".join(_shape(s) for s in c.failure.inputs if s is not None)
        got = f" with input {shapes}" if shapes else ""
        parts.append(f"It happened inside {c.where}{got}.")
    return " ".join(parts)


_SYNTAX_WORDS = (
    (
        "expected ':'",
        "a line that opens a block (def, class, if, for, while, with) must end with a colon",
    ),
    ("was never closed", "a bracket opened here is never closed"),
    ("unmatched", "there is a closing bracket with no opening one"),
    ("does not match opening", "the closing bracket does not match the opening one"),
    ("unterminated string", "a string is missing its closing quote"),
    ("expected an indented block", "the line after a colon must be indented"),
    ("unexpected indent", "this line is indented more than the code around it"),
    ("unindent does not match", "this line's indentation matches no outer block"),
    ("inconsistent use of tabs", "tabs and spaces are mixed; indent with spaces only"),
)


def _syntax(exc: SyntaxError, source_lines: list[str]) -> str:
    """Where Python stopped reading, the line with a caret under it, and what it means."""
    lineno = exc.lineno or 0
    column = exc.offset or 1
    text = exc.text
    if text is None and 0 < lineno <= len(source_lines):
        text = source_lines[lineno - 1]
    msg = exc.msg or "invalid syntax"
    plain = next((words for key, words in _SYNTAX_WORDS if key in msg), None)
    if plain is None:
        plain = "something here is not valid Python; look at the caret and just before it"
    code = ""
    if text:
        line = text.rstrip("\n").expandtabs()
        stripped = line.lstrip()
        indent = len(line) - len(stripped)
        caret = max(column - 1 - indent, 0)
        width = 1
        if exc.end_lineno == exc.lineno and exc.end_offset and exc.end_offset > column:
            width = exc.end_offset - column
        code = f"\n    {stripped}\n    {' ' * caret}{'^' * width}"
    return (
        f"Python could not read line {lineno}, column {column}: {plain} (Python says: {msg}).{code}"
    )
