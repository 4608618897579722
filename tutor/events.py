"""The events that cross a process boundary: the job, the sandbox worker, the tutor, the CLI.

One dataclass per kind, each tagged by a ``Literal`` ``type``. Both ends use this module:
``encode(event)`` writes one JSON line, ``decode(line)`` reads one back and checks every
field's type, raising ``ChannelError`` (never anything else) on a line that is not a
well-formed event. ``to_json(event)`` is the object ``run --json`` prints (the contract's
fields; optional ones left out when unset, as before).

Headless: no textual, no torch. Kinds whose name starts with ``_`` are internal to the
sandbox (the job's device, the keeper's report of the job's pid and exit) and never reach
the tutor.
"""

from __future__ import annotations

import json
import math
import types
import typing
from dataclasses import MISSING, dataclass, fields
from functools import cache
from typing import Any, ClassVar, Literal, Union

__all__ = [
    "ChannelError",
    "Device",
    "Done",
    "Epoch",
    "Error",
    "ErrorKind",
    "Event",
    "Exited",
    "Facts",
    "Inner",
    "Loss",
    "Note",
    "Output",
    "Ready",
    "Result",
    "SandboxInfo",
    "Shape",
    "SpaceUsed",
    "Warning",
    "decode",
    "decode_job",
    "encode",
    "error",
    "to_json",
]

ErrorKind = Literal[
    "exception",
    "shape",
    "timeout",
    "memory",
    "crash",
    "output-limit",
    "sandbox",
    "cancelled",
]
ERROR_KINDS: frozenset[str] = frozenset(typing.get_args(ErrorKind))
Phase = Literal["setup", "learner", "probe"]


# The start of the error message for a job that broke the rules of its event channel.
CHANNEL_VIOLATION = "the script wrote to the tutor's channel"


