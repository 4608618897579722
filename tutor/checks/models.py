"""Judging facts about a learner's nn.Module class (tutor side: no torch, no textual).

The probes in `tutor.checks.probes` measure a model; these helpers turn the facts into
parts whose messages name the mistake in the learner's terms.
"""

from __future__ import annotations

import re
from typing import Any

from tutor.checks.compare import fmt_count, fmt_shape
from tutor.checks.verdict import Part

_CHANNELS = re.compile(
    r"expected input\[([\d, ]+)\] to have (\d+) channels, but got (\d+) channels"
)
_MATMUL = re.compile(r"mat1 and mat2 shapes cannot be multiplied \((\d+)x(\d+) and (\d+)x(\d+)\)")
_RUNNING = re.compile(r"running_mean should contain (\d+) elements not (\d+)")


def call_kind(call: dict[str, Any]) -> str:
    """conv, bn, relu, pool, flatten, linear or other, for modules and functions alike."""
    name = call.get("type") if call.get("op") == "module" else call.get("op")
    return {
        "Conv2d": "conv",
        "conv2d": "conv",
        "BatchNorm2d": "bn",
        "BatchNorm1d": "bn",
        "batch_norm": "bn",
        "ReLU": "relu",
        "relu": "relu",
        "MaxPool2d": "pool",
        "max_pool2d": "pool",
        "AvgPool2d": "pool",
        "avg_pool2d": "pool",
        "Flatten": "flatten",
        "flatten": "flatten",
        "Linear": "linear",
    }.get(str(name), "other")


def skipped(ids: list[str], why: str) -> list[Part]:
    """Failing parts that could not be checked yet, and why."""
    return [Part(pid, False, f"Not checked yet: {why}") for pid in ids]


def class_part(pid: str, name: str, facts: dict[str, Any]) -> Part:
    """The class exists, is an nn.Module, and builds with no arguments."""
    cls = facts.get("class", {"kind": "missing"})
    kind = cls.get("kind")
    if kind == "missing":
        return Part(
            pid, False, f"There is no `{name}` in your file: define `class {name}(nn.Module):`."
        )
    if kind == "none":
        return Part(
            pid, False, f"`{name}` is still None: replace it with `class {name}(nn.Module):`."
        )
    if kind == "not-a-class":
        return Part(
            pid,
            False,
            (
                f"`{name}` is a {cls.get('type')}, not a class: define it with "
                f"`class {name}(nn.Module):` and let the checker build it."
            ),
        )
    if kind == "not-a-module":
        bases = ", ".join(cls.get("bases") or []) or "object"
        return Part(
            pid,
            False,
            (
                f"`{name}` inherits from {bases}, not nn.Module: write `class {name}(nn.Module):` "
                "so PyTorch registers its layers and parameters."
            ),
        )
    error = facts.get("construct_error")
    if error:
        if error.get("super_missing"):
            return Part(
                pid,
                False,
                (
                    f"`{name}()` raised {error['type']}: {error['message']}. "
                    "Your __init__ assigns a "
                    "layer before nn.Module is set up: make `super().__init__()` its first line."
                ),
            )
        return Part(
            pid,
            False,
            (
                f"`{name}()` raised {error['type']}: {error['message']}. It must build with no "
                "arguments; give any extra argument of __init__ a default."
            ),
        )
    return Part(pid, True, f"`{name}` is an nn.Module and builds with no arguments.")


def forward_error_hint(error: dict[str, Any]) -> str:
    """What a forward-pass error means, in the learner's terms."""
    message = str(error.get("message", ""))
    match = _CHANNELS.search(message)
    if match:
        shape, want, got = match.groups()
        return (
            f"a conv layer expects {want} input channels, but the tensor reaching it, "
            f"({shape}), has {got}. Its in_channels must equal the out_channels of the "
            "layer before it."
        )
    match = _MATMUL.search(message)
    if match:
        rows, width, in_features, _ = match.groups()
        if rows == "1":
            return (
                f"the Linear got one row of {width} numbers for the whole batch: the flatten "
                "merged the batch axis in too. Flatten from axis 1 (start_dim=1)."
            )
        return (
            f"the Linear expects in_features={in_features}, but the flattened feature map "
            f"has {width} values per image. Set in_features to channels x height x width of "
            "the last feature map."
        )
    match = _RUNNING.search(message)
    if match:
        channels, built = match.groups()
        return (
            f"a BatchNorm2d built for {built} channels received a map with {channels}: its "
            "num_features must equal the out_channels of the conv before it."
        )
    return f"{error.get('type', 'Error')}: {message}"


