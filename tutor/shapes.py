"""Shape arithmetic for conv nets without torch: output sizes, parameters, receptive fields.

The same formulas the lessons teach (H_out = ⌊(H − K + 2P)/S⌋ + 1), used by the
playground's trace and the lesson pictures, so the two always agree with each other and
(tests check) with torch.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass


def conv_out(
    size: int, kernel: int, *, stride: int = 1, padding: int = 0, dilation: int = 1
) -> int:
    """One spatial side after a convolution or pooling window: ⌊(H − D·(K−1) − 1 + 2P)/S⌋ + 1.

    stride, padding and dilation are named at every call, so their order cannot be swapped.
    """
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def pool_out(size: int, kernel: int = 2, *, stride: int | None = None, padding: int = 0) -> int:
    """One spatial side after a pooling window, whose stride defaults to its size."""
    return conv_out(size, kernel, stride=stride or kernel, padding=padding)


def conv_out_rounded_up(size: int, kernel: int, *, stride: int = 1, padding: int = 0) -> int:
    """The output side with the division rounded up: a common slip the checks recognise."""
    return -(-(size - kernel + 2 * padding) // stride) + 1


def conv_params(in_channels: int, out_channels: int, kernel: int, bias: bool = True) -> int:
    """A square conv's parameters: out·in·K·K weights, plus one bias per filter."""
    return out_channels * in_channels * kernel * kernel + (out_channels if bias else 0)


def linear_params(in_features: int, out_features: int, bias: bool = True) -> int:
    """A Linear layer's parameters: in·out weights, plus one bias per output."""
    return in_features * out_features + (out_features if bias else 0)


