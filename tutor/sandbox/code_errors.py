"""Recognisers for errors of code rather than of sizes: memory, dtypes, devices, labels'
dtype, nn.Module set-up, names, DataLoader workers and idioms of old PyTorch versions."""

from __future__ import annotations

import re
import traceback

import torch

from tutor.sandbox.clues import (
    Context,
    Found,
    code_line,
    fmt_shape,
    in_traceback,
    nbytes,
    one_line,
)

_ASSIGN = re.compile(r"cannot assign (module|parameters|buffer) before Module.__init__\(\) call")


def memory(c: Context) -> Found:
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
        size = f" it asked for {nbytes(int(match.group(1)))} at once"
    else:
        match = re.search(r"tried to allocate ([\d.]+ [KMGT]i?B)", c.text, re.IGNORECASE)
        size = f" it asked for {match.group(1)} at once" if match else ""
    inside = f" in {c.where}" if c.failure else ""
    return "memory", (
        f"The script ran out of memory{inside}:{size or ' a tensor did not fit'}. "
        "Use a smaller batch_size or smaller layers, and check that no tensor is far "
        "bigger than you meant (a Linear with a huge in_features, a forgotten pool)."
    )


def target_dtype(c: Context) -> Found:
    labels_shape = c.input_shape(1)
    if "target with class probabilities, got" in c.text:
        shape = fmt_shape(labels_shape) if labels_shape else "(B, C)"
        n = labels_shape[0] if labels_shape else "B"
        return "exception", (
            f"{c.where if c.failure else 'The loss'} got integer labels of shape {shape}: one-hot "
            "rows, one column per class. Cross-entropy wants one class index per example, "
            f"shape ({n},), as torch.long: y.argmax(1) turns one-hot rows into indices (or "
            "keep the class indices you one-hot encoded from)."
        )
    if re.search(r"Found dtype (\w+) but expected Float", c.text):
        return "exception", (
            f"{c.where if c.failure else 'The loss'} needs float targets (0.0 or 1.0 for a "
            "binary loss) with the same shape as the output, but got integers. Convert them: "
            "y.float() (and y.view(-1, 1) if the model outputs shape (B, 1))."
        )
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
        dtype, shape = failure.input_dtypes[1], fmt_shape(failure.inputs[1])
        labels = f" got labels of dtype {dtype} and shape {shape}"
    where = c.where if failure else "The loss"
    return "exception", (
        f"{where}{labels or ' got labels that are not integers'}, but it needs integer class "
        "indices (0 to C-1), one per example, as torch.long. Convert them: y.long(), or build "
        "them with torch.tensor(y, dtype=torch.long)."
    )


def devices(c: Context) -> Found:
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


def dtypes(c: Context) -> Found:
    text = c.text
    layer = re.search(r"Input type \((.+?)\) and (?:weight|bias) type \((.+?)\)", text)
    mat = re.search(r"mat1 and mat2 must have the same dtype, but got (\w+) and (\w+)", text)
    other = re.search(
        r"expected scalar type (\w+) but found (\w+)"
        r"|expected (?:m1 and m2|mat1 and mat2) to have the same dtype",
        text,
    )
    if not layer and not mat and not other:
        return None
    failure = c.failure
    data = next((d for d in failure.input_dtypes if d), None) if failure else None
    weights = failure.param_dtype if failure else None
    found = layer or mat
    if found:
        data = data or _dtype_name(found.group(1))
        weights = weights or _dtype_name(found.group(2))
    where = c.where if failure else "A layer"
    if weights and weights != "float32" and data == "float32":
        return "exception", (
            f"{where} has its weights in {weights} but got float32 data: the model, not the "
            f"data, is the odd one out (model.double(), or weights loaded as {weights}). Keep "
            "everything float32, the usual dtype for training: call model.float() once, "
            "after building the model."
        )
    if data and ("int" in data or "char" in data or "long" in data):
        fix = "Images stored as integers need x.float() / 255 to become float32 in [0, 1]."
    else:
        fix = (
            "Convert the data with x.float() (a NumPy float array gives float64 through "
            "torch.from_numpy)."
        )
    got = f" got {data} data" if data else " got data of another dtype"
    return "exception", f"{where}{got}, but its weights are {weights or 'float32'}. {fix}"


