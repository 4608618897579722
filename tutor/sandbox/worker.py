"""The sandbox worker: imports torch once, then forks a fresh, contained child per job.

Protocol, JSON lines. In on stdin: ``{"op": "run", "id": N, "spec": {...}}``,
``{"op": "cancel", "id": N}``, ``{"op": "exit"}``. Out on stdout: ``{"type": "ready", ...}``
once, then every job event tagged with ``"job": N``, ending with a ``done`` event.

Each job is two processes: a keeper that enters new user, process and network namespaces,
and the job itself, which becomes process 1 of that namespace, so killing it takes every
process the learner's code started with it. The worker enforces the wall-clock, memory,
process-count and output limits and reports which one stopped a job.
"""

from __future__ import annotations

import argparse
import codecs
import ctypes
import json
import os
import resource
import selectors
import shutil
import signal
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
PR_SET_PDEATHSIG = 1
NOBODY = 65534
WATCH_INTERVAL_S = 0.05
PAGE = os.sysconf("SC_PAGE_SIZE")

_libc = ctypes.CDLL(None, use_errno=True)


def die_with_parent() -> None:
    """Ask the kernel to kill this process when its parent goes."""
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def enter_namespaces() -> bool:
    """Enter fresh user, pid and network namespaces; False where the kernel refuses."""
    uid, gid = os.getuid(), os.getgid()
    if _libc.unshare(CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET) != 0:
        return False
    try:  # keep our own ids inside, so files and messages look as usual
        Path("/proc/self/setgroups").write_text("deny")
        Path("/proc/self/uid_map").write_text(f"{uid} {uid} 1")
        Path("/proc/self/gid_map").write_text(f"{gid} {gid} 1")
    except OSError:
        pass
    return True


def read_all(fd: int) -> bytes:
    """Read a pipe to its end."""
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    return b"".join(chunks)


def drop_root() -> None:
    """Run the job as `nobody` when the worker is root, so the process limit holds."""
    if os.getuid() != 0:
        return
    try:
        os.setgroups([])
        os.setresgid(NOBODY, NOBODY, NOBODY)
        os.setresuid(NOBODY, NOBODY, NOBODY)
    except OSError:
        pass  # no CAP_SETUID: stay root, and rely on the worker's process count


def limit_processes(max_procs: int) -> None:
    """Cap the processes this user may start (the kernel ignores the cap for root)."""
    if os.getuid() == 0:
        return
    mine = 0
    for entry in os.listdir("/proc"):
        try:
            if entry.isdigit() and os.stat(f"/proc/{entry}").st_uid == os.getuid():
                mine += 1
        except OSError:
            continue
    cap = mine + max_procs + 16
    try:
        resource.setrlimit(resource.RLIMIT_NPROC, (cap, cap))
    except (ValueError, OSError):
        pass


def namespaces_work() -> bool:
    """Try once, in a throwaway child, whether this kernel lets us make namespaces."""
    pid = os.fork()
    if pid == 0:
        os._exit(0 if enter_namespaces() else 1)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def preload(with_torch: bool) -> dict[str, Any]:
    """Import what learner scripts use, once, so each forked job starts warm."""
    info: dict[str, Any] = {"torch": None, "cuda": False, "cuda_devices": 0}
    if not with_torch:
        return info
    # Ask NVML, not the CUDA driver: initialising CUDA here would break it in forked jobs.
    os.environ.setdefault("PYTORCH_NVML_BASED_CUDA_CHECK", "1")
    import torch as _torch
    import torch.nn  # noqa: F401
    import torch.nn.functional  # noqa: F401
    import torch.utils.data  # noqa: F401

    for name in (
        "tutor.sandbox.trace",
        "tutor.sandbox.explain",
        "numpy",
        "pandas",
        "sklearn.model_selection",
        "sklearn.metrics",
        "plotext",
    ):
        try:
            __import__(name)
        except ImportError:
            pass
    import tutor.sandbox.job  # noqa: F401

    # The first optimiser pulls in torch's lazy modules (about 1.7 s): pay that once here.
    probe = _torch.nn.Linear(1, 1)
    for make in (_torch.optim.SGD, _torch.optim.Adam):
        make(probe.parameters(), lr=0.1).step()
    info["torch"] = _torch.__version__
    try:
        info["cuda"] = bool(_torch.cuda.is_available())
        info["cuda_devices"] = int(_torch.cuda.device_count()) if info["cuda"] else 0
    except Exception:  # a broken driver is the same as none, for our purposes
        info["cuda"] = False
    return info


