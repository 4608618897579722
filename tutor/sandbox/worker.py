"""The sandbox worker: imports torch once (see `warmup`), then forks a contained child per job.

Protocol, JSON lines. In on stdin: ``{"op": "run", "id": N, "spec": {...}}``,
``{"op": "cancel", "id": N}``, ``{"op": "warm", "groups": [...]}``, ``{"op": "exit"}``.
Out on stdout, as `tutor.events`: a ``ready`` event once, then every job event tagged
with ``"job": N``, ending with ``done``.

Each job is two processes (see `keeper`): a keeper in new namespaces, and the job itself.
The worker reads the job's event channel through a bounded `ChannelReader`, enforces the
wall-clock, memory, process-count and output limits (see `limits`), and decides the job's
status alone, from how the keeper saw it end and the limits it enforced: nothing the job
writes is taken as a status, and only the worker sends ``done``. A checked job's evidence
comes over its challenge socket (see `challenge`), never from its event channel.
"""

from __future__ import annotations

import argparse
import base64
import codecs
import json
import os
import selectors
import shutil
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tutor import events
from tutor.events import ChannelError, Event
from tutor.sandbox import jobenv, limits
from tutor.sandbox import keeper as keeping
from tutor.sandbox.challenge import Challenge
from tutor.sandbox.channel import BYTES_PER_OUTPUT_BYTE, ChannelReader
from tutor.sandbox.jobenv import LEAN_ENV
from tutor.sandbox.warmup import Warming, start_up

WATCH_INTERVAL_S = 0.05
DISK_INTERVAL_S = 0.25


@dataclass
class Job:
    """One running job, as the worker sees it."""

    id: int
    spec: dict[str, Any]
    keeper: int
    started: float
    pipes: dict[int, str]
    folder: Path
    channel: ChannelReader
    inner: int | None = None
    ns: str | None = None
    out_bytes: int = 0
    space_bytes: int = 0
    disk_checked: float = 0.0
    stopped: str | None = None
    violation: str = ""
    explained: events.Error | None = None
    exit_code: int | None = None
    exit_signal: int | None = None
    ended_at: float | None = None
    control: bytes = b""
    decoders: dict[str, Any] = field(default_factory=dict)
    challenge: Challenge = field(default_factory=Challenge)  # the seed out, the evidence in


