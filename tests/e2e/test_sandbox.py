"""The sandbox contains broken and hostile scripts, explains errors, and carries on.

One warm worker serves the whole module, so every test after a hostile one also proves
that the tutor survived it. Real processes, real torch, real bubblewrap where installed.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from tests.e2e import scripts
from tests.e2e.levels import require
from tutor.events import to_json
from tutor.sandbox.client import JobSpec, Sandbox

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def box():
    async with Sandbox(torch=True) as sandbox:
        yield sandbox


async def run(box: Sandbox, source: str, **options: Any) -> list[dict[str, Any]]:
    options.setdefault("data", None)
    options.setdefault("timeout_s", 60)
    # As the events travel on the wire: the contract's JSON objects.
    return [to_json(event) async for event in box.run(JobSpec(source=source, **options))]


def the_error(events: list[dict[str, Any]]) -> dict[str, Any]:
    errors = [e for e in events if e["type"] == "error"]
    assert errors, f"expected an error event, got {events}"
    assert events[-1]["type"] == "done" and events[-1]["status"] == "error"
    return errors[0]


def output(events: list[dict[str, Any]], stream: str = "stdout") -> str:
    return "".join(e["text"] for e in events if e["type"] == stream)


def job_processes(box: Sandbox) -> list[int]:
    """Live processes under the worker, the worker and its spare pair left out: what a job
    left behind."""
    assert box._proc is not None
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        except (OSError, ValueError):
            continue
        if state != "Z":
            children.setdefault(int(ppid), []).append(int(entry))
    found: list[tuple[int, int]] = []  # (depth, pid) of python processes under the launcher
    todo = [(box._proc.pid, 0)]
    while todo:
        pid, depth = todo.pop()
        for child in children.get(pid, []):
            try:
                cmd = Path(f"/proc/{child}/cmdline").read_bytes()
            except OSError:
                continue
            if b"tutor.sandbox.worker" in cmd and not cmd.startswith(b"bwrap"):
                found.append((depth + 1, child))
            todo.append((child, depth + 1))
    if not found:
        return []
    top = min(depth for depth, _ in found)
    return [pid for depth, pid in found if depth > top and not _waiting_spare(pid)]


def settled_leftovers(box: Sandbox, wait_s: float = 10.0) -> list[str]:
    """Job processes still alive after giving the kernel time to finish killing them
    (tearing down a hundred processes that hold torch takes a moment); each with its
    state and wait channel, to say what it was doing."""
    import time

    deadline = time.monotonic() + wait_s
    while (left := job_processes(box)) and time.monotonic() < deadline:
        time.sleep(0.1)
    described = []
    for pid in left:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            wchan = Path(f"/proc/{pid}/wchan").read_text()
        except OSError:
            continue
        described.append(f"{pid} {stat} {wchan}")
    return described


def _waiting_spare(pid: int) -> bool:
    """The worker forks the next job's pair ahead of time: one waits for its child, the
    child waits on a pipe for its script. Those two are expected; anything else is not."""
    try:
        wchan = Path(f"/proc/{pid}/wchan").read_text()
    except OSError:
        return True  # already gone
    return wchan in ("pipe_read", "do_wait", "anon_pipe_read")


async def test_training_script_is_traced_with_the_syllabus_shapes(box: Sandbox) -> None:
    events = await run(box, scripts.TRAIN, data="digits")
    assert events[-1] == {**events[-1], "type": "done", "status": "ok"}, output(events, "stderr")
    shapes = [(e["layer"].split("(")[0], e["out"]) for e in events if e["type"] == "shape"]
    assert shapes[:6] == [
        ("Sequential", [64, 10]),
        ("Conv2d", [64, 16, 28, 28]),
        ("ReLU", [64, 16, 28, 28]),
        ("MaxPool2d", [64, 16, 14, 14]),
        ("Flatten", [64, 3136]),
        ("Linear", [64, 10]),
    ]
    losses = [e for e in events if e["type"] == "loss"]
    assert losses and all(isinstance(e["value"], float) for e in losses)
    assert {e["epoch"] for e in losses} == {1, 2}
    assert "accuracy" in output(events)


@pytest.mark.parametrize(
    ("source", "kind", "words"),
    [
        (scripts.WRONG_IN_FEATURES, "shape", ["1568", "32", "7"]),
        (scripts.MISSING_CHANNEL, "shape", ["unsqueeze(1)"]),
        (scripts.CHANNELS_LAST, "shape", ["permute"]),
        (scripts.STALE_IN_CHANNELS, "shape", ["16"]),
        (scripts.FLOAT_LABELS, None, ["long"]),
        (scripts.NO_SUPER_INIT, "exception", ["super().__init__()"]),
        (scripts.SYNTAX_ERROR, "exception", ["line 2"]),
        (scripts.DEVICE_MISMATCH_META, None, [".to(device)"]),
    ],
    ids=[
        "in-features",
        "missing-channel",
        "channels-last",
        "stale-in-channels",
        "float-labels",
        "no-super-init",
        "syntax",
        "device-mismatch-meta-stands-in-for-gpu",
    ],
)
async def test_errors_are_explained(
    box: Sandbox, source: str, kind: str | None, words: list[str]
) -> None:
    error = the_error(await run(box, source))
    if kind:
        assert error["kind"] == kind, error
    for word in words:
        assert word in error["explanation"], error["explanation"]


async def test_an_infinite_loop_times_out(box: Sandbox) -> None:
    error = the_error(await run(box, scripts.INFINITE_LOOP, timeout_s=1.5))
    assert error["kind"] == "timeout"
    assert settled_leftovers(box) == []


async def test_a_memory_bomb_is_stopped(box: Sandbox) -> None:
    error = the_error(await run(box, scripts.MEMORY_BOMB, memory_mb=400))
    assert error["kind"] == "memory"
    assert settled_leftovers(box) == []


async def test_a_fork_bomb_is_stopped_and_nothing_is_left(box: Sandbox) -> None:
    error = the_error(await run(box, scripts.FORK_BOMB, max_procs=32, timeout_s=30))
    assert error["kind"] in ("sandbox", "exception")
    assert "process" in error["explanation"]
    assert settled_leftovers(box) == []


async def test_a_segfault_is_a_crash(box: Sandbox) -> None:
    error = the_error(await run(box, scripts.SEGFAULT))
    assert error["kind"] == "crash"
    assert "SIGSEGV" in error["message"]


async def test_huge_output_is_cut_off(box: Sandbox) -> None:
    events = await run(box, scripts.HUGE_OUTPUT, output_limit=1_000_000)
    error = the_error(events)
    assert error["kind"] == "output-limit"
    assert len(output(events)) <= 1_000_000


async def test_killing_its_parent_leaves_the_tutor_running(box: Sandbox) -> None:
    events = await run(box, scripts.KILL_PARENT)
    assert events[-1]["type"] == "done"
    # Whatever the script managed to kill, the worker still serves the next job.
    after = await run(box, "print('still serving')")
    assert output(after) == "still serving\n"


async def test_opening_a_socket_is_refused(box: Sandbox) -> None:
    require("bubblewrap")
    error = the_error(await run(box, scripts.OPEN_SOCKET))
    assert error["kind"] == "sandbox"
    assert "network" in error["explanation"]


async def test_a_name_lookup_is_explained_as_no_network(box: Sandbox) -> None:
    require("bubblewrap")
    error = the_error(await run(box, "import socket\nsocket.getaddrinfo('example.com', 80)\n"))
    assert error["kind"] == "sandbox"
    assert "no network" in error["explanation"]


async def test_system_exit_with_failure_status(box: Sandbox) -> None:
    events = await run(box, scripts.SYSTEM_EXIT)
    error = the_error(events)
    assert "sys.exit(3)" in error["explanation"]
    assert output(events) == "leaving\n"
    clean = await run(box, "import sys\nsys.exit(0)\n")
    assert clean[-1]["status"] == "ok"


async def test_keyboard_interrupt_is_reported(box: Sandbox) -> None:
    error = the_error(await run(box, scripts.KEYBOARD_INTERRUPT))
    assert error["kind"] == "exception"
    assert "KeyboardInterrupt" in error["message"]


async def test_learner_output_cannot_fake_events(box: Sandbox) -> None:
    fake = '{"type": "done", "status": "ok"}'
    events = await run(box, f"print({fake!r})\nraise ValueError('real failure')\n")
    assert output(events).strip() == fake
    assert the_error(events)["message"].startswith("ValueError")


async def test_files_outside_the_job_folder_cannot_be_written() -> None:
    require("bubblewrap")
    outside = Path("/var/tmp") / f"cnn-tutor-test-{uuid.uuid4().hex}"
    outside.mkdir(mode=0o777)
    outside.chmod(0o777)
    try:
        async with Sandbox(torch=False, isolation="bubblewrap") as sandbox:
            events = await run(sandbox, f"open({str(outside / 'x.txt')!r}, 'w').write('hi')\n")
            error = the_error(events)
            assert error["kind"] == "sandbox"
            mine = await run(sandbox, "open('mine.txt', 'w').write('ok')\nprint('wrote')\n")
            assert output(mine) == "wrote\n"
        assert not (outside / "x.txt").exists()
    finally:
        shutil.rmtree(outside, ignore_errors=True)


async def test_the_learners_home_is_hidden() -> None:
    require("bubblewrap")
    home = Path("/var/tmp") / f"cnn-tutor-home-{uuid.uuid4().hex}"
    home.mkdir()
    (home / "secret.txt").write_text("private")
    home.chmod(0o755)
    (home / "secret.txt").chmod(0o644)
    try:
        async with Sandbox(torch=False, isolation="bubblewrap", hide=[str(home)]) as sandbox:
            error = the_error(
                await run(sandbox, f"print(open({str(home / 'secret.txt')!r}).read())")
            )
            assert error["kind"] in ("exception", "sandbox")
            assert "FileNotFoundError" in error["message"] or "Permission" in error["message"]
    finally:
        shutil.rmtree(home, ignore_errors=True)


@pytest.mark.parametrize("level", ["namespaces", "limits"])
async def test_degraded_isolation_still_runs_and_limits(level: str) -> None:
    async with Sandbox(torch=False, isolation=level) as sandbox:
        assert sandbox.level in (level, "limits")
        assert "bubblewrap" in sandbox.note  # it says how to get full isolation
        ok = await run(sandbox, "print(6 * 7)")
        assert output(ok) == "42\n"
        slow = the_error(await run(sandbox, scripts.INFINITE_LOOP, timeout_s=1))
        assert slow["kind"] == "timeout"
        crash = the_error(await run(sandbox, scripts.SEGFAULT))
        assert crash["kind"] == "crash"


async def test_cancel_stops_a_running_job_at_once(box: Sandbox) -> None:
    seen: list[dict[str, Any]] = []

    async def consume() -> None:
        async for event in box.run(
            JobSpec(source="import time\nprint('go', flush=True)\ntime.sleep(60)\n", data=None)
        ):
            seen.append(to_json(event))

    task = asyncio.create_task(consume())
    while not any(e["type"] == "stdout" for e in seen):
        await asyncio.sleep(0.02)
    await box.cancel()
    await asyncio.wait_for(task, 10)
    assert the_error(seen)["kind"] == "cancelled"
    assert settled_leftovers(box) == []


LOADED = "import sys\nprint(sorted(m for m in {NAMES} if m in sys.modules))\n"


def worker_children(box: Sandbox) -> set[int]:
    """The worker's own children: its referee and the spare keeper it forked ahead."""
    assert box._proc is not None
    pids = [box._proc.pid]
    while pids:
        pid = pids.pop()
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
            kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            continue
        if b"tutor.sandbox.worker" in cmd and not cmd.startswith(b"bwrap"):
            return set(map(int, kids))
        pids += map(int, kids)
    return set()