# A job forked ahead: keeper pid, its pipes, the `go` pipe, our end of the challenge socket
# and the number of the job's end.
Spare = tuple[int, dict[int, str], int, int, int]


@dataclass
class Job:
    """One running job, as the worker sees it."""

    id: int
    spec: dict[str, Any]
    keeper: int
    started: float
    pipes: dict[int, str]
    folder: Path
    inner: int | None = None
    ns: str | None = None
    out_bytes: int = 0
    stopped: str | None = None
    exit_code: int | None = None
    exit_signal: int | None = None
    errored: bool = False
    ended_at: float | None = None
    buffers: dict[int, bytes] = field(default_factory=dict)
    decoders: dict[str, Any] = field(default_factory=dict)
    challenge: int | None = None  # the seed this job may ask for once, after its answer ran
    challenge_fd: int | None = None


class Worker:
    """The loop that runs jobs one at a time and watches their limits."""

    def __init__(self, root: Path, level: str, namespaces: bool, info: dict[str, Any]) -> None:
        self.root = root
        self.level = level
        self.namespaces = namespaces
        self.info = info
        self.job: Job | None = None
        self.sel = selectors.DefaultSelector()
        self.stdin_buf = b""
        self.queue: list[dict[str, Any]] = []
        self.running = True
        self.spare: Spare | None = None
        self.zombies: list[int] = []

    # -- output to the parent -------------------------------------------------------
    def send(self, event: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(event) + "\n")
        sys.stdout.flush()

    def send_job(self, event: dict[str, Any]) -> None:
        assert self.job is not None
        event["job"] = self.job.id
        if event.get("type") == "error":
            self.job.errored = True
        self.send(event)

    # -- the loop -------------------------------------------------------------------
    def serve(self) -> None:
        os.set_blocking(0, False)
        self.sel.register(0, selectors.EVENT_READ, "stdin")
        self.send({"type": "ready", "level": self.level, "pid": os.getpid(), **self.info})
        while self.running or self.job:
            timeout = WATCH_INTERVAL_S if self.job or self.zombies else None
            for key, _ in self.sel.select(timeout):
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
                self.spare = self.prepare_spare()
            self.reap()

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
        elif op == "exit":
            self.running = False
            if self.job:
                self.stop("cancelled")

    # -- starting a job ---------------------------------------------------------------
    def start(self, msg: dict[str, Any]) -> None:
        spec = msg["spec"]
        folder = self.root / "jobs" / str(msg["id"])
        shutil.rmtree(self.root / "jobs", ignore_errors=True)
        folder.mkdir(parents=True)
        folder.chmod(0o777)  # the job may run as `nobody` (see drop_root)
        if spec.get("data_path"):
            (folder / "mnist_small.csv").symlink_to(spec["data_path"])
        spec["folder"] = str(folder)
        spare = self.spare or self.prepare_spare()
        self.spare = None
        keeper, pipes, go, asks, job_end = spare
        spec["challenge_fd"] = job_end  # the number the job's end of the socket has there
        os.write(go, json.dumps(spec).encode())
        os.close(go)
        self.job = Job(msg["id"], spec, keeper, time.monotonic(), pipes, folder)
        challenge = msg.get("challenge")
        self.job.challenge = challenge if isinstance(challenge, int) else None
        self.job.challenge_fd = asks
        self.sel.register(asks, selectors.EVENT_READ, "challenge")
        for fd, name in pipes.items():
            self.sel.register(fd, selectors.EVENT_READ, name)
            self.job.buffers[fd] = b""
            if name != "events":
                self.job.decoders[name] = codecs.getincrementaldecoder("utf-8")("replace")

    def prepare_spare(self) -> Spare:
        """Fork the next job's processes ahead of time, so a job starts in milliseconds.

        Forking a process that holds torch costs several milliseconds, twice; done while
        the worker is idle, the job then only waits for its spec on the `go` pipe.
        """
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        ev_r, ev_w = os.pipe()
        ctl_r, ctl_w = os.pipe()
        go_r, go_w = os.pipe()
        # One request for the challenge seed, answered once (see answer_challenge).
        asks, answers = (s.detach() for s in socket.socketpair())
        keeper = os.fork()
        if keeper == 0:
            try:
                for fd in (out_r, err_r, ev_r, ctl_r, go_w, asks):
                    os.close(fd)
                self.keep(out_w, err_w, ev_w, ctl_w, go_r)
            finally:
                os._exit(70)
        for fd in (out_w, err_w, ev_w, ctl_w, go_r, answers):
            os.close(fd)
        for fd in (out_r, err_r, ev_r, ctl_r, asks):
            os.set_blocking(fd, False)
        pipes = {out_r: "stdout", err_r: "stderr", ev_r: "events", ctl_r: "control"}
        return keeper, pipes, go_w, asks, answers

    def keep(self, out_w: int, err_w: int, ev_w: int, ctl_w: int, go_r: int) -> None:
        """In the keeper: make the namespaces, fork the job into them, report how it ended.

        The job closes its own pipes before it exits, so the worker hears "done" without
        waiting for the kernel to tear down a process that holds torch (milliseconds).
        """
        die_with_parent()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        if self.level == "bubblewrap":
            drop_root()
        if self.namespaces:
            self.namespaces = enter_namespaces()
        inner = os.fork()
        if inner == 0:
            die_with_parent()
            os.setsid()
            devnull = os.open(os.devnull, os.O_RDONLY)
            os.dup2(devnull, 0)
            os.dup2(out_w, 1)
            os.dup2(err_w, 2)
            os.close(ctl_w)
            try:
                spec = json.loads(read_all(go_r))
                os.close(go_r)
                limit_processes(int(spec.get("max_procs", 64)))
                from tutor.sandbox.job import run_job

                code = run_job(spec, ev_w, torch=self.info.get("torch") is not None)
            except BaseException:
                import traceback

                traceback.print_exc()
                code = 70
            sys.stdout.flush()
            sys.stderr.flush()
            os.write(ev_w, (json.dumps({"type": "_done", "code": code}) + "\n").encode())
            for fd in (1, 2, ev_w, out_w, err_w):
                os.close(fd)
            os._exit(code)
        for fd in (go_r, out_w, err_w, ev_w):
            os.close(fd)
        os.write(ctl_w, (json.dumps({"type": "_inner", "pid": inner}) + "\n").encode())
        _, status = os.waitpid(inner, 0)
        ended: dict[str, Any] = {"type": "_exit", "code": None, "signal": None}
        if os.WIFSIGNALED(status):
            ended["signal"] = os.WTERMSIG(status)
        else:
            ended["code"] = os.WEXITSTATUS(status)
        os.write(ctl_w, (json.dumps(ended) + "\n").encode())
        os._exit(0)

    def answer_challenge(self, fd: int) -> None:
        """Give the job its challenge seed on its first request; nothing after that."""
        job = self.job
        try:
            asked = os.read(fd, 64)
        except BlockingIOError:
            return
        except OSError:
            asked = b""
        if asked and job is not None and job.challenge_fd == fd and job.challenge is not None:
            try:
                os.write(fd, f"{job.challenge}\n".encode())
            except OSError:
                pass
        self.close_challenge()

    def close_challenge(self) -> None:
        job = self.job
        if job is None or job.challenge_fd is None:
            return
        self.sel.unregister(job.challenge_fd)
        os.close(job.challenge_fd)
        job.challenge_fd = None
        job.challenge = None

    # -- reading a job's pipes --------------------------------------------------------------
    def read_pipe(self, fd: int, name: str) -> None:
        job = self.job
        if job is None:
            return
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            return
        if not chunk:
            self.sel.unregister(fd)
            os.close(fd)
            del job.pipes[fd]
            if name in ("stdout", "stderr"):
                tail = job.decoders[name].decode(b"", final=True)
                if tail:
                    self.send_job({"type": name, "text": tail})
            self.maybe_finish()
            return
        if name in ("events", "control"):
            job.buffers[fd] += chunk
            *lines, job.buffers[fd] = job.buffers[fd].split(b"\n")
            for line in lines:
                self.job_event(line, trusted=name == "control")
            self.maybe_finish()
            return
        limit = int(job.spec.get("output_limit", 2_000_000))
        room = limit - job.out_bytes
        job.out_bytes += len(chunk)
        if room > 0:
            text = job.decoders[name].decode(chunk[:room])
            if text:
                self.send_job({"type": name, "text": text})
        if job.out_bytes > limit and not job.stopped:
            self.stop("output-limit")

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

    def job_event(self, line: bytes, *, trusted: bool = False) -> None:
        """One event line: the keeper's (trusted) or the job's (passed on, never obeyed)."""
        job = self.job
        assert job is not None
        try:
            event = json.loads(line)
        except ValueError:
            return  # not ours: learner code scribbled on the event channel
        if not isinstance(event, dict):
            return
        kind = event.get("type")
        if trusted and kind == "_inner":
            job.inner = int(event["pid"])
            try:
                job.ns = os.readlink(f"/proc/{job.inner}/ns/pid") if self.namespaces else None
            except OSError:
                job.ns = None
        elif kind == "_device":
            job.spec["resolved_device"] = event.get("device")
        elif trusted and kind == "_exit":
            job.exit_code, job.exit_signal = event["code"], event["signal"]
        elif kind == "_done":
            if job.exit_code is None and isinstance(event.get("code"), int):
                job.exit_code = event["code"]
        elif trusted:
            return
        else:
            self.send_job(event)

    # -- limits ---------------------------------------------------------------------
    def members(self) -> list[int]:
        """The processes of the running job: its namespace, or its session without one."""
        job = self.job
        if job is None or job.inner is None:
            return []
        found = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                if job.ns is not None:
                    if os.readlink(f"/proc/{entry}/ns/pid") == job.ns:
                        found.append(int(entry))
                else:
                    stat = Path(f"/proc/{entry}/stat").read_text()
                    if int(stat.rsplit(")", 1)[1].split()[3]) == job.inner:
                        found.append(int(entry))
            except (OSError, ValueError, IndexError):
                continue
        return found

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
        if sum(map(memory_of, members)) > int(spec.get("memory_mb", 4096)) * 1024 * 1024:
            self.stop("memory")

    def reap_stragglers(self, job: Job) -> None:
        """After the job ended, kill what it left behind and stop waiting for its pipes."""
        self.kill_all()
        if job.ended_at is None:
            job.ended_at = time.monotonic()
        elif time.monotonic() - job.ended_at > 1.0:
            for fd in list(job.pipes):
                self.sel.unregister(fd)
                os.close(fd)
                del job.pipes[fd]
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
        if job is None:
            return
        if job.inner is None:
            try:
                os.kill(job.keeper, signal.SIGKILL)
            except ProcessLookupError:
                pass
            return
        for _ in range(200):
            targets = self.members()
            if job.inner and job.inner not in targets:
                targets.append(job.inner)
            alive = False
            for pid in targets:
                try:
                    os.kill(pid, signal.SIGKILL)
                    alive = True
                except ProcessLookupError:
                    pass
            if job.inner:
                try:
                    os.killpg(job.inner, signal.SIGKILL)
                    alive = True
                except (ProcessLookupError, PermissionError):
                    pass
            if not alive or (job.ns is not None and job.inner):
                break
            time.sleep(0.005)

    # -- ending a job -----------------------------------------------------------------
    def finish(self) -> None:
        job = self.job
        assert job is not None
        for fd in list(job.pipes):
            self.sel.unregister(fd)
            os.close(fd)
        job.pipes.clear()
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
        self.report_end(job)
        self.send_job(
            {
                "type": "done",
                "status": "error" if job.errored or job.stopped else "ok",
                "elapsed_s": round(time.monotonic() - job.started, 3),
                "device": job.spec.get("resolved_device", job.spec.get("device", "cpu")),
                "exit_code": job.exit_code,
            }
        )
        self.job = None

    def report_end(self, job: Job) -> None:
        """Send the error event for a job that a limit stopped or a signal killed."""
        spec = job.spec
        if job.stopped == "cancelled":
            self.send_job(error("cancelled", "stopped on request", "The run was stopped."))
        elif job.stopped == "timeout":
            secs = spec.get("timeout_s", 120)
            self.send_job(
                error(
                    "timeout",
                    f"the script ran longer than {secs:g} s and was stopped",
                    f"The script was still running after {secs:g} seconds, so the tutor "
                    "stopped it. "
                    "Look for a loop that never ends, or train on fewer examples or epochs; "
                    "`--timeout S` gives it longer.",
                )
            )
        elif job.stopped == "memory":
            mb = spec.get("memory_mb", 4096)
            self.send_job(
                error(
                    "memory",
                    f"the script used more than {mb} MB of memory and was stopped",
                    f"The script grew past the {mb} MB memory limit. Use a smaller batch, "
                    "a smaller model or fewer examples at once; `--memory MB` raises the limit.",
                )
            )
        elif job.stopped == "processes":
            n = spec.get("max_procs", 64)
            self.send_job(
                error(
                    "sandbox",
                    f"the script started more than {n} processes and was stopped",
                    f"The script kept creating processes (more than {n}), so the sandbox "
                    "stopped all of them. A training script needs none: remove the os.fork or "
                    "subprocess calls, or set DataLoader num_workers=0.",
                )
            )
        elif job.stopped == "output-limit":
            limit = int(spec.get("output_limit", 2_000_000))
            self.send_job(
                error(
                    "output-limit",
                    f"the script printed more than {limit // 1000} kB",
                    "The script printed so much that the tutor stopped it. Print a summary "
                    "per epoch instead of a line per example.",
                )
            )
        elif job.exit_signal:
            name = signal.Signals(job.exit_signal).name if job.exit_signal < 65 else "?"
            why = {
                "SIGSEGV": "it touched memory it does not own (a segmentation fault), "
                "usually a bug in native code called through ctypes or an extension",
                "SIGKILL": "it was killed, perhaps by itself or by a process it signalled",
                "SIGABRT": "native code aborted",
            }.get(name, "it received a signal it did not handle")
            self.send_job(
                error(
                    "crash",
                    f"the script crashed: {name} (signal {job.exit_signal})",
                    f"The Python process running your script died: {why}. The tutor is fine; "
                    "read the output above for the last thing it did.",
                )
            )
        elif not job.errored and job.exit_code not in (0, None):
            self.send_job(
                error(
                    "crash",
                    f"the script's process ended with status {job.exit_code}",
                    "The process running your script ended abruptly (os._exit or a native "
                    "library). The output above shows how far it got.",
                )
            )