class Worker:
    """The loop that runs jobs one at a time and watches their limits."""

    def __init__(
        self,
        root: Path,
        level: str,
        namespaces: bool,
        ready: events.Ready,
        space: tuple[list[str], list[str]] | None = None,
    ) -> None:
        self.root = root
        self.level = level
        self.namespaces = namespaces
        self.ready = ready
        # (hidden, kept) when each job gets private mounts (see jobenv.make_job_space)
        self.space = space
        self.job: Job | None = None
        self.sel = selectors.DefaultSelector()
        self.stdin_buf = b""
        self.queue: list[dict[str, Any]] = []
        self.running = True
        self.spare: keeping.Spare | None = None
        self.zombies: list[int] = []
        self.warming = Warming(lean=ready.torch is None or os.environ.get(LEAN_ENV) == "1")

    # -- output to the parent -------------------------------------------------------
    def send(self, event: Event, **tag: Any) -> None:
        sys.stdout.write(events.dumps(event, **tag) + "\n")
        sys.stdout.flush()

    def send_job(self, event: Event) -> None:
        assert self.job is not None
        self.send(event, job=self.job.id)

    # -- the loop -------------------------------------------------------------------
    def serve(self) -> None:
        os.set_blocking(0, False)
        self.sel.register(0, selectors.EVENT_READ, "stdin")
        self.send(self.ready)
        while self.running or self.job:
            idle = self.running and not self.job and not self.queue
            timeout = WATCH_INTERVAL_S if self.job or self.zombies else None
            if idle and (self.spare is None or self.warming):
                timeout = 0  # only look: the spare and the warm-up wait for nothing else
            ready = self.sel.select(timeout)
            for key, _ in ready:
                if key.data == "stdin":
                    self.read_stdin()
                elif key.data == "challenge":
                    self.answer_challenge(key.fd)
                else:
                    self.read_pipe(key.fd, key.data)
            if self.job:
                self.watch()
            if not self.job and self.queue:
                self.start(self.queue.pop(0))
            elif not self.job and self.spare is None and self.running:
                self.spare = self.fork_spare()
            elif idle and not ready and self.warming:
                self.warm_next()
            self.reap()

    def warm_next(self) -> None:
        """One warm-up step (see warmup.Warming); after the last, a spare that has it all."""
        if self.warming.step() and self.spare is not None:
            self.zombies.append(keeping.release(self.spare))  # the loop forks a new one
            self.spare = None

    def read_stdin(self) -> None:
        try:
            chunk = os.read(0, 65536)
        except BlockingIOError:
            return
        if not chunk:  # the parent is gone: stop everything
            self.running = False
            self.sel.unregister(0)
            if self.job:
                self.stop("cancelled")
            return
        self.stdin_buf += chunk
        while b"\n" in self.stdin_buf:
            line, self.stdin_buf = self.stdin_buf.split(b"\n", 1)
            if line.strip():
                self.command(json.loads(line))

    def command(self, msg: dict[str, Any]) -> None:
        op = msg.get("op")
        if op == "run":
            self.queue.append(msg)
        elif op == "cancel":
            if self.job and self.job.id == msg.get("id"):
                self.stop("cancelled")
            self.queue = [m for m in self.queue if m.get("id") != msg.get("id")]
        elif op == "warm":
            self.warming.want([str(g) for g in msg.get("groups") or []])
        elif op == "exit":
            self.running = False
            if self.job:
                self.stop("cancelled")

    # -- starting a job ---------------------------------------------------------------
    def fork_spare(self) -> keeping.Spare:
        return keeping.fork_keeper(
            self.level,
            self.namespaces,
            self.ready.torch is not None,
            space=(str(self.root), *self.space) if self.space else None,
        )

    def start(self, msg: dict[str, Any]) -> None:
        spec = msg["spec"]
        folder = self.root / "jobs" / str(msg["id"])
        shutil.rmtree(self.root / "jobs", ignore_errors=True)
        if self.space is None:  # else the job makes it, in a tmpfs of its own
            folder.mkdir(parents=True, mode=0o700)
            if os.getuid() == 0 and self.level == "bubblewrap":
                folder.chmod(0o777)  # the job runs as `nobody`, in bwrap's private /tmp
            if spec.get("data_path"):
                (folder / "mnist_small.csv").symlink_to(spec["data_path"])
        spec["folder"] = str(folder)
        spare = self.spare or self.fork_spare()
        self.spare = None
        spec["challenge_fd"] = spare.job_end  # the number the job's end of the socket has
        os.write(spare.go, json.dumps(spec).encode())
        os.close(spare.go)
        kinds = events.JOB_KINDS if spec.get("probe_source") else events.JOB_KINDS - {"facts"}
        limit = int(spec.get("output_limit", 2_000_000))
        channel = ChannelReader(max_bytes=limit * BYTES_PER_OUTPUT_BYTE, kinds=kinds)
        self.job = Job(
            msg["id"], spec, spare.keeper, time.monotonic(), spare.pipes, folder, channel
        )
        seed = msg.get("challenge")
        self.job.challenge = Challenge(fd=spare.asks, seed=seed if isinstance(seed, int) else None)
        self.sel.register(spare.asks, selectors.EVENT_READ, "challenge")
        for fd, name in spare.pipes.items():
            self.sel.register(fd, selectors.EVENT_READ, name)
            if name in ("stdout", "stderr"):
                self.job.decoders[name] = codecs.getincrementaldecoder("utf-8")("replace")

    def answer_challenge(self, fd: int) -> None:
        """Give the job its seed on its first request, then take its evidence (`challenge`)."""
        job = self.job
        try:
            chunk = os.read(fd, 1 << 20)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if job is None or job.challenge.fd != fd or not chunk or job.challenge.take(chunk):
            self.close_challenge()

    def close_challenge(self) -> None:
        job = self.job
        if job is None or job.challenge.fd is None:
            return
        self.sel.unregister(job.challenge.fd)
        os.close(job.challenge.fd)
        job.challenge.forget()

    # -- reading a job's pipes --------------------------------------------------------------
    def close_pipe(self, fd: int) -> None:
        job = self.job
        assert job is not None
        self.sel.unregister(fd)
        os.close(fd)
        del job.pipes[fd]

    def read_pipe(self, fd: int, name: str) -> None:
        job = self.job
        if job is None:
            return
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            return
        if not chunk:
            self.close_pipe(fd)
            if name in ("stdout", "stderr"):
                tail = job.decoders[name].decode(b"", final=True)
                if tail:
                    self.send_job(output(name, tail))
            elif name == "events" and not job.stopped:
                try:
                    job.channel.close()
                except ChannelError as exc:
                    self.violated(str(exc))
            self.maybe_finish()
            return
        if name == "control":
            self.read_control(chunk)
        elif name == "events":
            self.read_events(fd, chunk)
        else:
            self.read_output(name, chunk)

    def read_output(self, name: str, chunk: bytes) -> None:
        job = self.job
        assert job is not None
        limit = int(job.spec.get("output_limit", 2_000_000))
        room = limit - job.out_bytes
        job.out_bytes += len(chunk)
        if room > 0:
            text = job.decoders[name].decode(chunk[:room])
            if text:
                self.send_job(output(name, text))
        if job.out_bytes > limit and not job.stopped:
            self.stop("output-limit")

    def read_events(self, fd: int, chunk: bytes) -> None:
        """The job's own channel: bounded, checked, passed on, never obeyed."""
        job = self.job
        assert job is not None
        if job.stopped:
            return  # the job is being killed: what it still says does not matter
        try:
            for event in job.channel.feed(chunk):
                if isinstance(event, events.Device):
                    job.spec["resolved_device"] = event.device
                elif isinstance(event, events.Error):
                    # An explanation, kept for the end: it is shown only if the job's process
                    # really failed (a status the job claims is no status).
                    job.explained = job.explained or event
                else:
                    self.send_job(event)
        except ChannelError as exc:
            self.violated(str(exc))
            self.close_pipe(fd)

    def read_control(self, chunk: bytes) -> None:
        """The keeper's pipe (trusted): the job's pid, then how it ended."""
        job = self.job
        assert job is not None
        job.control += chunk
        *lines, job.control = job.control.split(b"\n")
        for line in lines:
            try:
                event = events.decode(line, frozenset({"_inner", "_exit", "_space"}))
            except ChannelError:
                continue
            if isinstance(event, events.Inner):
                job.inner = event.pid
                try:
                    job.ns = os.readlink(f"/proc/{job.inner}/ns/pid") if self.namespaces else None
                except OSError:
                    job.ns = None
            elif isinstance(event, events.SpaceUsed):
                job.space_bytes = event.bytes
            elif isinstance(event, events.Exited):
                job.exit_code, job.exit_signal = event.code, event.signal
        self.maybe_finish()

    def violated(self, what: str) -> None:
        """The job wrote something it may not on the channel: stop it and say so."""
        job = self.job
        assert job is not None
        if not job.stopped:
            job.violation = what
            self.stop("channel")

    def reap(self) -> None:
        """Collect keepers that finished tearing down after their job was reported."""
        for pid in list(self.zombies):
            try:
                if os.waitpid(pid, os.WNOHANG)[0]:
                    self.zombies.remove(pid)
            except ChildProcessError:
                self.zombies.remove(pid)

    def maybe_finish(self) -> None:
        """End the job once its output is closed and we know how it exited."""
        job = self.job
        if job is None:
            return
        streams = [n for n in job.pipes.values() if n != "control"]
        known = job.exit_code is not None or job.exit_signal is not None
        if not streams and (known or "control" not in job.pipes.values()):
            self.finish()

    # -- limits ---------------------------------------------------------------------
    def members(self) -> list[int]:
        job = self.job
        return limits.members(job.inner, job.ns) if job else []

    def watch(self) -> None:
        job = self.job
        if job is None:
            return
        ended = job.exit_code is not None or job.exit_signal is not None
        if ended or job.stopped:
            self.reap_stragglers(job)
            return
        spec = job.spec
        if time.monotonic() - job.started > float(spec.get("timeout_s", 120)):
            self.stop("timeout")
            return
        members = self.members()
        if len(members) > int(spec.get("max_procs", 64)):
            self.stop("processes")
            return
        # The job's private /tmp and /dev/shm are memory too (the keeper reports them).
        used = sum(map(limits.memory_of, members)) + job.space_bytes
        if used > int(spec.get("memory_mb", 4096)) * 1024 * 1024:
            self.stop("memory")
            return
        if self.space is None and time.monotonic() - job.disk_checked > DISK_INTERVAL_S:
            # No tmpfs of its own to cap the folder: measure it, now and then.
            job.disk_checked = time.monotonic()
            cap = int(spec.get("disk_mb", jobenv.DEFAULT_DISK_MB)) * 1024 * 1024
            if jobenv.folder_size(job.folder, cap) > cap:
                self.stop("disk")

    def reap_stragglers(self, job: Job) -> None:
        """After the job ended, kill what it left behind and stop waiting for its pipes."""
        self.kill_all()
        if job.ended_at is None:
            job.ended_at = time.monotonic()
        elif time.monotonic() - job.ended_at > 1.0:
            for fd in list(job.pipes):
                self.close_pipe(fd)
            self.finish()

    def stop(self, reason: str) -> None:
        """Kill the whole job now and remember why."""
        job = self.job
        if job is None:
            return
        if not job.stopped:
            job.stopped = reason
        self.kill_all()

    def kill_all(self) -> None:
        job = self.job
        if job is not None:
            limits.kill_job(job.keeper, job.inner, job.ns)

    # -- ending a job -----------------------------------------------------------------
    def finish(self) -> None:
        job = self.job
        assert job is not None
        for fd in list(job.pipes):
            self.close_pipe(fd)
        self.close_challenge()
        status = 0
        try:
            pid, status = os.waitpid(job.keeper, os.WNOHANG)
            if pid == 0:
                self.zombies.append(job.keeper)  # still tearing down: reap it later
        except ChildProcessError:
            pass
        if job.stopped or job.exit_signal or (job.exit_code not in (0, None)):
            self.kill_all()
        if job.exit_code is None and job.exit_signal is None and os.WIFSIGNALED(status):
            job.exit_signal = os.WTERMSIG(status)
        failure = self.failure(job)
        if failure is not None:
            self.send_job(failure)
        elif job.challenge.evidence is not None:
            # Only from the worker, only for a job that ended well: the referee's input.
            evidence = base64.b64encode(job.challenge.evidence).decode()
            self.send_job(events.Evidence(data=evidence))
        self.send_job(
            events.Done(
                status="error" if failure is not None else "ok",
                elapsed_s=round(time.monotonic() - job.started, 3),
                device=str(job.spec.get("resolved_device", job.spec.get("device", "cpu"))),
                exit_code=job.exit_code,
            )
        )
        self.job = None

    def failure(self, job: Job) -> events.Error | None:
        """The worker's own verdict on how the job ended: None for success, else its error.

        A limit the worker enforced comes first, then a signal, then a failing exit status
        (with the job's own explanation of it, if it sent one). Exit status 0, and nothing
        stopped it, is success whatever the job wrote.
        """
        if job.stopped:
            return limits.stopped_error(job.stopped, job.spec, job.violation)
        if job.exit_signal:
            return limits.ended_error(None, job.exit_signal)
        if job.exit_code is None:
            return events.error(
                "crash",
                "the sandbox could not tell how the script ended",
                "The process that watched your script stopped before it could say how the "
                "script ended; run it again, and report it if it keeps happening.",
            )
        if job.exit_code != 0:
            return job.explained or limits.ended_error(job.exit_code, None)
        return None


def output(stream: str, text: str) -> events.Output:
    return events.Output(type="stdout" if stream == "stdout" else "stderr", text=text)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", required=True)
    parser.add_argument("--level", default="limits")
    parser.add_argument("--torch", action="store_true")
    parser.add_argument("--referee", default="", help="REQUESTS,ANSWERS: the referee's pipes")
    parser.add_argument("--hide", action="append", default=[])
    parser.add_argument("--warm", default="", help="GROUP,...: see warmup.WARM_GROUPS")
    args = parser.parse_args()
    keeping.die_with_parent()
    if os.getppid() == 1 and args.level != "bubblewrap":
        sys.exit(0)  # the parent died before we could ask to die with it
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        os.nice(-5)  # where allowed: the watcher should win the CPU from a runaway job
    except OSError:
        pass
    root = Path(args.root)
    ready, namespaces, space = start_up(root, args.level, args.torch, args.hide, args.referee)
    worker = Worker(root, ready.level, namespaces, ready, space)
    worker.warming.want([g for g in args.warm.split(",") if g])
    worker.serve()
    # Leave without the interpreter's teardown of torch (a third of a second): every job
    # has ended and every event is flushed; the spare keeper and the referee die with us.
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