async def warmed_up(sandbox: Sandbox) -> None:
    """Wait, sending no job, until the worker has let its first spare go: its warm-up is
    done."""
    deadline = time.monotonic() + 90
    while len(first := worker_children(sandbox)) < 2:  # the referee and the spare
        assert time.monotonic() < deadline, "the worker forked no spare while idle"
        await asyncio.sleep(0.05)
    while worker_children(sandbox) >= first:
        assert time.monotonic() < deadline, "the idle worker never finished its warm-up"
        await asyncio.sleep(0.1)


async def test_warm_groups_are_imported_while_idle_and_jobs_never_wait_for_all() -> None:
    """A worker says it is ready once torch is in; what a screen asked for beyond it
    ("train", "data") comes while no job runs. Once it is in, the worker forks a new
    spare (its first one is let go), and the next job starts with it all loaded."""
    names = {"torch._dynamo", "sklearn.model_selection", "pandas"}
    probe = LOADED.replace("{NAMES}", repr(names))
    async with Sandbox(torch=True, warm=("train", "data")) as sandbox:
        await warmed_up(sandbox)
        assert output(await run(sandbox, probe, trace=False)) == f"{sorted(names)}\n"


async def test_a_job_sent_during_the_warm_up_runs_and_imports_what_it_needs() -> None:
    async with Sandbox(torch=True, warm=("train", "data")) as sandbox:
        split = "from sklearn.model_selection import train_test_split\n"
        first = await run(sandbox, split + "print(len(train_test_split(list(range(10)))[0]))\n")
        assert output(first) == "7\n"