def output_part(pid: str, forward: dict[str, Any], want: tuple[int, ...]) -> Part:
    """A forward pass on the test batch gives the expected output shape."""
    given = tuple(forward.get("input") or ())
    error = forward.get("error")
    if error:
        return Part(
            pid,
            False,
            (
                f"A forward pass on a {fmt_shape(given)} batch raised {error.get('type')}: "
                f"{forward_error_hint(error)}"
            ),
        )
    out = forward.get("output")
    if out is None:
        return Part(
            pid,
            False,
            (
                f"forward returned a {forward.get('output_type', 'value')}, not a tensor: return "
                f"the logits, a tensor of shape {fmt_shape(want)}."
            ),
        )
    out = tuple(out)
    if out == want:
        return Part(pid, True, f"A {fmt_shape(given)} batch comes out as {fmt_shape(out)}.")
    if out == given:
        return Part(
            pid,
            False,
            (
                f"forward returns its input unchanged, {fmt_shape(out)}: pass x through the "
                f"layers and return the Linear's output, {fmt_shape(want)}."
            ),
        )
    return Part(
        pid,
        False,
        (
            f"A {fmt_shape(given)} batch comes out as {fmt_shape(out)}, not {fmt_shape(want)}: "
            "one row of 10 logits per image."
        ),
    )


def params_part(pid: str, name: str, count: int, want: int) -> Part:
    if count == want:
        return Part(pid, True, f"`{name}` has {fmt_count(count)} parameters, as expected.")
    return Part(
        pid,
        False,
        (
            f"`{name}` has {fmt_count(count)} parameters; this model has {fmt_count(want)}. "
            "Look for a layer too many or too few, or a size that differs from the statement."
        ),
    )


def flatten_part(pid: str, forward: dict[str, Any]) -> Part:
    """forward flattens with torch.flatten(x, start_dim=1), not an nn.Flatten layer."""
    calls = forward.get("calls") or []
    for call in calls:
        if call.get("op") == "module" and call.get("type") == "Flatten":
            return Part(
                pid,
                False,
                (
                    f"forward flattens with the nn.Flatten layer `{call.get('name')}`. This "
                    "exercise asks for its functional twin: `x = torch.flatten(x, start_dim=1)` in "
                    "forward, and no Flatten layer in __init__."
                ),
            )
        if call.get("op") == "flatten":
            start = call.get("start_dim")
            shown = f"{fmt_shape(call.get('in'))} became {fmt_shape(call.get('out'))}"
            if start == 1:
                how = (
                    "torch.flatten(x, start_dim=1)"
                    if call.get("via") == "function"
                    else ("x.flatten(1), the method form of torch.flatten(x, start_dim=1)")
                )
                return Part(pid, True, f"forward flattens with {how}: {shown}.")
            if start == 0:
                return Part(
                    pid,
                    False,
                    (
                        f"torch.flatten starts at axis 0 unless told otherwise, so the batch axis "
                        f"was merged in too: {shown}. Write torch.flatten(x, start_dim=1) to keep "
                        "one row per image."
                    ),
                )
            return Part(
                pid,
                False,
                (
                    f"flatten with start_dim={start}: {shown}. Use start_dim=1, which keeps the "
                    "batch axis and merges channels, height and width."
                ),
            )
        if call.get("op") in ("view", "reshape"):
            src, out = call.get("in") or [], call.get("out") or []
            if len(src) == 4 and len(out) == 2 and out[0] == src[0]:
                return Part(
                    pid,
                    True,
                    (
                        f"forward flattens with x.{call['op']}(...): {fmt_shape(src)} became "
                        f"{fmt_shape(out)}, the same as torch.flatten(x, start_dim=1), which "
                        "says it more plainly."
                    ),
                )
    if forward.get("error"):
        return Part(
            pid,
            False,
            ("Not checked yet: the forward pass stopped before the flatten (see the output part)."),
        )
    return Part(
        pid,
        False,
        (
            "forward never flattens the feature map: add `x = torch.flatten(x, start_dim=1)` "
            "between the last pool and the Linear."
        ),
    )


