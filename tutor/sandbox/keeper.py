"""Process keeping: each job is a keeper, which enters fresh namespaces, and the job itself.

The keeper forks the job as process 1 of new user, pid and network namespaces (where the
kernel allows), waits for it, and reports on its own control pipe the job's pid and how it
ended (exit status or signal, from ``waitpid``): that report, not anything the job writes,
is what the worker decides a job's status by.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import resource
import selectors
import signal
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

from tutor import events
from tutor.sandbox import jobenv

CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
PR_SET_PDEATHSIG = 1
NOBODY = 65534
SPACE_INTERVAL_S = 0.05

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


def try_namespaces() -> int:
    """Start a throwaway child that tries whether this kernel lets us make namespaces.

    The answer is `passed(pid)`. The worker starts its tries before it imports torch,
    so they run beside that import and fork a small process."""
    pid = os.fork()
    if pid == 0:
        try:
            os._exit(0 if enter_namespaces() else 1)
        except BaseException:
            os._exit(1)
    return pid


def try_space(root: Path, hide: list[str], keep: list[str], level: str) -> int:
    """Start a throwaway child that tries whether each job can have its private mounts."""
    pid = os.fork()
    if pid == 0:
        try:
            if level == "bubblewrap":
                drop_root()
            os._exit(0 if jobenv.make_job_space(str(root), hide, keep) else 1)
        except BaseException:
            os._exit(1)
    return pid


def passed(pid: int) -> bool:
    """Whether the try in child `pid` succeeded (waits for it)."""
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def watch_space(inner: int, ctl_w: int, started: int) -> None:
    """Until the job ends: report what its private /tmp and /dev/shm hold (it is memory)."""
    os.read(started, 1)  # a spare job waits here for its spec (the job closes its end)
    os.close(started)
    try:
        pidfd = os.pidfd_open(inner)
    except (OSError, AttributeError):
        return
    last = 0
    poller = selectors.DefaultSelector()
    poller.register(pidfd, selectors.EVENT_READ)
    while not poller.select(SPACE_INTERVAL_S):
        used = jobenv.space_usage()
        if used != last:
            last = used
            os.write(ctl_w, events.encode(events.SpaceUsed(bytes=used)))
    poller.close()
    os.close(pidfd)


@dataclass
class Spare:
    """A keeper forked ahead of time, waiting for its job's spec on the `go` pipe."""

    keeper: int
    pipes: dict[int, str]
    go: int
    asks: int  # the worker's end of the challenge socket (see Worker.answer_challenge)
    job_end: int  # the number the job's end of that socket has, in the job


def fork_keeper(
    level: str,
    namespaces: bool,
    torch: bool,
    space: tuple[str, list[str], list[str]] | None = None,
) -> Spare:
    """Fork the next job's processes ahead of time, so a job starts in milliseconds.

    Forking a process that holds torch costs several milliseconds, twice; done while
    the worker is idle, the job then only waits for its spec on the `go` pipe.
    """
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    ev_r, ev_w = os.pipe()
    ctl_r, ctl_w = os.pipe()
    go_r, go_w = os.pipe()
    # One request for the challenge seed, answered once, only to the job's probe.
    asks, job_end = (end.detach() for end in socket.socketpair())
    keeper = os.fork()
    if keeper == 0:
        try:
            for fd in (out_r, err_r, ev_r, ctl_r, go_w, asks):
                os.close(fd)
            keep(
                out_w,
                err_w,
                ev_w,
                ctl_w,
                go_r,
                level=level,
                namespaces=namespaces,
                torch=torch,
                space=space,
                challenge=job_end,
            )
        finally:
            os._exit(70)
    for fd in (out_w, err_w, ev_w, ctl_w, go_r, job_end):
        os.close(fd)
    for fd in (out_r, err_r, ev_r, ctl_r, asks):
        os.set_blocking(fd, False)
    pipes = {out_r: "stdout", err_r: "stderr", ev_r: "events", ctl_r: "control"}
    return Spare(keeper, pipes, go_w, asks, job_end)


def release(spare: Spare) -> int:
    """Let go of a spare whose job never started; its keeper's pid, to reap."""
    os.close(spare.go)  # the job waiting for its spec reads none, and exits
    for fd in (*spare.pipes, spare.asks):
        os.close(fd)
    with contextlib.suppress(ProcessLookupError):
        os.kill(spare.keeper, signal.SIGKILL)
    return spare.keeper


def keep(
    out_w: int,
    err_w: int,
    ev_w: int,
    ctl_w: int,
    go_r: int,
    *,
    level: str,
    namespaces: bool,
    torch: bool,
    space: tuple[str, list[str], list[str]] | None = None,
    challenge: int | None = None,
) -> None:
    """In the keeper: make the namespaces, fork the job into them, report how it ended.

    With `space` (root, hidden, kept), the namespaces come with the job's private mounts
    (see jobenv.make_job_space) and the keeper reports what its /tmp and /dev/shm hold.
    """
    die_with_parent()
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # Not the worker's pipes to the tutor: a keeper outliving the worker for a moment
    # must not keep them open (the tutor waits for their end).
    quiet = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(quiet, fd)
    os.close(quiet)
    if level == "bubblewrap":
        drop_root()
    if space is not None:
        try:
            jobenv.make_job_space(*space)
        except OSError:
            os._exit(71)  # never run a job half set up
    elif namespaces:
        enter_namespaces()
    started_r, started_w = os.pipe()  # closed by the job once its spec has come
    inner = os.fork()
    if inner == 0:
        os.close(started_r)
        die_with_parent()
        os.setsid()
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(out_w, 1)
        os.dup2(err_w, 2)
        for fd in (devnull, out_w, err_w, ctl_w):
            if fd > 2:
                os.close(fd)  # the event pipe is the only one the job holds beyond 0-2
        try:
            # What needs no spec is done while the spare waits for one.
            if space is not None:
                jobenv.own_proc()
            if "tutor.sandbox.trace" in sys.modules:  # a warm worker's: traced runs come
                sys.modules["tutor.sandbox.trace"].prime()
            spec = json.loads(read_all(go_r))
            os.close(go_r)
            limit_processes(int(spec.get("max_procs", 64)))
            # Its own mounts sized, its environment, descriptors and powers cut down.
            ev_w = jobenv.confine(spec, ev_w, space=space is not None)
            from tutor.sandbox.job import run_job

            code = run_job(spec, ev_w, torch=torch)
        except BaseException:
            import traceback

            traceback.print_exc()
            code = 70
        sys.stdout.flush()
        sys.stderr.flush()
        for fd in (1, 2, ev_w):
            os.close(fd)
        os._exit(code)
    for fd in (go_r, out_w, err_w, ev_w, started_w):
        os.close(fd)
    if challenge is not None:
        os.close(challenge)  # the job's end of the challenge socket is the job's alone
    os.write(ctl_w, events.encode(events.Inner(pid=inner)))
    if space is not None:
        watch_space(inner, ctl_w, started_r)
    else:
        os.close(started_r)
    _, status = os.waitpid(inner, 0)
    if os.WIFSIGNALED(status):
        ended = events.Exited(signal=os.WTERMSIG(status))
    else:
        ended = events.Exited(code=os.WEXITSTATUS(status))
    os.write(ctl_w, events.encode(ended))
    os._exit(0)