def _dtype_name(text: str) -> str:
    """torch's dtype words ('Float', 'double', 'torch.cuda.FloatTensor') as dtype names."""
    word = text.lower().rsplit(".", 1)[-1].removesuffix("tensor")
    return {"float": "float32", "double": "float64", "half": "float16", "long": "int64",
            "int": "int32", "byte": "uint8"}.get(word, word)  # fmt: skip


def module_init(c: Context) -> Found:
    match = _ASSIGN.search(c.text)
    no_init = isinstance(c.exc, AttributeError) and re.search(
        r"object has no attribute '_(modules|parameters|buffers|forward_hooks|backward_hooks)'",
        c.text,
    )
    if not match and not no_init:
        return None
    cls = init_class(c.exc) or "your model class"
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


def init_class(exc: BaseException) -> str | None:
    name = None
    for frame, _ in traceback.walk_tb(exc.__traceback__):
        self = frame.f_locals.get("self")
        if isinstance(self, torch.nn.Module) and frame.f_code.co_name == "__init__":
            name = type(self).__name__
            break
    return name


def name_error(c: Context) -> Found:
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


def workers(c: Context) -> Found:
    text = c.text
    crashed = "DataLoader worker" in text and ("exited unexpectedly" in text or "killed" in text)
    start = in_traceback(c.exc, "multiprocessing", "torch/utils/data/dataloader")
    if not crashed and not (start and isinstance(c.exc, (OSError, RuntimeError))):
        return None
    asked = re.search(r"num_workers\s*=\s*(\w+)", "\n".join(c.source_lines))
    n = f"num_workers={asked.group(1)}" if asked else "num_workers > 0"
    return "sandbox", (
        f"The DataLoader's worker processes ({n}) failed{code_line(c)}: "
        f"{one_line(c.exc)}. This is about the extra processes that load batches, not about "
        "your files or data. Set num_workers=0 to load the batches in the main process: "
        "for data already in memory it is about as fast."
    )


def old_idioms(c: Context) -> Found:
    if isinstance(c.exc, IndexError) and "invalid index of a 0-dim tensor" in c.text:
        return "exception", (
            f"A one-number tensor was indexed{code_line(c)}: loss.data[0] (or loss[0]) is how "
            "PyTorch before 0.4 read a loss, but a loss is now a 0-dim tensor with no axis to "
            "index. Use loss.item() to get the number."
        )
    match = re.search(r"'(\w*DataLoaderIter)' object has no attribute 'next'", c.text)
    if match:
        line = c.source_lines[c.line - 1] if c.line and c.line <= len(c.source_lines) else ""
        name = re.search(r"(\w+)\.next\(\)", line)
        it = name.group(1) if name else "dataiter"
        return "exception", (
            f"{it}.next(){code_line(c)} is the Python 2 way to take the next item; in Python 3 "
            f"iterators have no .next method. Use next({it}) instead: "
            f"images, labels = next({it})."
        )
    return None


def non_contiguous(c: Context) -> Found:
    if "view size is not compatible with input tensor's size and stride" not in c.text:
        return None
    before = ""
    for number in range(min(c.line or 0, len(c.source_lines)), 0, -1):
        line = c.source_lines[number - 1]
        if re.search(r"\.(permute|transpose|t)\(|\.T\b|\.mT\b", line):
            before = f" (the reordering on line {number}: {line.strip()})"
            break
    return "shape", (
        f"x.view(){code_line(c)} needs the tensor's numbers laid out in memory in order, but a "
        f"permute or transpose{before} only changed the order they are read in. Use "
        "x.reshape(...) instead (it copies when it must), or x.contiguous().view(...)."
    )