def shape_text(shape: Sequence[int] | None, none: str = "-") -> str:
    """A shape the way Python prints a tuple, (16, 32, 32) or (10,); `none` when unknown."""
    if shape is None:
        return none
    inner = ", ".join(str(int(n)) for n in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def formula(size: int, kernel: int, *, stride: int, padding: int) -> str:
    """The output-size formula with the numbers filled in, e.g. ⌊(28 − 3 + 2·1)/1⌋ + 1 = 28."""
    out = conv_out(size, kernel, stride=stride, padding=padding)
    return f"⌊({size} − {kernel} + 2·{padding})/{stride}⌋ + 1 = {out}"


@dataclass(frozen=True)
class Window:
    """The sliding-window settings of a conv or pool layer (height and width alike)."""

    kind: str  # "conv", "maxpool" or "avgpool"
    kernel: int
    stride: int
    padding: int = 0
    in_channels: int | None = None
    out_channels: int | None = None
    bias: bool = True

    @property
    def params(self) -> int:
        if self.kind != "conv" or self.in_channels is None or self.out_channels is None:
            return 0
        return conv_params(self.in_channels, self.out_channels, self.kernel, bias=self.bias)


@dataclass(frozen=True)
class Field:
    """A receptive field: its side in input pixels and the input-pixel distance between
    neighbouring units (the product of the strides so far)."""

    size: int = 1
    jump: int = 1

    def through(self, window: Window) -> Field:
        """The field after one more window: r' = r + (K − 1)·j, j' = j·S."""
        return Field(self.size + (window.kernel - 1) * self.jump, self.jump * window.stride)


def receptive_field(windows: list[Window]) -> int:
    """Side, in input pixels, of what one unit after `windows` can see."""
    field = Field()
    for window in windows:
        field = field.through(window)
    return field.size


_INT = r"\(?(\d+)"


def _arg(text: str, name: str, position: int | None, default: int) -> int:
    match = re.search(rf"{name}={_INT}", text)
    if match:
        return int(match.group(1))
    if position is not None:
        inside = text[text.index("(") + 1 : text.rindex(")")] if "(" in text else ""
        plain = [p.strip() for p in re.split(r",(?![^()]*\))", inside) if "=" not in p]
        if len(plain) > position and plain[position].strip("() ").split(",")[0].isdigit():
            return int(plain[position].strip("() ").split(",")[0])
    return default


def parse_layer(text: str) -> Window | None:
    """The window of a layer from its PyTorch repr, e.g. 'Conv2d(1, 16, kernel_size=(3, 3),
    stride=(1, 1), padding=(1, 1))' or 'MaxPool2d(kernel_size=2, stride=2, ...)'; None for
    layers without one (ReLU, Flatten, Linear ...)."""
    name = text.split("(", 1)[0].strip()
    if name == "Conv2d":
        return Window(
            "conv",
            kernel=_arg(text, "kernel_size", 2, 1),
            stride=_arg(text, "stride", 3, 1),
            padding=_arg(text, "padding", 4, 0),
            in_channels=_arg(text, "in_channels", 0, 0),
            out_channels=_arg(text, "out_channels", 1, 0),
            bias="bias=False" not in text,
        )
    if name in ("MaxPool2d", "AvgPool2d"):
        kernel = _arg(text, "kernel_size", 0, 1)
        return Window(
            "maxpool" if name == "MaxPool2d" else "avgpool",
            kernel=kernel,
            stride=_arg(text, "stride", 1, kernel),
            padding=_arg(text, "padding", 2, 0),
        )
    return None


def short_layer(text: str, width: int = 40, *, compact: bool = False) -> str:
    """A layer's repr cut to what matters for its shape: Conv2d(1, 16, k=3, s=1, p=1),
    MaxPool2d(k=2, s=2, p=0), Linear(3136, 10); a lazy conv before it took its shape as
    LazyConv2d(?, 16, ...); any other repr longer than `width` ends in an ellipsis.

    `compact` leaves out a stride or padding at its default (Conv2d(1, 16, k=3, p=1)), for
    a table that must fit a narrow terminal."""
    name = text.split("(", 1)[0]
    window = parse_layer(text)
    if window is not None:
        default_stride = 1 if window.kind == "conv" else window.kernel
        sizes = [f"k={window.kernel}"]
        if not compact or window.stride != default_stride:
            sizes.append(f"s={window.stride}")
        if not compact or window.padding:
            sizes.append(f"p={window.padding}")
        if window.kind == "conv":
            sizes = [str(window.in_channels), str(window.out_channels), *sizes]
        return f"{name}({', '.join(sizes)})"
    linear = re.match(r"Linear\(in_features=(\d+), out_features=(\d+)", text)
    if linear:
        return f"Linear({linear.group(1)}, {linear.group(2)})"
    if text.endswith("()") or "(" not in text or name in ("Flatten", "ReLU", "Dropout"):
        return name
    return text if len(text) <= width else text[: width - 1].rstrip(", ") + "…"


# --- a stack of layers, traced shape by shape (the shape calculator) -------------------------


@dataclass(frozen=True)
class Layer:
    """One line of a layer stack: its kind and the numbers it was given.

    `in_channels`/`in_features` are None where the learner left them to be inferred
    (the short form `conv 16 k3 p1` takes whatever channels arrive).
    """

    kind: str  # conv, maxpool, avgpool, flatten, linear, relu, batchnorm, dropout
    text: str
    kernel: int = 1
    stride: int = 1
    padding: int = 0
    in_channels: int | None = None
    out_channels: int | None = None
    in_features: int | None = None
    out_features: int | None = None
    bias: bool = True

    @property
    def window(self) -> Window | None:
        """The sliding window of a conv or pool layer; None for the others."""
        if self.kind not in ("conv", "maxpool", "avgpool"):
            return None
        return Window(self.kind, self.kernel, self.stride, self.padding)


class LayerError(ValueError):
    """A line of a layer stack that could not be read; the message says what to write."""


_PASS_THROUGH = {"relu": "relu", "dropout": "dropout", "sigmoid": "relu", "tanh": "relu"}
_TORCH_NAMES = {
    "conv2d": "conv",
    "maxpool2d": "maxpool",
    "avgpool2d": "avgpool",
    "flatten": "flatten",
    "linear": "linear",
    "relu": "relu",
    "batchnorm2d": "batchnorm",
    "dropout": "dropout",
}
_EXAMPLES = "e.g. conv 16 k3 p1, pool 2, flatten, linear 10 or Conv2d(1, 16, 3, padding=1)"


def _call_args(text: str) -> tuple[list[int], dict[str, int | bool]]:
    """The positional and keyword numbers of `Name(1, 16, 3, padding=1)`."""
    inside = text[text.index("(") + 1 : text.rindex(")")] if "(" in text else ""
    positional: list[int] = []
    named: dict[str, int | bool] = {}
    for part in re.split(r",(?![^()]*\))", inside):
        part = part.strip()
        if not part:
            continue
        name, _, value = part.rpartition("=")
        value = value.strip().strip("()").split(",")[0].strip()
        number: int | bool
        if value in ("True", "False"):
            number = value == "True"
        elif re.fullmatch(r"\d+", value):
            number = int(value)
        else:
            raise LayerError(f"'{part}' is not a whole number")
        if name:
            named[name.strip()] = number
        elif named:
            raise LayerError("a plain number cannot follow a name=value")
        else:
            positional.append(int(number))
    return positional, named


def _pick(positional: list[int], named: dict[str, int | bool], names: list[str]) -> dict[str, int]:
    values = dict(zip(names, positional, strict=False))
    if len(positional) > len(names):
        raise LayerError(f"too many numbers: this layer takes {', '.join(names)}")
    for key, value in named.items():
        if key not in names and key != "bias":
            raise LayerError(f"unknown setting '{key}'")
        if key in names:
            values[key] = int(value)
    return values


def _torch_layer(kind: str, text: str) -> Layer:
    positional, named = _call_args(text)
    bias = bool(named.get("bias", True))
    if kind == "conv":
        names = ["in_channels", "out_channels", "kernel_size", "stride", "padding"]
        v = _pick(positional, named, names)
        if not {"in_channels", "out_channels", "kernel_size"} <= v.keys():
            raise LayerError("Conv2d needs in_channels, out_channels and kernel_size")
        return Layer(
            kind, text, v["kernel_size"], v.get("stride", 1), v.get("padding", 0),
            in_channels=v["in_channels"], out_channels=v["out_channels"], bias=bias,
        )  # fmt: skip
    if kind in ("maxpool", "avgpool"):
        v = _pick(positional, named, ["kernel_size", "stride", "padding"])
        if "kernel_size" not in v:
            raise LayerError("a pool needs kernel_size")
        k = v["kernel_size"]
        return Layer(kind, text, k, v.get("stride", k), v.get("padding", 0))
    if kind == "linear":
        v = _pick(positional, named, ["in_features", "out_features"])
        if len(v) < 2:
            raise LayerError("Linear needs in_features and out_features")
        return Layer(
            kind, text, in_features=v["in_features"], out_features=v["out_features"], bias=bias
        )
    if kind == "batchnorm":
        v = _pick(positional, named, ["num_features"])
        if "num_features" not in v:
            raise LayerError("BatchNorm2d needs num_features")
        return Layer(kind, text, in_channels=v["num_features"])
    return Layer(kind, text)


def _short_layer(words: list[str], text: str) -> Layer:
    """`conv 16 k3 s1 p1`, `pool 2`, `avgpool 2 s1`, `linear 10`, `flatten`, `relu`."""
    head, rest = words[0], words[1:]
    kind = {"conv": "conv", "pool": "maxpool", "maxpool": "maxpool", "avgpool": "avgpool"}.get(
        head, _TORCH_NAMES.get(head, head)
    )
    numbers: dict[str, int] = {}
    for word in rest:
        match = re.fullmatch(r"([ksp]?)=?(\d+)", word)
        if not match:
            raise LayerError(f"'{word}' is not understood; {_EXAMPLES}")
        numbers[match.group(1) or "n"] = int(match.group(2))
    if kind == "conv":
        if "n" not in numbers:
            raise LayerError("say how many filters: conv 16 k3 p1")
        k = numbers.get("k", 3)
        return Layer(
            kind, text, k, numbers.get("s", 1), numbers.get("p", 0), out_channels=numbers["n"]
        )
    if kind in ("maxpool", "avgpool"):
        k = numbers.get("n", numbers.get("k", 2))
        return Layer(kind, text, k, numbers.get("s", k), numbers.get("p", 0))
    if kind == "linear":
        if "n" not in numbers:
            raise LayerError("say how many outputs: linear 10")
        return Layer(kind, text, out_features=numbers["n"])
    if kind in ("flatten", "relu", "dropout", "batchnorm"):
        return Layer(kind, text)
    if head in _PASS_THROUGH:
        return Layer(_PASS_THROUGH[head], text)
    raise LayerError(f"unknown layer '{words[0]}'; {_EXAMPLES}")


def parse_stack_line(text: str) -> Layer:
    """One layer from a short line (`conv 16 k3 p1`) or a PyTorch call (`nn.Conv2d(1, 16, 3)`)."""
    line = text.strip()
    if "(" in line:
        name = line.split("(", 1)[0].strip().removeprefix("nn.").lower()
        kind = _TORCH_NAMES.get(name)
        if kind is None:
            raise LayerError(f"unknown layer '{line.split('(', 1)[0].strip()}'; {_EXAMPLES}")
        if not line.endswith(")"):
            raise LayerError("a closing ')' is missing")
        return _torch_layer(kind, line)
    words = line.lower().replace(",", " ").split()
    if not words:
        raise LayerError("empty line")
    return _short_layer(words, line)


@dataclass(frozen=True)
class Step:
    """One layer of a traced stack: the shape after it, its parameters and receptive field.

    `shape` is None when the layer cannot apply (`problem` says why) or an earlier one could
    not; `field` is None once Flatten has mixed every position together.
    """

    text: str
    layer: Layer | None
    shape: tuple[int, ...] | None
    params: int = 0
    field: int | None = None
    problem: str | None = None
    note: str | None = None


def _times(numbers: tuple[int, ...]) -> str:
    return " × ".join(str(n) for n in numbers)


def _apply(layer: Layer, shape: tuple[int, ...], flat_from: tuple[int, ...] | None) -> Step:
    """The step of one layer on an input of `shape` (its problem if it cannot apply)."""
    kind = layer.kind

    def fail(why: str) -> Step:
        return Step(layer.text, layer, None, problem=why)

    def sides(h: int, w: int) -> tuple[int, int]:
        k, s, p = layer.kernel, layer.stride, layer.padding
        return conv_out(h, k, stride=s, padding=p), conv_out(w, k, stride=s, padding=p)

    if kind in ("conv", "maxpool", "avgpool", "batchnorm") and len(shape) != 4:
        name = {"conv": "Conv2d", "batchnorm": "BatchNorm2d"}.get(kind, "a 2D pool")
        return fail(f"{name} needs (B, C, H, W), but {shape} arrives (after Flatten?)")
    if kind == "conv":
        b, c, h, w = shape
        if layer.in_channels is not None and layer.in_channels != c:
            return fail(f"in_channels is {layer.in_channels}, but {c} channels arrive")
        if layer.kernel < 1 or layer.stride < 1 or layer.out_channels == 0:
            return fail("kernel, stride and out_channels must be at least 1")
        if min(h, w) + 2 * layer.padding < layer.kernel:
            padded = f" (with padding {layer.padding})" if layer.padding else ""
            side = f"{h + 2 * layer.padding}×{w + 2 * layer.padding}"
            return fail(f"kernel {layer.kernel} is larger than the {side} map{padded}")
        out_c = layer.out_channels or 0
        params = conv_params(c, out_c, layer.kernel, bias=layer.bias)
        return Step(layer.text, layer, (b, out_c, *sides(h, w)), params)
    if kind in ("maxpool", "avgpool"):
        b, c, h, w = shape
        if layer.kernel < 1 or layer.stride < 1:
            return fail("kernel and stride must be at least 1")
        if 2 * layer.padding > layer.kernel:
            return fail(f"padding {layer.padding} is more than half the kernel {layer.kernel}")
        if min(h, w) + 2 * layer.padding < layer.kernel:
            return fail(f"kernel {layer.kernel} is larger than the {h}×{w} map")
        return Step(layer.text, layer, (b, c, *sides(h, w)))
    if kind == "batchnorm":
        c = shape[1]
        if layer.in_channels is not None and layer.in_channels != c:
            return fail(f"num_features is {layer.in_channels}, but {c} channels arrive")
        return Step(layer.text, layer, shape, 2 * c)
    if kind == "flatten":
        if len(shape) < 2:
            return Step(layer.text, layer, shape)
        features = 1
        for n in shape[1:]:
            features *= n
        return Step(layer.text, layer, (shape[0], features))
    if kind == "linear":
        last = shape[-1]
        wanted = layer.in_features
        if wanted is not None and wanted != last:
            if flat_from is not None and len(shape) == 2:
                where = f"Flatten gives {last} = {_times(flat_from)}"
            else:
                where = f"the last axis of {shape} is {last}"
            return fail(f"in_features is {wanted}, but {where}")
        out_f = layer.out_features or 0
        params = linear_params(last, out_f, bias=layer.bias)
        note = None
        if len(shape) > 2:
            note = f"acts on the last axis only ({last}); Flatten first?"
        return Step(layer.text, layer, (*shape[:-1], out_f), params, note=note)
    return Step(layer.text, layer, shape)


def trace_stack(input_shape: tuple[int, ...], lines: list[str]) -> list[Step]:
    """Each line's layer applied in turn to `input_shape`: shapes, parameters, fields, problems.

    Blank lines and `#` comments are skipped. After the first problem the later layers get
    no shape (what they would receive is unknown).
    """
    steps: list[Step] = []
    shape: tuple[int, ...] | None = input_shape
    field: Field | None = Field()
    flat_from: tuple[int, ...] | None = None
    for raw in lines:
        text = raw.split("#", 1)[0].strip()
        if not text:
            continue
        try:
            layer = parse_stack_line(text)
        except LayerError as exc:
            steps.append(Step(text, None, None, problem=str(exc)))
            shape = None
            continue
        if shape is None:
            steps.append(Step(text, layer, None))
            continue
        step = _apply(layer, shape, flat_from)
        if step.shape is not None:
            window = layer.window
            if field is not None and window is not None:
                field = field.through(window)
            elif layer.kind in ("flatten", "linear") and len(step.shape) == 2:
                field = None
            flat_from = shape[1:] if layer.kind == "flatten" else flat_from
            step = Step(step.text, layer, step.shape, step.params,
                        field.size if field else None, None, step.note)  # fmt: skip
        shape = step.shape
        steps.append(step)
    return steps
