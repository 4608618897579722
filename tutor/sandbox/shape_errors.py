"""Recognisers for shape errors: a Linear, a conv, a BatchNorm, a view, a torch.cat, a loss's
labels or a saved state_dict whose sizes disagree with what the trace saw."""

from __future__ import annotations

import math
import re

from tutor.sandbox.clues import (
    Context,
    Found,
    channel_producer,
    code_line,
    conv_call,
    count,
    earlier,
    find_line,
    fmt_shape,
    ints,
    is_flat,
    root_batch,
    spatial_history,
    times,
)
from tutor.sandbox.layers import CallFailure

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


def linear_features(c: Context) -> Found:
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
            f"turns it into {fmt_shape([shape[0], flat])}"
        )
        if flat != want:
            fix += f", and then the layer must be nn.Linear({flat}, {outs})"
        return "shape", (
            f"{c.where} got a tensor of shape {fmt_shape(shape)}, but a Linear works on the last "
            f"axis only, so it saw {got} features where it expects {want}. {fix}."
        )
    where = c.where if c.failure else "A Linear layer"
    real = root_batch(c.failure)
    if real is not None and real != rows and rows * got == real * want:
        where_fixed = find_line(c, rf"(view|reshape)\(\s*{rows}\b") or code_line(c)
        return "shape", (
            f"{where} got {rows} rows of {got} features, but this batch holds {real} examples "
            f"of {want}: a reshape fixed the batch size at {rows}{where_fixed}, and "
            f"{real} × {want} = {rows} × {got}. {SHORT_BATCH}"
        )
    batch = shape[0] if shape else rows
    factors = flattened_factors(c.failure, batch, got) if c.failure else None
    origin = ""
    if factors is not None:
        ch, h, w = factors
        origin = f": the flattened {fmt_shape([ch, h, w])} maps, {got} = {times(factors)}"
        pool = missing_pool(factors, want)
        if pool:
            return "shape", (
                f"{where} expects {want} features per example, but it receives {got}{origin}. "
                f"{pool} (Or, if the network should have no more pools, use "
                f"nn.Linear({got}, {outs}).)"
            )
    return "shape", (
        f"{where} expects {want} features per example, but it receives {got}{origin}. "
        f"in_features must match what comes out of the flatten: use nn.Linear({got}, {outs})."
    )