def start_referee(fds: str, torch: bool) -> None:
    """Fork the referee (tutor.checks.referee) with torch warm, before any job exists.

    Its two pipes lead to the tutor; the worker closes its copies at once, so no job,
    forked later from the worker, can reach them.
    """
    if not fds:
        return
    requests, answers = (int(fd) for fd in fds.split(","))
    if torch and os.fork() == 0:
        try:
            die_with_parent()
            devnull = os.open(os.devnull, os.O_RDWR)
            os.dup2(devnull, 0)
            os.dup2(devnull, 1)
            from tutor.checks.referee import serve

            serve(requests, answers)
        finally:
            os._exit(0)
    os.close(requests)
    os.close(answers)


def memory_of(pid: int) -> int:
    """A process's proportional share of memory (PSS), so pages shared with the worker count
    once across the job, not once per forked process; RSS where PSS is not available."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as handle:
            for line in handle:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
    except (OSError, ValueError, IndexError):
        return 0


def error(kind: str, message: str, explanation: str) -> dict[str, Any]:
    return {
        "type": "error",
        "kind": kind,
        "message": message,
        "explanation": explanation,
        "line": None,
        "layer": None,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", required=True)
    parser.add_argument("--level", default="limits")
    parser.add_argument("--torch", action="store_true")
    parser.add_argument("--referee", default="", help="REQUESTS,ANSWERS: the referee's pipes")
    args = parser.parse_args()
    die_with_parent()
    if os.getppid() == 1 and args.level != "bubblewrap":
        sys.exit(0)  # the parent died before we could ask to die with it
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        os.nice(-5)  # where allowed: the watcher should win the CPU from a runaway job
    except OSError:
        pass
    info = preload(args.torch)
    start_referee(args.referee, info.get("torch") is not None)
    import gc

    gc.collect()
    gc.freeze()  # forked jobs then never touch these objects' pages, so fewer copies
    namespaces = args.level != "limits" and namespaces_work()
    level = args.level if namespaces or args.level == "bubblewrap" else "limits"
    Worker(Path(args.root), level, namespaces, info).serve()


if __name__ == "__main__":
    main()