class ChannelError(ValueError):
    """A line on an event channel that is not a well-formed event (what is wrong, in words)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Shape:
    """One traced module call: the row of the shape trace."""

    type: Literal["shape"] = "shape"
    module: str
    layer: str
    depth: int = 0
    inputs: list[Any]
    out: Any = None
    params: int = 0
    root: str | None = None
    failed: bool = False
    formula: str | None = None
    rf: int | None = None

    _wire: ClassVar[dict[str, str]] = {"inputs": "in"}
    _optional: ClassVar[frozenset[str]] = frozenset({"failed", "formula", "rf"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Loss:
    """One captured (or reported) value of a loss, or of another named series."""

    type: Literal["loss"] = "loss"
    value: float
    step: int
    epoch: int | None = None
    name: str = "loss"
    root: str | None = None

    _optional: ClassVar[frozenset[str]] = frozenset({"name", "root"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Epoch:
    """The exact mean loss of one pass over the data."""

    type: Literal["epoch"] = "epoch"
    epoch: int
    mean_loss: float
    steps: int
    root: str | None = None

    _optional: ClassVar[frozenset[str]] = frozenset({"root"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Output:
    """Text the script printed, on its stdout or its stderr."""

    type: Literal["stdout", "stderr"]
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Error:
    """Why a job failed: the kind, the raw message, and an explanation in plain words."""

    type: Literal["error"] = "error"
    kind: ErrorKind
    message: str
    explanation: str = ""
    line: int | None = None
    layer: str | None = None
    phase: Phase | None = None

    _optional: ClassVar[frozenset[str]] = frozenset({"phase"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Warning:  # noqa: A001 - the event's name in the contract
    """A likely bug in a run that did not fail (zero-grad, eval-mode, nan-loss, ...)."""

    type: Literal["warning"] = "warning"
    kind: str
    message: str
    line: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Note:
    """Something the learner should know about the run itself (e.g. loss steps thinned)."""

    type: Literal["note"] = "note"
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Done:
    """The end of a job. Only the worker sends it; the status is the worker's own view."""

    type: Literal["done"] = "done"
    status: Literal["ok", "error"]
    elapsed_s: float
    device: str
    exit_code: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Facts:
    """What a checker's probe found in the answer's namespace (judged by the tutor)."""

    type: Literal["facts"] = "facts"
    data: dict[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class Result:
    """A named JSON value a script sends with ``cnntutor.result`` (the playground's harness)."""

    type: Literal["result"] = "result"
    name: str
    data: Any = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Ready:
    """The worker's first line: its isolation level and what it imported."""

    type: Literal["ready"] = "ready"
    level: str
    pid: int
    torch: str | None = None
    cuda: bool = False
    cuda_devices: int = 0
    # Each job gets private mounts (fresh /tmp, /dev/shm and folder; see sandbox.jobenv).
    private_mounts: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class SandboxInfo:
    """The first line of ``run --json``: which sandbox the script ran in."""

    type: Literal["sandbox"] = "sandbox"
    level: str
    note: str
    torch: str | None = None
    cuda: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Device:
    """Internal, job to worker: the device the job really got."""

    type: Literal["_device"] = "_device"
    device: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Inner:
    """Internal, keeper to worker: the pid of the job process."""

    type: Literal["_inner"] = "_inner"
    pid: int


@dataclass(frozen=True, slots=True, kw_only=True)
class SpaceUsed:
    """Internal, keeper to worker: bytes the job holds in its private /tmp and /dev/shm."""

    type: Literal["_space"] = "_space"
    bytes: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Evidence:
    """Internal, worker to tutor: the bytes a check's probe handed over on its challenge
    socket (base64), for the referee. Never accepted from a job's channel."""

    type: Literal["_evidence"] = "_evidence"
    data: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Exited:
    """Internal, keeper to worker: how the job process ended (from waitpid)."""

    type: Literal["_exit"] = "_exit"
    code: int | None = None
    signal: int | None = None


Event = Union[  # noqa: UP007 - a runtime value, read by decode
    Shape,
    Loss,
    Epoch,
    Output,
    Error,
    Warning,
    Note,
    Done,
    Facts,
    Result,
    Ready,
    SandboxInfo,
    Device,
    Inner,
    SpaceUsed,
    Evidence,
    Exited,
]
EVENT_TYPES: tuple[type, ...] = typing.get_args(Event)


def error(
    kind: ErrorKind,
    message: str,
    explanation: str = "",
    *,
    line: int | None = None,
    layer: str | None = None,
    phase: Phase | None = None,
) -> Error:
    """An error event: the one way every part of the tutor makes one."""
    return Error(
        kind=kind, message=message, explanation=explanation, line=line, layer=layer, phase=phase
    )


# -- the wire ---------------------------------------------------------------------------


def _finite(value: Any) -> Any:
    """JSON has no NaN or infinity: send them as strings a person can read."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def to_json(event: Event) -> dict[str, Any]:
    """The event as the JSON object the contract shows (``run --json`` prints these)."""
    wire: dict[str, str] = getattr(event, "_wire", {})
    optional: frozenset[str] = getattr(event, "_optional", frozenset())
    out: dict[str, Any] = {}
    for f in fields(event):
        value = getattr(event, f.name)
        if f.name in optional and value == f.default:
            continue
        out[wire.get(f.name, f.name)] = value
    return out


def dumps(event: Event, **extra: Any) -> str:
    """One event as a JSON line's text (no newline); `extra` keys are added (e.g. ``job``)."""
    obj = to_json(event)
    obj.update(extra)
    try:
        return json.dumps(obj, allow_nan=False, default=str)
    except ValueError:
        return json.dumps(_finite(obj), default=str)


def encode(event: Event, **extra: Any) -> bytes:
    """One event as one JSON line (UTF-8, ending in a newline)."""
    return (dumps(event, **extra) + "\n").encode()


@cache
def _kinds() -> dict[str, type]:
    table: dict[str, type] = {}
    for cls in EVENT_TYPES:
        hint = typing.get_type_hints(cls)["type"]
        for tag in typing.get_args(hint):
            table[tag] = cls
    return table


@cache
def _schema(cls: type) -> tuple[tuple[str, str, Any, bool], ...]:
    """(field, wire name, type hint, required) for each field of `cls` but ``type``."""
    hints = typing.get_type_hints(cls)
    wire = getattr(cls, "_wire", {})
    return tuple(
        (f.name, wire.get(f.name, f.name), hints[f.name], f.default is MISSING)
        for f in fields(cls)
        if f.name != "type"
    )


_NONFINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def _check(value: Any, hint: Any, where: str) -> Any:
    """`value` as `hint` wants it, or ChannelError naming `where`."""
    if hint is Any:
        return value
    origin = typing.get_origin(hint)
    if origin is Literal:
        if value in typing.get_args(hint) and isinstance(value, str):
            return value
        raise ChannelError(f"{where} is {value!r}, not one of {list(typing.get_args(hint))}")
    if origin in (Union, types.UnionType):
        for option in typing.get_args(hint):
            try:
                return _check(value, option, where)
            except ChannelError:
                continue
        raise ChannelError(f"{where} has the wrong type ({type(value).__name__})")
    if hint is type(None):
        if value is None:
            return None
    elif hint is bool:
        if isinstance(value, bool):
            return value
    elif hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif hint is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str) and value in _NONFINITE:
            return _NONFINITE[value]
    elif hint is str:
        if isinstance(value, str):
            return value
    elif origin is list:
        if isinstance(value, list):
            (inner,) = typing.get_args(hint)
            return [_check(v, inner, f"{where}[{i}]") for i, v in enumerate(value)]
    elif origin is dict:
        if isinstance(value, dict):
            return value
    else:  # pragma: no cover - a field type this module does not know is a bug here
        raise TypeError(f"no check for {hint!r}")
    raise ChannelError(f"{where} has the wrong type ({type(value).__name__})")


