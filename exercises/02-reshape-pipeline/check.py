"""Checker for exercise 2: X (N, 784) to images, X_t, y_t and a DataLoader.

`setup` (probe.py) hands the learner `X` and `y` from the built-in digits; the probe says
what kind of thing each name holds and hands plain copies of the numbers to the referee
(referee.py), which rebuilds X and y outside the sandbox and compares them value by value.
So any correct way passes (from_numpy or tensor, reshape, view or unsqueeze), and every
shape, dtype and value judged here is the referee's, not something the answer's process said.
"""

from __future__ import annotations

from typing import Any

from tutor.checks import Part
from tutor.checks.compare import fmt_shape

PARAMS = {"n": 300, "batch_size": 32}

# -- judging, in the tutor -------------------------------------------------------------


def _unset(facts: dict[str, Any], name: str, what: str) -> str | None:
    kind = facts.get("kind")
    if kind == "missing":
        return f"`{name}` is not defined: add `{name} = ...`, {what}."
    if kind == "none":
        return f"`{name}` is still None: replace it with {what}."
    if kind == "other":
        return f"`{name}` is a {facts.get('type')}; it should be {what}."
    if kind == "unchecked":
        return (
            f"The tutor could not check `{name}`'s numbers itself ({facts.get('why')}); "
            f"it should be {what}."
        )
    return None


def _outside(facts: dict[str, Any], referee: dict[str, Any] | None) -> dict[str, Any]:
    """The probe's facts with every number, shape and dtype replaced by the referee's."""
    found = referee or {}
    why = found.get("evidence") or "the check did not get as far as handing them over"
    seen: dict[str, Any] = {
        "n": int(found.get("n") or facts.get("n") or 0),
        "batch_size_wanted": facts.get("batch_size_wanted", 32),
    }
    for name in ("images", "X_t", "y_t", "loader"):
        claimed = facts.get(name) or {"kind": "missing"}
        if claimed.get("kind") in ("missing", "none", "other") or claimed.get("error"):
            seen[name] = claimed
        else:
            outside = found.get(name)
            seen[name] = outside if outside else {"kind": "unchecked"}
        if seen[name].get("kind") == "unchecked":
            seen[name] = {"kind": "unchecked", "why": why}
    return seen


def judge(facts: dict[str, Any], referee: dict[str, Any] | None = None) -> list[Part]:
    facts = _outside(facts, referee)
    n = int(facts.get("n", 0))
    return [
        _judge_images(facts.get("images", {}), n),
        *_judge_x(facts.get("X_t", {}), n),
        _judge_labels(facts.get("y_t", {}), n),
        _judge_loader(facts.get("loader", {}), n, int(facts.get("batch_size_wanted", 32))),
    ]


def _judge_images(facts: dict[str, Any], n: int) -> Part:
    pid = "images"
    want = (n, 28, 28)
    problem = _unset(facts, "images", f"X reshaped to {fmt_shape(want)}")
    if problem:
        return Part(pid, False, problem)
    shape = tuple(facts.get("shape") or ())
    if shape != want:
        if shape == (n, 784):
            return Part(
                pid,
                False,
                (
                    f"`images` is still flat, {fmt_shape(shape)}: reshape each row of 784 to 28x28 "
                    "with X.reshape(-1, 28, 28)."
                ),
            )
        return Part(
            pid,
            False,
            (
                f"`images` has shape {fmt_shape(shape)}; it should be {fmt_shape(want)}: "
                "N pictures of 28 rows by 28 columns."
            ),
        )
    match = facts.get("match")
    if match in ("raw", "scaled"):
        return Part(pid, True, f"`images` is {fmt_shape(want)}, each row of X as a 28x28 picture.")
    if match == "reordered":
        return Part(
            pid,
            False,
            (
                "`images` has the right shape, but the pixels are in another order (rows and "
                "columns swapped, or a transpose): reshape each row of X straight to 28x28, "
                "without transposing."
            ),
        )
    return Part(
        pid,
        False,
        (
            "`images` has the right shape but not the pixels of X: build it from X with "
            "X.reshape(-1, 28, 28), keeping the rows in order."
        ),
    )


