"""The typed events and the bounded channel: every kind survives the wire, anything else is a
ChannelError that says what was wrong, and the reader keeps no more than its caps allow."""

from __future__ import annotations

import json
import math
import typing

import pytest

from tutor import events
from tutor.events import ChannelError
from tutor.sandbox.channel import MAX_EVENTS, MAX_LINE, ChannelReader

EXAMPLES: list[events.Event] = [
    events.Shape(
        module="SimpleCNN.conv1",
        layer="Conv2d(1, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))",
        depth=1,
        inputs=[[8, 1, 28, 28], None],
        out=[8, 16, 28, 28],
        params=160,
        root="SimpleCNN",
        failed=True,
        formula="⌊(28 − 3 + 2·1)/1⌋ + 1 = 28",
        rf=3,
    ),
    events.Shape(module="M", layer="M", inputs=[], out=[[1, 2], [3]], params=0, root="M"),
    events.Loss(value=0.5, step=3, epoch=1, name="accuracy", root="SimpleCNN"),
    events.Loss(value=2.25, step=1),
    events.Epoch(epoch=2, mean_loss=0.25, steps=10, root="SimpleCNN"),
    events.Output(type="stdout", text="hello\n"),
    events.Output(type="stderr", text="é\n"),
    events.error("shape", "RuntimeError: x", "fix it", line=4, layer="fc", phase="learner"),
    events.error("timeout", "the script ran longer than 1 s and was stopped"),
    events.Warning(kind="zero-grad", message="gradients add up", line=12),
    events.Note(text="loss steps thinned"),
    events.Done(status="ok", elapsed_s=0.25, device="cpu", exit_code=0),
    events.Facts(data={"a": {"kind": "int", "value": 3}}),
    events.Result(name="progress", data={"epoch": 1, "epochs": 3}),
    events.Ready(level="bubblewrap", pid=12, torch="2.5.0", cuda=False, cuda_devices=0),
    events.SandboxInfo(level="limits", note="limits only", torch=None, cuda=False),
    events.Device(device="cpu"),
    events.Inner(pid=77),
    events.SpaceUsed(bytes=4096),
    events.Evidence(data="aGVsbG8="),
    events.Exited(code=None, signal=9),
]


def test_every_kind_has_an_example() -> None:
    all_tags: set[str] = set()
    for cls in events.EVENT_TYPES:
        all_tags |= set(typing.get_args(typing.get_type_hints(cls)["type"]))
    assert {e.type for e in EXAMPLES} == all_tags


@pytest.mark.parametrize("event", EXAMPLES, ids=lambda e: e.type)
def test_every_kind_round_trips(event: events.Event) -> None:
    line = events.encode(event)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert events.decode(line) == event
    job, again = events.decode_job(events.encode(event, job=5))
    assert (job, again) == (5, event)


def test_the_json_objects_are_the_contracts() -> None:
    shape = events.to_json(EXAMPLES[1])
    assert list(shape) == ["type", "module", "layer", "depth", "in", "out", "params", "root"]
    assert "failed" not in shape and "formula" not in shape and "rf" not in shape
    first = EXAMPLES[0]
    assert isinstance(first, events.Shape)
    assert events.to_json(first)["formula"].startswith("⌊") and first.rf == 3
    assert events.to_json(events.Loss(value=1.0, step=1)) == {
        "type": "loss",
        "value": 1.0,
        "step": 1,
        "epoch": None,
    }
    assert events.to_json(events.Warning(kind="eval-mode", message="m")) == {
        "type": "warning",
        "kind": "eval-mode",
        "message": "m",
        "line": None,
    }
    assert events.to_json(events.Note(text="t")) == {"type": "note", "text": "t"}
    error = events.to_json(events.error("memory", "m", "e"))
    assert error == {
        "type": "error",
        "kind": "memory",
        "message": "m",
        "explanation": "e",
        "line": None,
        "layer": None,
    }
    done = events.to_json(EXAMPLES[11])
    assert {"status", "elapsed_s", "device"} <= set(done)


def test_a_loss_that_is_not_finite_travels_as_text_and_comes_back_a_float() -> None:
    line = events.encode(events.Loss(value=math.nan, step=1))
    assert json.loads(line)["value"] == "nan"
    back = events.decode(line)
    assert isinstance(back, events.Loss) and math.isnan(back.value)


