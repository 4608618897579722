"""Inside one job: set the limits, run the learner's code traced, send events back.

This runs in the forked job process, never in the tutor. It writes events as JSON lines
to the event channel handed down by the worker; the learner's own stdout and stderr go to
their own pipes, so nothing the script prints can pass for an event.
"""

from __future__ import annotations

import builtins
import dataclasses
import errno
import faulthandler
import linecache
import os
import resource
import socket
import sys
import threading
import traceback
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tutor import events
from tutor.events import Event

Emit = Callable[[Event], None]

# OS errors that mean the sandbox said no, with what to tell the learner.
_DENIED = {
    errno.EROFS: "The sandbox lets a script write only inside its own working folder; "
    "save files with a plain name like 'model.pt' instead of a path elsewhere.",
    errno.EACCES: "The sandbox does not let a script touch files outside its working folder "
    "(and /tmp); keep the files you make there, and read 'mnist_small.csv' for the data.",
    errno.ENOSPC: "The script's files filled the space a run may keep (its folder, /tmp and "
    "/dev/shm are capped); save fewer or smaller files, or raise the limit with `--disk MB` "
    "(folder) or `--memory MB` (/tmp, /dev/shm).",
    errno.EFBIG: "One file grew past the size a run may write; save a smaller file, or raise "
    "the limit with `--disk MB`.",
    errno.EPERM: "The sandbox does not allow that operation.",
    errno.EAGAIN: "The sandbox limits how many processes a script may start; a training "
    "script needs none of its own (set DataLoader num_workers=0).",
    errno.ENETUNREACH: "The sandbox has no network: everything a lesson needs is already "
    "in the working folder (mnist_small.csv).",
    # Inside the sandbox every name lookup fails, as "unknown" or as "try again".
    socket.EAI_NONAME: "The sandbox has no network, so no host name can be looked up.",
    socket.EAI_AGAIN: "The sandbox has no network, so no host name can be looked up.",
}


def make_emit(fd: int) -> Emit:
    """An emitter that writes one JSON line per event to `fd`, safe across threads."""
    lock = threading.Lock()

    def emit(event: Event) -> None:
        data = events.encode(event)
        with lock:
            while data:
                data = data[os.write(fd, data) :]

    return emit


def set_limits(spec: dict[str, Any], device: str) -> None:
    """Address-space limit on CPU (CUDA needs a huge address space; the worker watches RSS)."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    mb = min(int(spec.get("file_limit_mb", 1024)), int(spec.get("disk_mb", 1024)) or 1024)
    size = mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    if device == "cpu":
        with open("/proc/self/statm") as handle:
            vm_now = int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        extra = int(spec.get("memory_mb", 4096)) * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (vm_now + extra, vm_now + extra))


def resolve_device(requested: str, torch: bool) -> str:
    """auto, cpu or cuda into the device the job will really have."""
    if requested == "cpu":
        os.environ["CUDA_VISIBLE_DEVICES"] = ""
        return "cpu"
    if not torch:
        return "cpu"
    import torch as _torch

    available = _torch.cuda.is_available()
    if requested == "cuda" or (requested == "auto" and available):
        return "cuda" if available else "cpu"
    return "cpu"


def explain_error(exc: BaseException, tracer: Any, source: str, filename: str) -> events.Error:
    """The learner-facing explanation of `exc`, from the tracing toolkit when present."""
    denied = _denied(exc)
    if denied:
        return denied
    try:
        from tutor.sandbox import explain as layers
    except ImportError:
        layers = None  # type: ignore[assignment]  # a worker without torch: plain words only
    if layers is not None:
        try:
            found = layers.explain(exc, tracer=tracer, source=source, filename=filename)
            kind = found["kind"] if found["kind"] in events.ERROR_KINDS else "exception"
            kind = typing.cast(events.ErrorKind, kind)
            return events.error(
                kind,
                str(found["message"]),
                str(found.get("explanation") or ""),
                line=found.get("line"),
                layer=found.get("layer"),
            )
        except Exception:
            pass
    return plain_explanation(exc, filename)


def _denied(exc: BaseException) -> events.Error | None:
    if _in_worker_start(exc):
        return None  # worker processes, not files: explained by the recognisers
    if isinstance(exc, OSError) and exc.errno in _DENIED:
        explanation = _DENIED[exc.errno]
        where = exc.filename if isinstance(exc.filename, str) else None
        if exc.errno in (errno.EACCES, errno.EROFS, errno.EPERM) and where:
            explanation = f"The sandbox did not let the script use {where}. " + explanation
        return events.error("sandbox", f"{type(exc).__name__}: {exc}", explanation)
    if isinstance(exc, OSError) and "network" in str(exc).lower():
        message = f"{type(exc).__name__}: {exc}"
        return events.error("sandbox", message, _DENIED[errno.ENETUNREACH])
    return None


def learner_line(exc: BaseException, filename: str) -> int | None:
    """The innermost line of the learner's file in the traceback of `exc`."""
    if isinstance(exc, SyntaxError) and exc.filename == filename:
        return exc.lineno
    line = None
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        if frame.f_code.co_filename == filename:
            line = lineno
    return line