def conv_spec(layer: dict[str, Any]) -> str:
    k = layer.get("kernel_size")
    p = layer.get("padding")
    k = k[0] if isinstance(k, list) and len(set(k)) == 1 else k
    p = p[0] if isinstance(p, list) and len(set(p)) == 1 else p
    sizes = f"{layer.get('in_channels')}, {layer.get('out_channels')}"
    return f"Conv2d({sizes}, kernel_size={k}, padding={p})"


def convs_part(
    pid: str, name: str, layers: list[dict[str, Any]], want: list[tuple[int, int]]
) -> Part:
    """The Conv2d layers, in order, have the wanted channels, kernel 3 and padding 1."""
    convs = [layer for layer in layers if layer.get("type") == "Conv2d"]
    linears = [layer for layer in layers if layer.get("type") == "Linear"]
    if not layers:
        return Part(
            pid,
            False,
            (
                f"`{name}` has no layers yet: create them in __init__ as attributes, e.g. "
                "`self.conv1 = nn.Conv2d(1, 16, kernel_size=3, padding=1)`."
            ),
        )
    if len(convs) != len(want):
        return Part(
            pid,
            False,
            (
                f"`{name}` has {len(convs)} Conv2d layer(s); this model has {len(want)}: "
                + ", then ".join(f"{a} -> {b} channels" for a, b in want)
                + "."
            ),
        )
    for index, (layer, (cin, cout)) in enumerate(zip(convs, want, strict=True)):
        label = f"`{layer.get('name')}` ({conv_spec(layer)})"
        if index and layer.get("in_channels") != convs[index - 1].get("out_channels"):
            before = convs[index - 1]
            return Part(
                pid,
                False,
                (
                    f"{label} takes in_channels={layer.get('in_channels')}, "
                    "but the conv before it, "
                    f"`{before.get('name')}`, gives {before.get('out_channels')} channels: a stale "
                    "in_channels. Each conv's in_channels must equal the previous conv's "
                    "out_channels."
                ),
            )
        if layer.get("in_channels") != cin or layer.get("out_channels") != cout:
            return Part(pid, False, (f"{label} should map {cin} -> {cout} channels."))
        if layer.get("kernel_size") != [3, 3] or layer.get("padding") != [1, 1]:
            return Part(
                pid,
                False,
                (f"{label} should have kernel_size=3 and padding=1, which keep height and width."),
            )
        if layer.get("stride") not in ([1, 1], None):
            return Part(pid, False, f"{label} should keep the default stride of 1.")
    if len(linears) != 1 or linears[0].get("out_features") != 10:
        sizes = ", ".join(
            f"Linear({x.get('in_features')}, {x.get('out_features')})" for x in linears
        )
        return Part(
            pid,
            False,
            (
                f"this model ends with exactly one Linear with 10 outputs; `{name}` has "
                f"{sizes or 'none'}."
            ),
        )
    chain = " and ".join(conv_spec(c) for c in convs)
    return Part(pid, True, f"The convs are {chain}, and one Linear gives 10 logits.")


def in_features_part(pid: str, layers: list[dict[str, Any]], channels: int, side: int) -> Part:
    """The first Linear takes channels x side x side inputs."""
    want = channels * side * side
    linears = [layer for layer in layers if layer.get("type") == "Linear"]
    if not linears:
        return Part(pid, False, "Not checked yet: there is no nn.Linear layer.")
    got = linears[0].get("in_features")
    label = f"`{linears[0].get('name')}`"
    if got == want:
        return Part(
            pid,
            True,
            (
                f"{label} takes in_features={fmt_count(want)} = {channels} x {side} x {side}, the "
                "flattened feature map."
            ),
        )
    reasons = {
        16 * 14 * 14: "3136 = 16 x 14 x 14 is the size after one conv and one pool (lesson 7); "
        "here a second conv and pool follow.",
        channels * (2 * side) ** 2: f"that is {channels} x {2 * side} x {2 * side}: the second "
        f"pool is missing from the count. Two pools take 28 -> 14 -> {side}.",
        channels * 28 * 28: "that counts no pools at all; each pool halves the side.",
        side * side: "the channels are missing: Flatten keeps every channel.",
    }
    reason = reasons.get(
        got if isinstance(got, int) else -1,
        (
            f"Flatten hands the Linear channels x height x width values per image: {channels} "
            f"channels of {side}x{side} after the two pools."
        ),
    )
    shown = fmt_count(got) if isinstance(got, int) else got
    return Part(pid, False, f"{label} takes in_features={shown}, a wrong in_features: {reason}")