def _judge_x(facts: dict[str, Any], n: int) -> list[Part]:
    want = (n, 1, 28, 28)
    what = f"a float32 tensor of shape {fmt_shape(want)} with pixels in [0, 1]"
    problem = _unset(facts, "X_t", what)
    if problem:
        return [Part(pid, False, problem) for pid in ("x-dtype", "channel-axis", "scaled")]
    return [_judge_x_dtype(facts), _judge_channel_axis(facts, n), _judge_scaled(facts)]


def _judge_x_dtype(facts: dict[str, Any]) -> Part:
    pid = "x-dtype"
    dtype = facts.get("dtype")
    if facts.get("kind") == "ndarray":
        return Part(
            pid,
            False,
            (
                f"`X_t` is a NumPy array ({dtype}), not a tensor: make it one with "
                "torch.from_numpy(...).float() or torch.tensor(..., dtype=torch.float32)."
            ),
        )
    if dtype == "float32":
        return Part(pid, True, "`X_t` is a torch.float32 tensor, the type conv layers use.")
    if dtype == "float64":
        return Part(
            pid,
            False,
            (
                "`X_t` is float64: X / 255 makes float64 in NumPy and torch.from_numpy keeps it, "
                "but conv weights are float32 and PyTorch will not mix them. Add .float()."
            ),
        )
    return Part(
        pid,
        False,
        (
            f"`X_t` holds {dtype} numbers; a CNN needs float32: add .float() or build it with "
            "dtype=torch.float32."
        ),
    )


def _judge_channel_axis(facts: dict[str, Any], n: int) -> Part:
    pid = "channel-axis"
    shape = tuple(facts.get("shape") or ())
    want = (n, 1, 28, 28)
    if shape == want:
        return Part(
            pid, True, (f"`X_t` is {fmt_shape(want)}: batch, one grey channel, height, width.")
        )
    if shape == (n, 28, 28):
        return Part(
            pid,
            False,
            (
                f"`X_t` is {fmt_shape(shape)}: the channel axis is missing. Conv2d would read this "
                f"batch as one image with {n} channels. Add the axis in second place with "
                ".unsqueeze(1)."
            ),
        )
    if shape == (n, 28, 28, 1):
        return Part(
            pid,
            False,
            (
                f"`X_t` is {fmt_shape(shape)}: the channel axis is last, the NumPy and Pillow way. "
                "PyTorch wants channels second, (N, 1, 28, 28): use .unsqueeze(1), not "
                ".unsqueeze(-1)."
            ),
        )
    if shape == (n, 784):
        return Part(
            pid,
            False,
            (
                f"`X_t` is still flat, {fmt_shape(shape)}: reshape to (N, 28, 28), then add the "
                "channel axis with .unsqueeze(1)."
            ),
        )
    return Part(pid, False, f"`X_t` has shape {fmt_shape(shape)}; it should be {fmt_shape(want)}.")


def _judge_scaled(facts: dict[str, Any]) -> Part:
    pid = "scaled"
    match = facts.get("match")
    low, high = facts.get("min"), facts.get("max")
    span = f"from {low:g} to {high:g}" if low is not None and high is not None else "unknown"
    if match == "scaled":
        return Part(pid, True, f"`X_t` holds the pixels divided by 255, {span}.")
    if match == "raw":
        return Part(
            pid,
            False,
            (
                f"The pixels in `X_t` are not scaled to [0, 1]: they run {span}. Divide by 255 "
                "(X / 255.0) so every value lies between 0 and 1."
            ),
        )
    if match == "floor-divided":
        return Part(
            pid,
            False,
            (
                "`X_t` holds only 0s and 1s: // is floor division, which rounds every pixel "
                "down. Use / 255.0 to keep the grey levels."
            ),
        )
    if match == "reordered":
        return Part(
            pid,
            False,
            (
                "`X_t` holds the right numbers in the wrong places: the pixels were reordered "
                "(a transpose or a swapped reshape). Reshape each row of X straight to 28x28."
            ),
        )
    return Part(
        pid,
        False,
        (
            f"`X_t` does not hold the pixels of X divided by 255 (its values run {span}): "
            "build it from X, in the same order, with / 255.0."
        ),
    )