def print_learner_traceback(exc: BaseException, filename: str) -> None:
    """The traceback as the learner would see it running the file: our frames left out."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != filename:
        tb = tb.tb_next
    exc.__traceback__ = tb
    lines = traceback.format_exception(type(exc), exc, tb)
    tracer_file = str(Path(__file__).with_name("trace.py"))
    # The tracer wraps Module.__call__: its frames are ours, not the learner's.
    sys.stderr.write("".join(line for line in lines if tracer_file not in line))


def plain_explanation(exc: BaseException, filename: str) -> events.Error:
    line = learner_line(exc, filename)
    where = f" on line {line}" if line else ""
    if isinstance(exc, SyntaxError):
        text = f"Python could not read your code{where}, column {exc.offset}: {exc.msg}."
    elif isinstance(exc, MemoryError):
        return events.error(
            "memory",
            "MemoryError",
            "The script asked for more memory than the limit allows.",
            line=line,
        )
    else:
        text = f"Your code raised {type(exc).__name__}{where}: {exc}"
    return events.error("exception", f"{type(exc).__name__}: {exc}", text, line=line)


def _in_worker_start(exc: BaseException) -> bool:
    """Whether exc was raised while starting processes (a DataLoader's workers)."""
    return any(
        "multiprocessing" in frame.f_code.co_filename
        for frame, _ in traceback.walk_tb(exc.__traceback__)
    )


def _fix_sandbox_errors(error: events.Error, exc: BaseException) -> events.Error:
    if isinstance(exc, KeyboardInterrupt):
        return dataclasses.replace(
            error,
            explanation="The script raised KeyboardInterrupt itself. Nothing was interrupted "
            "from outside; remove the raise, or use Stop in the tutor to end a run.",
        )
    return error


def _close(fd: int) -> None:
    try:
        os.close(fd)
    except OSError:
        pass


def run_job(spec: dict[str, Any], event_fd: int, *, torch: bool) -> int:
    """Run one job to the end; the exit status is 0 for success and 1 for a failure."""
    emit = make_emit(event_fd)
    folder = Path(spec["folder"])
    os.chdir(folder)
    os.environ["HOME"] = str(folder)
    filename = spec.get("filename") or "main.py"
    source = spec.get("source", "")
    (folder / filename).write_text(source, encoding="utf-8")
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    sys.argv = [filename]
    sys.path.insert(0, str(folder))
    faulthandler.enable(file=sys.stderr)

    device = resolve_device(spec.get("device", "auto"), torch)
    spec["resolved_device"] = device
    emit(events.Device(device=device))
    set_limits(spec, device)

    tracer = None
    if torch and spec.get("trace", True):
        try:
            from tutor.sandbox import report
            from tutor.sandbox.trace import Tracer

            tracer = Tracer(emit)
            tracer.install()
            sys.modules["cnntutor"] = report
        except ImportError:
            tracer = None

    namespace: dict[str, Any] = {
        "__name__": "__main__",
        "__file__": filename,
        "__builtins__": builtins,
    }
    # Only the exercise's probe comes in here: its judge, expected values, referee and
    # solution stay in the tutor, out of this process and out of its view of the files.
    checker: dict[str, Any] = {"__name__": "cnn_tutor_probe"}
    params = spec.get("params") or {}
    probe_source = spec.get("probe_source")
    challenge_fd = spec.get("challenge_fd")
    if not probe_source and isinstance(challenge_fd, int):
        _close(challenge_fd)  # a plain run has no challenge to ask for
    status = 0
    phase: events.Phase = "setup"
    try:
        if probe_source:
            exec(compile(probe_source, "probe.py", "exec"), checker)
            if callable(checker.get("setup")):
                checker["setup"](namespace, params)
        phase = "learner"
        try:
            code = compile(source, filename, "exec")
            exec(code, namespace)
        except SystemExit as stop:
            if stop.code not in (None, 0):
                emit(
                    events.error(
                        "exception",
                        f"SystemExit: {stop.code}",
                        f"The script called sys.exit({stop.code!r}), which reports a failure. "
                        "Use sys.exit() or sys.exit(0) to end successfully.",
                        line=learner_line(stop, filename),
                        phase="learner",
                    )
                )
                return 1
        if probe_source and callable(checker.get("probe")):
            phase = "probe"
            # Only now, with the answer's code finished, may the probe ask for the seed.
            from tutor.checks import evidence

            evidence._challenge_fd = challenge_fd if isinstance(challenge_fd, int) else None
            facts = checker["probe"](namespace, params)
            emit(events.Facts(data=facts))
    except BaseException as exc:  # noqa: BLE001 - everything the learner raises is reported
        if phase == "probe" and isinstance(challenge_fd, int) and _challenge_broken(exc):
            # The worker's end of the challenge socket is the tutor's own: when it fails
            # with the socket in place, the answer asked for the seed or wrote to it first.
            emit(
                events.error(
                    "sandbox",
                    f"{events.CHANNEL_VIOLATION}: the challenge socket ({exc})",
                    "Your code used the socket the tutor keeps for its own check, so the "
                    "check could not go on. Leave descriptors you did not open alone.",
                    phase=phase,
                )
            )
        elif phase == "setup" or phase == "probe":
            emit(
                events.error(
                    "sandbox",
                    f"{type(exc).__name__}: {exc}",
                    "The checker itself failed while "
                    f"{'preparing' if phase == 'setup' else 'inspecting'} your answer: "
                    + "".join(traceback.format_exception_only(exc)).strip(),
                    phase=phase,
                )
            )
        else:
            error = _fix_sandbox_errors(explain_error(exc, tracer, source, filename), exc)
            emit(dataclasses.replace(error, phase="learner"))
            print_learner_traceback(exc, filename)
        status = 1
    finally:
        if tracer is not None:
            try:
                tracer.flush()
            except Exception:
                pass
        sys.stdout.flush()
        sys.stderr.flush()
    return status


def _challenge_broken(exc: BaseException) -> bool:
    """Whether `exc` is the probe's challenge exchange failing (not a bug in the probe)."""
    from tutor.checks.evidence import NoChallenge

    return isinstance(exc, NoChallenge)