def flattened_factors(failure: CallFailure, batch: int, got: int) -> tuple[int, int, int] | None:
    """The (C, H, W) that flattened to `got` features, from the maps traced before the call."""
    rows = earlier(failure)
    for row in rows:
        for shape in (row.out, *row.inputs[:1]):
            if is_flat(shape) and len(shape) == 4 and shape[0] == batch:
                if math.prod(shape[1:]) == got:
                    return shape[1], shape[2], shape[3]
    for row in rows:
        # a later pass with other image sizes: keep the channels, solve for a square map
        if is_flat(row.out) and len(row.out) == 4 and got % row.out[1] == 0:
            side = math.isqrt(got // row.out[1])
            if side * side * row.out[1] == got:
                return row.out[1], side, side
    return None


def conv_channels(c: Context) -> Found:
    match = re.search(
        r"weight of size \[([\d, ]+)\], expected input\[([\d, ]+)\] to have (\d+) channels, "
        r"but got (\d+) channels",
        c.text,
    )
    if not match:
        return None
    shown = ints(match.group(2))
    want, got = int(match.group(3)), int(match.group(4))
    shape = c.input_shape() or shown
    where = c.where if c.failure else "A conv layer"
    if len(shape) == 3:
        if shape[-1] == want and shape[0] != want:
            return "shape", (
                f"{where} got one image of shape {fmt_shape(shape)} with the channels last. "
                f"PyTorch wants (C, H, W): x.permute(2, 0, 1) gives "
                f"{fmt_shape([shape[2], shape[0], shape[1]])}, and x.unsqueeze(0) adds the "
                "batch axis."
            )
        fix = "x.unsqueeze(1)" if want == 1 else f"x.view({shape[0]}, {want}, ...)"
        target = [shape[0], 1, *shape[1:]] if want == 1 else None
        return "shape", (
            f"{where} got a tensor of shape {fmt_shape(shape)}: with only 3 axes PyTorch reads it "
            f"as ONE unbatched image with {shape[0]} channels, not a batch of {shape[0]} "
            f"images, and this layer expects {count(want, 'channel')}. "
            f"Add the channel axis: {fix}"
            + (f" turns it into {fmt_shape(target)}." if target else ".")
        )
    if len(shape) == 4 and shape[3] == want and shape[1] != want:
        n, h, w, ch = shape
        return "shape", (
            f"{where} expects {want} channels on axis 1, (B, C, H, W), but the batch has shape "
            f"{fmt_shape(shape)}: the channels are last, as NumPy and Pillow store images, so it "
            f"read {shape[1]} channels. Move them to axis 1: x.permute(0, 3, 1, 2), or "
            f"np.transpose(X, (0, 3, 1, 2)) on the array, gives {fmt_shape([n, ch, h, w])}."
        )
    producer = channel_producer(c.failure, got) if c.failure else None
    module = c.failure.module if c.failure else None
    fix = conv_call(module, got) if module is not None and hasattr(module, "kernel_size") else ""
    if producer is not None:
        return "shape", (
            f"{where} expects {count(want, 'input channel')}, but the layer before it, "
            f"{producer.module} ({producer.layer}), produces {got} channels. "
            "A conv's in_channels must equal the out_channels of the conv before it: "
            f"use in_channels={got}" + (f", {fix}." if fix else ".")
        )
    return "shape", (
        f"{where} expects {count(want, 'input channel')}, but its input {fmt_shape(shape)} "
        f"has {got} (axis 1). in_channels must match the data: 1 for grey images, 3 for RGB; "
        f"use in_channels={got}" + (f", {fix}," if fix else "") + " or reshape the input."
    )


def conv_rank(c: Context) -> Found:
    match = _RANK.search(c.text)
    if not match:
        return None
    shape = ints(match.group(4))
    layer = match.group(3)
    where = c.where if c.failure else f"A {layer} layer"
    want = int(match.group(2))
    if len(shape) == 2 and want == 4:
        side = math.isqrt(shape[1])
        if side * side == shape[1]:
            fix = (
                f"rows of {shape[1]} pixels look like flat {side}x{side} images: "
                f"x.view(-1, 1, {side}, {side}) gives {fmt_shape([shape[0], 1, side, side])}"
            )
        else:
            one = fmt_shape([1, 1, *shape])
            fix = f"a single image needs x.unsqueeze(0).unsqueeze(0), giving {one}"
        return "shape", (
            f"{where} needs (B, C, H, W) input, but got {fmt_shape(shape)}, only 2 axes; {fix}."
        )
    return "shape", (
        f"{where} needs {want}-axis input (B, C, H, W), but got {fmt_shape(shape)} with "
        f"{len(shape)} axes. Check the reshapes before it: every batch should be (B, C, H, W)."
    )


def batchnorm_features(c: Context) -> Found:
    match = re.search(r"running_mean should contain (\d+) elements not (\d+)", c.text)
    if not match:
        return None
    got, want = int(match.group(1)), int(match.group(2))
    where = c.where if c.failure else "A BatchNorm layer"
    producer = channel_producer(c.failure, got) if c.failure else None
    source = f"{producer.module} ({producer.layer}) produces" if producer else "its input has"
    name = type(c.failure.module).__name__ if c.failure else "BatchNorm2d"
    return "shape", (
        f"{where} normalises {want} channels, but {source} {got}. num_features must equal "
        f"the out_channels of the conv before it: use nn.{name}({got})."
    )


def too_small(c: Context) -> Found:
    kernel = re.search(
        r"Calculated padded input size per channel: \((\d+) x (\d+)\)\. "
        r"Kernel size: \((\d+) x (\d+)\)",
        c.text,
    )
    pool = _POOL.search(c.text)
    if not kernel and not pool:
        return None
    where = c.where if c.failure else "A layer"
    history = spatial_history(c.failure) if c.failure else ""
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


def target_shape(c: Context) -> Found:
    where = c.where if c.failure else "The loss"
    if "multi-target not supported" in c.text:
        labels = c.input_shape(1)
        shape = fmt_shape(labels) if labels else "more than one axis"
        n = labels[0] if labels else "B"
        return "shape", (
            f"{where} got labels of shape {shape}, but it wants one class index per example, "
            f"shape ({n},). Use y.view(-1) (or y.argmax(1) for one-hot labels)."
        )
    match = _BATCH.search(c.text)
    if match:
        preds, targets = match.groups()
        if int(preds) > int(targets):
            return "shape", (
                f"{where} got {preds} predictions but {targets} labels: the model's output "
                f"has {preds} rows for a batch of {targets} examples. If {preds} is your "
                f"batch_size, a reshape in forward fixed it (x.view({preds}, -1)) and this "
                f"is the short last batch. {SHORT_BATCH}"
            )
        return "shape", (
            f"{where} got {preds} predictions but {targets} labels. A reshape in forward "
            "probably mixed examples together: flatten with torch.flatten(x, start_dim=1) "
            "or x.view(x.size(0), -1) so the batch axis stays."
        )
    match = re.search(r"Target (-?\d+) is out of bounds", c.text)
    if match:
        classes = c.input_shape(0)
        label = int(match.group(1))
        if not classes or len(classes) < 2:
            return "exception", (
                f"{where} got the label {label}, but labels must be class indices from 0 to "
                "C − 1, where C is the number of outputs of the model's last layer. Give the "
                "last Linear one output per class, or check the labels."
            )
        n = classes[1]
        low = "a negative label" if label < 0 else f"the label {label}"
        return "exception", (
            f"{where} got {low}, but the model has {n} outputs, so labels must be 0 to "
            f"{n - 1}. Give the last Linear one output per class (nn.Linear(..., "
            f"{max(n, label + 1)}) if there are {max(n, label + 1)} classes), or check the labels "
            "(labels counted from 1 need y - 1)."
        )
    return None


SHORT_BATCH = (
    "The last batch of an epoch is smaller when the number of examples is not a multiple of "
    "batch_size. Never write the batch size into a reshape: use x.view(x.size(0), -1) or "
    "torch.flatten(x, 1) (or DataLoader(..., drop_last=True))."
)


def missing_pool(maps: tuple[int, int, int] | list[int], want: int) -> str:
    """'A pool is missing: ...' when one or two more 2×2 pools would give `want` features."""
    ch, h, w = maps
    for p, words in ((2, "one more MaxPool2d(2)"), (4, "two more MaxPool2d(2)")):
        if h % p == 0 and w % p == 0 and ch * (h // p) * (w // p) == want:
            small = f"{h // p}×{w // p}"
            return (
                f"A pool is missing: the maps are still {h}×{w} at the flatten, and "
                f"{words} would make them {small}, so that {times([ch, h // p, w // p])} = "
                f"{want} = in_features. Add the pool after the last conv, e.g. "
                "x = self.pool(F.relu(self.conv2(x)))."
            )
    return ""


def view_size(c: Context) -> Found:
    match = re.search(r"shape '\[([-\d, ]*)\]' is invalid for input of size (\d+)", c.text)
    if not match:
        return None
    asked, size = ints(match.group(1)), int(match.group(2))
    maps = next(
        (r.out for r in earlier(c.failure) if is_flat(r.out) and math.prod(r.out) == size),
        None,
    ) if c.failure else None  # fmt: skip
    shown = f"x.view({', '.join(str(n) for n in asked)})"
    if maps is None or len(maps) < 2:
        return "shape", (
            f"{shown}{code_line(c)} cannot rearrange {size} numbers into that shape: "
            f"{size} is not a multiple of {times([n for n in asked if n != -1]) or 1}. Use "
            "x.view(x.size(0), -1) (or torch.flatten(x, 1)) to keep the batch and flatten the "
            "rest, and size the next Linear to what that gives."
        )
    batch, per = maps[0], math.prod(maps[1:])
    fixed = [n for n in asked if n != -1]
    if len(asked) == 2 and asked[0] not in (-1, batch):
        return "shape", (
            f"{shown}{code_line(c)} fixes the batch at {asked[0]}, but this batch has "
            f"{batch} examples (x is {fmt_shape(maps)}). {SHORT_BATCH}"
        )
    want = fixed[-1] if fixed else per
    linear = next(
        (m for m in c.failure.module.modules() if getattr(m, "in_features", None) == want),
        None,
    ) if c.failure and c.failure.module is not None else None  # fmt: skip
    fix = f" and nn.Linear({per}, {linear.out_features})" if linear is not None else ""
    pool = missing_pool(maps[1:4], want) if len(maps) == 4 else ""
    return "shape", (
        f"{shown}{code_line(c)} asks for {want} features per example, but x is "
        f"{fmt_shape(maps)}: {times(maps[1:])} = {per} features per example, not {want}. "
        + (pool + " Otherwise use" if pool else "Use")
        + f" x.view(x.size(0), -1) (or torch.flatten(x, 1)){fix}."
    )


def cat_sizes(c: Context) -> Found:
    match = re.search(
        r"Sizes of tensors must match except in dimension (\d+)\. Expected size (\d+) but got "
        r"size (\d+) for tensor number (\d+)",
        c.text,
    )
    if not match:
        return None
    dim, want, got, number = (int(g) for g in match.groups())
    odd = ""
    if c.failure is not None:
        for row in c.failure.previous:
            first = row.inputs[0] if row.inputs else None
            if "Pool" in row.layer and first is not None and len(first) == 4 and first[2] % 2:
                odd = (
                    f" {row.module} got {first[2]}×{first[3]} maps, an odd size, and gave "
                    f"{fmt_shape(row.out)}: a 2×2 pool drops the last row and column, so the "
                    "upsampled path comes back one pixel short of its skip connection."
                )
                break
    return "shape", (
        f"torch.cat{code_line(c)} joins tensors along dim {dim}, so every other axis must "
        f"agree, but one tensor has size {want} where tensor number {number} has {got}.{odd} "
        "Make them match before joining: resize the upsampled map to the skip's size "
        "(x = F.interpolate(x, size=skip.shape[2:])), or crop the skip, or use images whose "
        "side divides by 2 at every pool (e.g. 32 or 64 instead of 28 or 572)."
    )


def state_dict(c: Context) -> Found:
    if "Error(s) in loading state_dict" not in c.text:
        return None
    sizes = re.findall(
        r"size mismatch for ([\w.]+): copying a param with shape torch.Size\(\[([\d, ]*)\]\) "
        r"from checkpoint, the shape in current model is torch.Size\(\[([\d, ]*)\]\)",
        c.text,
    )
    model = re.search(r"loading state_dict for (\w+)", c.text)
    name = model.group(1) if model else "the model"
    if sizes:
        parts = [
            f"{p} is {fmt_shape(ints(saved))} in the saved file but {fmt_shape(ints(now))} "
            f"in this {name}"
            for p, saved, now in sizes[:3]
        ]
        more = f" (and {len(sizes) - 3} more)" if len(sizes) > 3 else ""
        return "shape", (
            f"load_state_dict{code_line(c)}: {'; '.join(parts)}{more}. The weights were saved "
            f"from a {name} built with other sizes. Build the model exactly as it was when "
            "saved (the same layer sizes), or train and save it again."
        )
    unexpected = re.search(r"Unexpected key\(s\) in state_dict: ([^\n]*)", c.text)
    missing = re.search(r"Missing key\(s\) in state_dict: ([^\n]*)", c.text)
    found = unexpected or missing
    keys = found.group(1) if found is not None else ""
    hint = (
        " The saved names start with 'module.': the model was wrapped in nn.DataParallel "
        "when saved; strip that prefix from the keys, or save model.module.state_dict()."
        if '"module.' in keys
        else " The saved model had other layer names: build the same class as was saved."
    )
    first = ", ".join(keys.split(", ")[:3])
    what = "has names this model lacks" if unexpected else "lacks names this model has"
    return "exception", f"load_state_dict{code_line(c)}: the saved file {what}: {first}.{hint}"