@pytest.mark.parametrize(
    ("line", "says"),
    [
        (b"{not json", "not JSON"),
        (b"\xff\xfe garbage", "not JSON"),
        (b"[1, 2]", "JSON object"),
        (b'"done"', "JSON object"),
        (b'{"status": "ok"}', "unknown event type"),
        (b'{"type": "verdict", "passed": true}', "unknown event type"),
        (b'{"type": 7}', "unknown event type"),
        (b'{"type": "done"}', "without its 'status'"),
        (b'{"type": "done", "status": "passed", "elapsed_s": 1, "device": "cpu"}', "done.status"),
        (b'{"type": "loss", "value": "low", "step": 1}', "loss.value"),
        (b'{"type": "loss", "value": 1.0, "step": true}', "loss.step"),
        (b'{"type": "loss", "value": 1.0, "step": 1.5}', "loss.step"),
        (b'{"type": "stdout", "text": 5}', "stdout.text"),
        (b'{"type": "facts", "data": [1, 2]}', "facts.data"),
        (b'{"type": "facts"}', "without its 'data'"),
        (b'{"type": "shape", "module": "m", "layer": "l", "in": 3, "params": 0}', "shape.in"),
        (b'{"type": "note", "text": "a", "passed": true}', "unknown field 'passed'"),
        (b'{"type": "error", "kind": "fine", "message": "m"}', "error.kind"),
        (b"[" * 100_000 + b"]" * 100_000, "not JSON"),
    ],
)
def test_a_malformed_line_is_a_channel_error_that_says_what(line: bytes, says: str) -> None:
    with pytest.raises(ChannelError) as raised:
        events.decode(line)
    assert says in str(raised.value)


def test_decode_refuses_kinds_the_sender_may_not_send() -> None:
    for forged in (
        events.Done(status="ok", elapsed_s=0.0, device="cpu"),
        events.Exited(code=0),
        events.Inner(pid=1),
        events.Ready(level="none", pid=1),
        events.Evidence(data=""),
    ):
        with pytest.raises(ChannelError, match="only the tutor may send"):
            events.decode(events.encode(forged), events.JOB_KINDS)


def reader(
    *,
    max_bytes: int = 1 << 20,
    max_line: int = MAX_LINE,
    max_events: int = MAX_EVENTS,
    kinds: frozenset[str] = events.JOB_KINDS,
) -> ChannelReader:
    return ChannelReader(max_bytes=max_bytes, max_line=max_line, max_events=max_events, kinds=kinds)


def test_the_reader_joins_lines_split_across_chunks() -> None:
    wire = b"".join(events.encode(e) for e in EXAMPLES[:3])
    channel = reader()
    got = []
    for i in range(0, len(wire), 7):
        got += list(channel.feed(wire[i : i + 7]))
    channel.close()
    assert got == EXAMPLES[:3]


def test_the_reader_stops_a_long_line_before_keeping_it() -> None:
    channel = reader(max_line=1000, max_bytes=10**9)
    with pytest.raises(ChannelError, match="a line longer than"):
        for _ in range(100):
            list(channel.feed(b"x" * 600))
    assert channel._partial_len <= 1000  # what it kept never passed the cap


def test_the_reader_caps_total_bytes_and_event_count() -> None:
    note = events.encode(events.Note(text="x"))
    with pytest.raises(ChannelError, match="of events"):
        list(reader(max_bytes=len(note) * 10).feed(note * 11))
    channel = reader(max_events=50)
    with pytest.raises(ChannelError, match="more than 50 events"):
        list(channel.feed(note * 51))


def test_the_reader_yields_what_came_before_the_bad_line() -> None:
    good = events.encode(events.Note(text="before"))
    channel = reader()
    got = []
    with pytest.raises(ChannelError):
        for event in channel.feed(good + b"garbage\n" + good):
            got.append(event)
    assert got == [events.Note(text="before")]


def test_the_reader_accepts_facts_once_and_only_when_asked() -> None:
    facts = events.encode(events.Facts(data={}))
    with pytest.raises(ChannelError, match="a second 'facts' event"):
        list(reader().feed(facts + facts))
    with pytest.raises(ChannelError, match="only the tutor may send"):
        list(reader(kinds=events.JOB_KINDS - {"facts"}).feed(facts))


def test_a_last_line_cut_short_is_an_error_at_close() -> None:
    channel = reader()
    assert list(channel.feed(b'{"type": "note"')) == []
    with pytest.raises(ChannelError, match="cut off"):
        channel.close()
