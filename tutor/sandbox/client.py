"""The tutor's side of the sandbox: an async API over one warm worker process.

The CLI and the TUI both use it. No textual, no torch: the worker imports torch, not us.

    async with Sandbox() as box:
        async for event in box.run(JobSpec(source=text)):
            ...   # a `tutor.events` event; the last one is always `Done`
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import fcntl
import json
import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tutor import events
from tutor.errors import UsageError
from tutor.events import ChannelError, Event
from tutor.sandbox.isolation import NOTES, wanted_levels, worker_launch
from tutor.sandbox.jobenv import DEFAULT_DISK_MB, worker_environment
from tutor.sandbox.roots import LOCK_NAME, ROOT_PREFIX, default_hidden, remove_stale_roots

READY_TIMEOUT_S = 60.0
REFEREE_TIMEOUT_S = 60.0
WORKER_LINE_LIMIT = 32 * 1024 * 1024
DEFAULT_TIMEOUT_S = 120.0
DEFAULT_MEMORY_MB = 4096


class SandboxError(RuntimeError):
    """The sandbox itself could not start or broke down (not the learner's code)."""


@dataclass
class JobSpec:
    """One piece of learner code to run, and the limits and inputs it runs with."""

    source: str
    filename: str = "main.py"
    device: str = "auto"
    data: str | None = "digits"
    timeout_s: float = DEFAULT_TIMEOUT_S
    memory_mb: int = DEFAULT_MEMORY_MB
    disk_mb: int = DEFAULT_DISK_MB
    max_procs: int = 64
    output_limit: int = 2_000_000
    trace: bool = True
    probe_source: str | None = None  # the code that runs beside the answer (a check's probe)
    params: dict[str, Any] = field(default_factory=dict)


class Sandbox:
    """A warm worker that runs jobs one at a time, each in a fresh contained process."""

    def __init__(
        self,
        *,
        torch: bool = True,
        isolation: str | None = None,
        hide: list[str] | None = None,
        warm: tuple[str, ...] = (),
    ) -> None:
        self.torch = torch
        # What the worker imports while idle, beyond torch (see warmup.WARM_GROUPS).
        self.warm = warm
        self._requested = isolation
        self._hide = hide
        self._proc: asyncio.subprocess.Process | None = None
        self._root: Path | None = None
        self._lock: int | None = None
        self._events: asyncio.Queue[tuple[int | None, Event] | None] = asyncio.Queue()
        self._reader: asyncio.Task[None] | None = None
        self._stderr: asyncio.Task[None] | None = None
        self._stderr_tail = b""
        self._next_id = 0
        self._current: int | None = None
        self._data_links: dict[str, str] = {}
        self._referee: tuple[int, int] | None = None  # (requests, answers): our ends
        self._referee_lock = asyncio.Lock()
        self._evidence: bytes | None = None  # the last job's, from the worker
        self.info = events.Ready(level="", pid=0)
        self.level = ""
        self.fallback = ""

    # -- life cycle -------------------------------------------------------------------
    @property
    def note(self) -> str:
        """One line saying which isolation is in force (and why not a stronger one)."""
        note = NOTES.get(self.level, "")
        if self.level not in ("", "limits") and not self.info.private_mounts:
            note += (
                "; WARNING: this kernel refused private mounts per job, so /tmp is shared "
                "between runs and each job's folder is on disk"
            )
        return f"{note} [{self.fallback}]" if self.fallback else note

    @property
    def weak(self) -> bool:
        """True when the learner's files or the network are not kept from a job."""
        return self.level == "limits" or not self.info.private_mounts

    @property
    def cuda(self) -> bool:
        return self.info.cuda

    @property
    def alive(self) -> bool:
        """Whether the worker is up (after a job, False means it died during that job)."""
        return self._proc is not None and self._proc.returncode is None

    async def __aenter__(self) -> Sandbox:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def start(self) -> None:
        """Start the worker at the strongest isolation level this machine allows."""
        if self._proc is not None and self._proc.returncode is None:
            return
        try:
            levels = wanted_levels(self._requested)
        except ValueError as exc:
            raise UsageError(str(exc)) from exc
        failures: list[str] = []
        for level in levels:
            try:
                await self._launch(level)
                if failures:
                    self.fallback = "; ".join(failures)
                return
            except SandboxError as exc:
                failures.append(f"{level}: {exc}")
                await self._teardown()
        raise SandboxError("could not start the sandbox worker (" + "; ".join(failures) + ")")

    async def _launch(self, level: str) -> None:
        remove_stale_roots()
        # Closed to other users (0700): only this tutor and its worker reach it. A job
        # running as `nobody` sees just the data folder, bound into its sandbox.
        self._root = Path(tempfile.mkdtemp(prefix=ROOT_PREFIX))
        self._lock = os.open(self._root / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fcntl.flock(self._lock, fcntl.LOCK_EX)  # held while this tutor or its worker lives
        (self._root / "data").mkdir(mode=0o755)
        (self._root / "jobs").mkdir(mode=0o700)
        hide = self._hide if self._hide is not None else default_hidden()
        launch = worker_launch(level, self._root, torch=self.torch, hide=hide)
        package_parent = str(Path(__file__).resolve().parents[2])
        pythonpath = os.pathsep.join(
            p for p in (package_parent, os.environ.get("PYTHONPATH", "")) if p
        )
        # Never the tutor's own environment (tokens, paths into the learner's files).
        env = worker_environment(dict(os.environ), pythonpath)
        self._inside_root = launch.inside_root
        if level != "bubblewrap":
            # A job then shares this machine's /proc: it must not read this process's
            # environment or memory, even as the same user.
            _libc_prctl(PR_SET_DUMPABLE, 0)
        argv = list(launch.argv)
        if self.warm:
            argv += ["--warm", ",".join(self.warm)]
        passed: tuple[int, ...] = ()
        if self.torch:
            # The referee's pipes: the worker hands them to the referee it forks and keeps
            # no copy, so no job can reach them.
            req_r, req_w = os.pipe()
            ans_r, ans_w = os.pipe()
            self._referee = (req_w, ans_r)
            argv += ["--referee", f"{req_r},{ans_w}"]
            passed = (req_r, ans_w)
        try:
            self._proc = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=env,
                # A line may carry a check's evidence (base64 of up to 16 MB).
                limit=WORKER_LINE_LIMIT,
                pass_fds=(self._lock, *passed),
            )
        finally:
            for fd in passed:
                os.close(fd)
        self._events = asyncio.Queue()
        self._stderr_tail = b""
        self._stderr = asyncio.create_task(self._drain_stderr())
        try:
            line = await asyncio.wait_for(self._proc.stdout.readline(), READY_TIMEOUT_S)  # type: ignore[union-attr]
        except TimeoutError:
            raise SandboxError("the worker did not start in time") from None
        if not line:
            await asyncio.sleep(0.05)
            tail = self._stderr_tail.decode(errors="replace").strip().splitlines()
            raise SandboxError(tail[-1] if tail else "the worker exited at start")
        try:
            ready = events.decode(line, frozenset({"ready"}))
        except ChannelError as exc:
            raise SandboxError(f"the worker's first line was not its ready event: {exc}") from None
        assert isinstance(ready, events.Ready)
        self.info = ready
        self.level = ready.level or level
        self._reader = asyncio.create_task(self._read_events())

    async def _drain_stderr(self) -> None:
        assert self._proc is not None and self._proc.stderr is not None
        while True:
            chunk = await self._proc.stderr.read(65536)
            if not chunk:
                return
            self._stderr_tail = (self._stderr_tail + chunk)[-8192:]

    async def _read_events(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        while True:
            line = await self._proc.stdout.readline()
            if not line:
                await self._events.put(None)  # the worker is gone
                return
            try:
                await self._events.put(events.decode_job(line))
            except ChannelError:
                continue  # not a line of ours: the worker's own output is all checked events

    async def want(self, warm: tuple[str, ...]) -> None:
        """Ask the worker to have `warm`'s modules imported while it is idle (replacing the
        groups asked for before); what it imported already stays."""
        self.warm = warm
        if self._proc is None or self._proc.returncode is not None:
            return  # the next start passes them
        line = json.dumps({"op": "warm", "groups": list(warm)}) + "\n"
        try:
            self._proc.stdin.write(line.encode())  # type: ignore[union-attr]
            await self._proc.stdin.drain()  # type: ignore[union-attr]
        except (BrokenPipeError, ConnectionResetError):
            pass  # the worker is gone: the next run says so

    async def close(self) -> None:
        """Stop the worker and every job with it, and remove the job folders."""
        if self._proc is not None and self._proc.returncode is None:
            try:
                self._proc.stdin.write(b'{"op": "exit"}\n')  # type: ignore[union-attr]
                await self._proc.stdin.drain()  # type: ignore[union-attr]
                self._proc.stdin.close()  # type: ignore[union-attr]
                await asyncio.wait_for(self._proc.wait(), 2.0)
            except (TimeoutError, BrokenPipeError, ConnectionResetError):
                pass
        await self._teardown()

    async def _teardown(self) -> None:
        if self._proc is not None and self._proc.returncode is None:
            try:
                self._proc.kill()
            except ProcessLookupError:
                pass
            await self._proc.wait()
        # Processes forked by the worker (a spare job, the referee) may hold its pipes for a
        # moment after it is gone: let them close, so no transport outlives the event loop.
        pending = [t for t in (self._reader, self._stderr) if t is not None and not t.done()]
        if pending:
            await asyncio.wait(pending, timeout=2.0)
        for task in (self._reader, self._stderr):
            if task is not None:
                task.cancel()
        self._reader = self._stderr = None
        self._proc = None
        if self._referee is not None:
            for fd in self._referee:
                os.close(fd)
            self._referee = None
        if self._root is not None:
            shutil.rmtree(self._root, ignore_errors=True)
            self._root = None
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None
        self._data_links.clear()

    # -- jobs -------------------------------------------------------------------------
    async def run(self, spec: JobSpec, *, challenge: int | None = None) -> AsyncIterator[Event]:
        """Run one job; yield its events, the last being `done`.

        `challenge` is the seed the job's probe may ask the worker for, once, after the
        answer's code has run; it never travels in the spec.

        Raises UsageError for a request this machine cannot serve (cuda with no GPU, bad
        data). If the worker dies mid-job, the job ends with a `sandbox` error and the
        next run starts a fresh worker.
        """
        if spec.device not in ("auto", "cpu", "cuda"):
            raise UsageError(f"unknown device '{spec.device}'; use auto, cpu or cuda")
        await self.start()
        if spec.device == "cuda" and not self.cuda:
            found = f"torch {self.info.torch}" if self.info.torch else "no torch"
            raise UsageError(
                f"--device cuda was asked for, but no CUDA GPU is usable here ({found}, "
                "torch.cuda.is_available() is False); use --device cpu or auto"
            )
        wire = asdict(spec)
        if spec.data:
            wire["data_path"] = await self._data_file(spec.data)
        self._next_id += 1
        job_id = self._next_id
        self._current = job_id
        request: dict[str, Any] = {"op": "run", "id": job_id, "spec": wire}
        if challenge is not None:
            request["challenge"] = int(challenge)
        message = json.dumps(request) + "\n"
        self._evidence = None
        assert self._proc is not None and self._proc.stdin is not None
        try:
            self._proc.stdin.write(message.encode())
            await self._proc.stdin.drain()
        except (BrokenPipeError, ConnectionResetError):
            await self._teardown()
            raise SandboxError("the sandbox worker stopped; try again") from None
        try:
            while True:
                item = await self._events.get()
                if item is None:
                    await self._teardown()
                    yield events.error(
                        "sandbox",
                        "the sandbox worker died",
                        "The process that runs your code stopped unexpectedly; "
                        "it will be restarted for the next run.",
                    )
                    yield events.Done(status="error", elapsed_s=0.0, device=spec.device)
                    return
                job, event = item
                if job != job_id:
                    continue
                if isinstance(event, events.Evidence):
                    self._evidence = _evidence_bytes(event.data)
                    continue
                if isinstance(event, events.Done):
                    self._current = None  # over: nothing to cancel
                yield event
                if isinstance(event, events.Done):
                    return
        finally:
            if self._current == job_id:
                self._current = None
                if self._proc is not None and self._proc.returncode is None:
                    # The caller stopped listening early (cancelled): stop the job too.
                    await self._send_cancel(job_id)

    def last_evidence(self) -> bytes | None:
        """What the last job's probe handed the worker on its challenge socket, or None."""
        return self._evidence

    async def referee(
        self, source: str, seed: int | None, params: dict[str, Any], evidence: bytes | None
    ) -> dict[str, Any]:
        """Ask the referee to judge `evidence` with an exercise's `referee.py` `source`.

        Returns ``{"findings": ...}`` or ``{"error": why}``; never raises for the referee's
        own failure (it is restarted with the worker on the next run).
        """
        from tutor.checks.referee import pack_request, read_frame, write_frame

        if self._referee is None:
            return {"error": "this sandbox has no referee (it was started without torch)"}
        requests, answers = self._referee
        frame = pack_request(source, seed, params, evidence or b"")

        def ask() -> bytes | None:
            write_frame(requests, frame)
            return read_frame(answers)

        async with self._referee_lock:
            try:
                answer = await asyncio.wait_for(asyncio.to_thread(ask), REFEREE_TIMEOUT_S)
            except (TimeoutError, OSError, ValueError) as exc:
                await self._teardown()
                return {"error": f"the referee did not answer ({type(exc).__name__})"}
        if answer is None:
            await self._teardown()
            return {"error": "the referee stopped"}
        try:
            decoded = json.loads(answer)
        except ValueError:
            return {"error": "the referee's answer was not JSON"}
        return decoded if isinstance(decoded, dict) else {"error": "a malformed answer"}

    async def cancel(self) -> None:
        """Stop the running job at once, with everything it started."""
        if self._current is not None:
            await self._send_cancel(self._current)

    async def _send_cancel(self, job_id: int) -> None:
        if self._proc is None or self._proc.stdin is None:
            return
        try:
            self._proc.stdin.write((json.dumps({"op": "cancel", "id": job_id}) + "\n").encode())
            await self._proc.stdin.drain()
        except (BrokenPipeError, ConnectionResetError):
            pass

    async def _data_file(self, spec: str) -> str:
        """The selected data set as an MNIST CSV inside the sandbox's read-only data folder."""
        if spec in self._data_links:
            return self._data_links[spec]
        from tutor.data import prepared_csv

        source = await asyncio.to_thread(prepared_csv, spec)
        assert self._root is not None
        name = f"{len(self._data_links)}.csv"
        target = self._root / "data" / name
        try:
            os.link(source, target)
        except OSError:
            await asyncio.to_thread(shutil.copyfile, source, target)
        inside = f"{self._inside_root}/data/{name}"
        self._data_links[spec] = inside
        return inside


PR_SET_DUMPABLE = 4


def _evidence_bytes(data: str) -> bytes | None:
    """The worker's base64 of a probe's evidence, or None if it is not that or too large."""
    from tutor.checks.evidence import MAX_EVIDENCE_BYTES

    if len(data) > (MAX_EVIDENCE_BYTES + 2) // 3 * 4:
        return None
    try:
        raw = base64.b64decode(data, validate=True)
    except ValueError:
        return None
    return raw if len(raw) <= MAX_EVIDENCE_BYTES else None


def _libc_prctl(option: int, value: int) -> None:
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)


def run_job(spec: JobSpec, *, torch: bool = True, isolation: str | None = None) -> list[Event]:
    """Run one job on a fresh sandbox and return all its events (for scripts and tests)."""

    async def go() -> list[Event]:
        async with Sandbox(torch=torch, isolation=isolation) as box:
            return [event async for event in box.run(spec)]

    return asyncio.run(go())
