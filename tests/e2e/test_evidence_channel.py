"""The challenge socket through the hardened job: kept as descriptor 4 for a check's probe
only, one seed, one bounded evidence frame, handed to the tutor by the worker alone.

Real sandbox, real worker, real jobs (confine, seccomp, private mounts where the machine
gives them); the probes here are hand-written stand-ins for an exercise's probe.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import pytest_asyncio

from tutor import events
from tutor.checks.evidence import MAX_EVIDENCE_BYTES
from tutor.sandbox.client import JobSpec, Sandbox

ASYNC = pytest.mark.asyncio(loop_scope="module")
SEED = 123457

# A probe that reports its descriptors, asks for the seed and sends the frame it is given.
PROBE = """
import os


def probe(ns, params):
    from tutor.checks import evidence

    fds = {}
    for fd in os.listdir("/proc/self/fd"):
        try:
            fds[fd] = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            pass
    facts = {"fds": {k: v for k, v in fds.items() if "/proc/" not in v}}
    facts["seed"] = evidence.challenge()
    fd = evidence._evidence_fd
    evidence._evidence_fd = None
    header = params["announce"].to_bytes(evidence.HEADER_BYTES, "big")
    os.write(fd, header + params["body"].encode())
    os.close(fd)
    try:
        evidence.challenge()
        facts["second"] = "given"
    except evidence.NoChallenge:
        facts["second"] = "refused"
    return facts
"""


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def box() -> Any:
    async with Sandbox(torch=True) as sandbox:
        yield sandbox


async def check_job(
    box: Sandbox, announce: int, body: str, source: str = "x = 1\n"
) -> tuple[dict[str, Any], bytes | None, list[Any]]:
    spec = JobSpec(
        source=source,
        data=None,
        trace=False,
        probe_source=PROBE,
        params={"announce": announce, "body": body},
        timeout_s=60,
    )
    found = [event async for event in box.run(spec, challenge=SEED)]
    facts = next((e.data for e in found if isinstance(e, events.Facts)), {})
    return facts, box.last_evidence(), found


@ASYNC
async def test_a_probe_gets_the_seed_once_and_its_evidence_reaches_the_tutor(box: Sandbox) -> None:
    facts, evidence, found = await check_job(box, 5, "hello")
    assert facts["seed"] == SEED
    assert facts["second"] == "refused"
    # 0-2, the event channel and the challenge socket: nothing else survived confine.
    assert set(facts["fds"]) == {"0", "1", "2", "3", "4"}, facts["fds"]
    assert facts["fds"]["4"].startswith("socket:")
    assert evidence == b"hello"
    assert not any(isinstance(e, events.Evidence) for e in found)  # never shown as an event


@ASYNC
async def test_an_oversized_frame_is_dropped_from_its_length_alone(box: Sandbox) -> None:
    facts, evidence, _ = await check_job(box, MAX_EVIDENCE_BYTES + 1, "x" * 100)
    assert facts["seed"] == SEED
    assert evidence is None


@ASYNC
async def test_more_than_the_frame_announces_is_dropped(box: Sandbox) -> None:
    _, evidence, _ = await check_job(box, 3, "abcdef")
    assert evidence is None


@ASYNC
async def test_a_plain_run_keeps_no_challenge_socket(box: Sandbox) -> None:
    source = (
        "import os\n"
        "fds = {}\n"
        "for fd in os.listdir('/proc/self/fd'):\n"
        "    try:\n"
        "        fds[fd] = os.readlink(f'/proc/self/fd/{fd}')\n"
        "    except OSError:\n"
        "        pass\n"
        "print(sorted(fd for fd, target in fds.items() if '/proc/' not in target))\n"
    )
    found = [
        event
        async for event in box.run(
            JobSpec(source=source, data=None, trace=False, timeout_s=60), challenge=SEED
        )
    ]
    text = "".join(e.text for e in found if isinstance(e, events.Output))
    assert "'4'" not in text and "'3'" in text, text
    assert box.last_evidence() is None


@ASYNC
async def test_a_job_cannot_send_evidence_on_its_event_channel(box: Sandbox) -> None:
    forged = json.dumps({"type": "_evidence", "data": "aGVsbG8="})
    source = f"import os\nos.write(3, {forged!r}.encode() + b'\\n')\n"
    spec = JobSpec(source=source, data=None, trace=False, timeout_s=60)
    found = [event async for event in box.run(spec, challenge=SEED)]
    assert box.last_evidence() is None
    assert isinstance(found[-1], events.Done) and found[-1].status == "error"
