"""What an error recogniser looks at (``Context``) and the helpers recognisers share.

A recogniser is a function ``Context -> Found``: None when the error is not its kind, else
``(kind, explanation)``. The facts come from the exception and from the tracer: the
failing call (``CallFailure``: its layer, input shapes, dtypes and devices), the rows of
the first pass that ran before it, and the learner's source.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from tutor.sandbox.layers import CallFailure, Row

Found = tuple[str, str] | None


@dataclass
class Context:
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


def one_line(exc: BaseException) -> str:
    text = next((part.strip() for part in str(exc).splitlines() if part.strip()), "")
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def fmt_shape(shape: list[int] | tuple[int, ...] | None) -> str:
    if shape is None:
        return "(?)"
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def ints(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"-?\d+", text)]


def is_ancestor(row: Row, name: str) -> bool:
    return name.startswith(row.module + ".")


def earlier(failure: CallFailure) -> list[Row]:
    """Rows that ran before the failing call, nearest first, its containers left out."""
    return [r for r in reversed(failure.previous) if not is_ancestor(r, failure.name)]


def channel_producer(failure: CallFailure, channels: int) -> Row | None:
    """The nearest earlier layer that made `channels` channels (a conv, typically)."""
    for row in earlier(failure):
        out = row.out
        if row.out_channels == channels and isinstance(out, list) and out and is_flat(out):
            return row
    return None


def is_flat(shape: Any) -> bool:
    return isinstance(shape, list) and all(isinstance(n, int) for n in shape)


def spatial_history(failure: CallFailure) -> str:
    """How the height of the feature maps went down before the failing call: '28 → 14 → 7'."""
    shapes: list[Any] = []
    if failure.previous and failure.previous[0].inputs:
        shapes.append(failure.previous[0].inputs[0])
    shapes += [r.out for r in failure.previous if r.done and not is_ancestor(r, failure.name)]
    shapes += failure.inputs[:1]
    sizes: list[int] = []
    for shape in shapes:
        if is_flat(shape) and len(shape) == 4 and (not sizes or sizes[-1] != shape[2]):
            sizes.append(shape[2])
    return " → ".join(str(n) for n in sizes) if len(sizes) > 1 else ""


def conv_call(module: Any, in_channels: int) -> str:
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


def count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def nbytes(count: int) -> str:
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if count >= size:
            return f"{count / size:.1f} {unit}"
    return f"{count} bytes"


def last_maps(failure: CallFailure | None) -> list[int] | None:
    """The last 4-axis (B, C, H, W) output traced before the failing call."""
    if failure is None:
        return None
    for row in earlier(failure):
        if is_flat(row.out) and len(row.out) == 4:
            return list(row.out)
    for shape in failure.inputs[:1]:
        if is_flat(shape) and shape is not None and len(shape) == 4:
            return list(shape)
    return None


def root_batch(failure: CallFailure | None) -> int | None:
    """The batch size the model itself was called with in the failing pass, when known."""
    if failure is None:
        return None
    for shape in failure.root_inputs[:1]:
        if is_flat(shape) and shape:
            return int(shape[0])
    return None


def times(numbers: list[int] | tuple[int, ...]) -> str:
    """16 × 4 × 4."""
    return " × ".join(str(n) for n in numbers)


def code_line(c: Context) -> str:
    """' (line 12: x = x.view(-1, 400))' for the failing line, or ''."""
    if c.line and 0 < c.line <= len(c.source_lines):
        return f" (line {c.line}: {c.source_lines[c.line - 1].strip()})"
    return ""


def find_line(c: Context, pattern: str) -> str:
    """' (line N: code)' for the last line of the learner's source that matches `pattern` (a
    regex), or ''."""
    for number in range(len(c.source_lines), 0, -1):
        line = c.source_lines[number - 1]
        if re.search(pattern, line):
            return f" (line {number}: {line.strip()})"
    return ""


def exception_chain(exc: BaseException) -> Iterator[BaseException]:
    """`exc`, then each exception it was raised from or while handling, each once."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        each = todo.pop()
        if each is None or id(each) in seen:
            continue
        seen.add(id(each))
        yield each
        todo += [each.__cause__, each.__context__]


def in_traceback(exc: BaseException, *parts: str) -> bool:
    """Whether a frame of the traceback (or of the exception's causes) is in a file whose
    path contains one of `parts`."""
    return any(
        any(p in frame.f_code.co_filename for p in parts)
        for each in exception_chain(exc)
        for frame, _ in traceback.walk_tb(each.__traceback__)
    )