def _judge_labels(facts: dict[str, Any], n: int) -> Part:
    pid = "labels"
    problem = _unset(facts, "y_t", f"a torch.long tensor of shape ({n},) holding y")
    if problem:
        return Part(pid, False, problem)
    dtype = facts.get("dtype")
    if facts.get("kind") == "ndarray":
        return Part(
            pid, False, ("`y_t` is a NumPy array, not a tensor: use torch.from_numpy(y).long().")
        )
    if dtype is not None and dtype.startswith("float"):
        return Part(
            pid,
            False,
            (
                f"`y_t` holds {dtype} labels. nn.CrossEntropyLoss wants class indices as whole "
                "numbers of type torch.long: use torch.from_numpy(y).long() or "
                "torch.tensor(y, dtype=torch.long)."
            ),
        )
    if dtype != "int64":
        return Part(pid, False, f"`y_t` is {dtype}; make it torch.long with .long().")
    shape = tuple(facts.get("shape") or ())
    if shape != (n,):
        return Part(
            pid,
            False,
            (f"`y_t` has shape {fmt_shape(shape)}; labels are one number per image, ({n},)."),
        )
    if not facts.get("equal"):
        return Part(pid, False, "`y_t` does not hold the labels y in their order: build it from y.")
    return Part(pid, True, f"`y_t` is a torch.long tensor ({n},) holding the labels in order.")


def _judge_loader(facts: dict[str, Any], n: int, wanted: int) -> Part:
    pid = "batch-size"
    problem = _unset(facts, "loader", f"DataLoader(TensorDataset(X_t, y_t), batch_size={wanted})")
    if problem:
        return Part(pid, False, problem)
    size = facts.get("batch_size")
    if size != wanted:
        extra = " (the lesson used 64; this exercise asks for 32)" if size == 64 else ""
        return Part(
            pid, False, (f"`loader` has batch_size={size}; make it batch_size={wanted}{extra}.")
        )
    if facts.get("error"):
        error = facts["error"]
        return Part(
            pid,
            False,
            (f"Taking a batch from `loader` raised {error.get('type')}: {error.get('message')}."),
        )
    if facts.get("length") != n:
        return Part(
            pid,
            False,
            (
                f"`loader` holds {facts.get('length')} examples, not the {n} of X_t and y_t: build "
                "it with TensorDataset(X_t, y_t)."
            ),
        )
    if not facts.get("rows_match"):
        return Part(
            pid,
            False,
            (
                "The batches of `loader` do not hold the images of X_t with their labels y_t, "
                "each once: build it with TensorDataset(X_t, y_t)."
            ),
        )
    batch = facts.get("batch") or []
    shapes = [tuple(item.get("shape") or ()) for item in batch]
    if len(batch) != 2 or shapes[0][:1] != (wanted,) or shapes[0][1:] != (1, 28, 28):
        shown = ", ".join(fmt_shape(s) for s in shapes)
        return Part(
            pid,
            False,
            (
                f"A batch from `loader` holds {shown}; it should be images "
                f"({wanted}, 1, 28, 28) and labels ({wanted},): use TensorDataset(X_t, y_t)."
            ),
        )
    return Part(
        pid,
        True,
        (
            f"`loader` gives batches of {wanted}: images {fmt_shape(shapes[0])}, labels "
            f"{fmt_shape(shapes[1])}."
        ),
    )