def from_json(obj: Any, kinds: frozenset[str] | None = None) -> Event:
    """An event from a decoded JSON object, every field checked."""
    if not isinstance(obj, dict):
        raise ChannelError(f"an event must be a JSON object, not {type(obj).__name__}")
    tag = obj.get("type")
    cls = _kinds().get(tag) if isinstance(tag, str) else None
    if cls is None:
        raise ChannelError(f"unknown event type {str(tag)[:40]!r}")
    if kinds is not None and tag not in kinds:
        raise ChannelError(f"a {tag!r} event, which only the tutor may send")
    args: dict[str, Any] = {"type": tag}
    known = {"type"}
    for name, wire_name, hint, required in _schema(cls):
        known.add(wire_name)
        if wire_name not in obj:
            if required:
                raise ChannelError(f"a {tag!r} event without its {wire_name!r} field")
            continue
        args[name] = _check(obj[wire_name], hint, f"{tag}.{wire_name}")
    extra = [k for k in obj if k not in known]
    if extra:
        raise ChannelError(f"a {tag!r} event with an unknown field {str(extra[0])[:40]!r}")
    return typing.cast(Event, cls(**args))


def _load(line: bytes | str) -> Any:
    try:
        return json.loads(line)
    except (ValueError, RecursionError) as exc:
        raise ChannelError(f"a line that is not JSON ({str(exc)[:80]})") from None


def decode(line: bytes | str, kinds: frozenset[str] | None = None) -> Event:
    """One JSON line back into its event; ChannelError if it is not a well-formed one.

    `kinds`, when given, is the set of ``type`` tags this end accepts from that sender.
    """
    return from_json(_load(line), kinds)


def decode_job(line: bytes | str) -> tuple[int | None, Event]:
    """A worker's line: the job id it is tagged with (None for none) and the event."""
    obj = _load(line)
    job = obj.pop("job", None) if isinstance(obj, dict) else None
    if job is not None and (not isinstance(job, int) or isinstance(job, bool)):
        raise ChannelError("a job id that is not a number")
    return job, from_json(obj)


# What a job may write on its own event channel: never `done`, never a status, never the
# keeper's report of how it exited. Errors it sends are explanations only (see worker).
JOB_KINDS = frozenset(
    {"shape", "loss", "epoch", "error", "warning", "note", "facts", "result", "_device"}
)