# -- the referee's findings (tutor.checks.referee), as parts ---------------------------------


def referee_params_part(
    pid: str, name: str, findings: dict[str, Any] | None, claimed: int, want: int
) -> Part:
    """The parameter count, as the tutor counted it from the weights it received.

    `claimed` is what the answer's own `parameters()` said, named when the two differ.
    """
    counted = (findings or {}).get("params")
    if not isinstance(counted, int):
        return Part(
            pid,
            False,
            f"Not checked yet: the tutor could not count `{name}`'s parameters itself, "
            "because it received no weights (see the other parts).",
        )
    if counted == want and claimed == want:
        return Part(pid, True, f"`{name}` has {fmt_count(counted)} parameters, as expected.")
    if counted == want:
        return Part(
            pid,
            False,
            f"Parameter count: counted {fmt_count(counted)} by the tutor from the model's "
            f"weights, as expected, but `{name}.parameters()` reports {fmt_count(claimed)}. "
            "Do not override parameters(); nn.Module finds every layer's weights by itself.",
        )
    extra = (
        f" (`{name}.parameters()` reports {fmt_count(claimed)}: do not override it)"
        if claimed != counted
        else ""
    )
    return Part(
        pid,
        False,
        f"Parameter count: counted {fmt_count(counted)} by the tutor from the model's weights"
        f"{extra}; this model has {fmt_count(want)}. Look for a layer too many or too few, "
        "a bias left out (bias=False), or a size that differs from the statement.",
    )


def _no_evidence(findings: dict[str, Any] | None) -> str | None:
    if findings is None:
        return "the tutor received no weights or outputs from your model (see the other parts)"
    if findings.get("evidence"):
        return str(findings["evidence"])
    if findings.get("seeded") is False:
        return (
            "the weights the tutor received are not the ones it filled in: the model changes "
            "its own weights (in forward or in a hook), or hides them"
        )
    return None


def referee_outputs_part(pid: str, name: str, findings: dict[str, Any] | None) -> Part:
    """The answer's outputs equal the reference model's with the same weights."""
    problem = _no_evidence(findings)
    if problem:
        return Part(pid, False, f"The tutor could not compare `{name}`'s outputs: {problem}.")
    assert findings is not None
    if findings.get("fits"):
        return Part(
            pid,
            False,
            f"`{name}`'s weights do not fit the model the exercise asks for: "
            f"{findings['fits']}. Declare exactly the layers of the statement.",
        )
    same = findings.get("same") or {}
    if same and all(same.values()):
        modes = " and ".join(sorted({"train" if m == "train" else "eval" for m in same}))
        return Part(
            pid,
            True,
            f"With the same weights, `{name}` gives the reference model's outputs on inputs "
            f"it had never seen ({modes} mode).",
        )
    if findings.get("variant"):
        return Part(
            pid,
            False,
            f"`{name}`'s outputs are those of a model that skips a layer "
            f"({findings['variant']}): a layer is computed, or declared, but its result "
            "does not feed the output. Pass each layer's output on to the next.",
        )
    wrong = " and ".join(
        sorted({"train" if m == "train" else "eval" for m, ok in same.items() if not ok})
    )
    return Part(
        pid,
        False,
        f"With the same weights, `{name}`'s outputs differ from the model the exercise asks "
        f"for (in {wrong or 'every'} mode): a declared layer does not feed the output, or "
        "forward does something else on the way. Check that each layer's result is what the "
        "next one gets.",
    )


def referee_input_part(pid: str, name: str, findings: dict[str, Any] | None) -> Part:
    """The outputs change when the input changes."""
    problem = _no_evidence(findings)
    if problem:
        return Part(pid, False, f"Not checked yet: {problem}.")
    assert findings is not None
    if findings.get("input_used"):
        return Part(pid, True, f"`{name}`'s outputs change when its input changes.")
    return Part(
        pid,
        False,
        f"The model's outputs do not depend on its input: `{name}` gave the same outputs "
        "for two different batches. forward must compute its result from x, the batch it "
        "is given.",
    )