async def test_a_worker_asked_for_nothing_imports_nothing_more() -> None:
    names = {"torch._dynamo", "sklearn.model_selection", "pandas"}
    probe = LOADED.replace("{NAMES}", repr(names))
    async with Sandbox(torch=True) as sandbox:
        await asyncio.sleep(4)  # longer than the whole warm-up takes when asked for
        assert output(await run(sandbox, probe, trace=False)) == "[]\n"
        await sandbox.want(("data",))  # a screen that needs more asks for it
        deadline = time.monotonic() + 60
        while "pandas" not in (seen := output(await run(sandbox, probe, trace=False))):
            assert time.monotonic() < deadline, seen
            await asyncio.sleep(0.5)
        assert "torch._dynamo" not in seen


SEEDED_TRAINING = """\
import torch, torch.nn as nn
torch.manual_seed(0)
model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 26 * 26, 10))
opt = torch.optim.SGD(model.parameters(), lr=0.1)
x, y = torch.randn(32, 1, 28, 28), torch.randint(0, 10, (32,))
for step in range(5):
    opt.zero_grad()
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    print(step, round(loss.item(), 6))
"""


async def test_a_warmed_worker_gives_the_same_output_as_a_cold_one() -> None:
    """The warm-up changes when modules are imported, never what a script sees: the same
    seeded training prints the same losses and traces the same shapes."""
    seen = []
    for warm in ((), ("train", "data")):
        async with Sandbox(torch=True, warm=warm) as sandbox:
            if warm:
                await warmed_up(sandbox)
            found = await run(sandbox, SEEDED_TRAINING)
            shapes = [e for e in found if e["type"] == "shape"]
            seen.append((output(found), shapes, found[-1]["status"]))
    assert seen[0] == seen[1]
    assert seen[0][0].count("\n") == 5 and len(seen[0][1]) == 5


async def test_a_hidden_folder_inside_another_hidden_one_keeps_bubblewrap(tmp_path: Path) -> None:
    """A learner folder inside a folder that is hidden too (as under a closed 0700 parent
    of a virtual environment): listed child first, bubblewrap still starts, and both stay
    hidden from a run."""
    require("bubblewrap")
    outer = tmp_path / "outer"
    inner = outer / "learner-home"
    inner.mkdir(parents=True)
    (inner / "progress.json").write_text("{}", encoding="utf-8")
    async with Sandbox(torch=False, hide=[str(inner), str(outer)]) as sandbox:
        assert sandbox.level == "bubblewrap" and not sandbox.fallback, sandbox.fallback
        secret = str(inner / "progress.json")
        seen = await run(sandbox, f"import os\nprint(os.path.exists({secret!r}))\n")
        assert output(seen) == "False\n"
