"""Limits: which processes belong to a job, how much memory they hold, killing them all,
and the error a job gets for the limit that stopped it or the way its process ended."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

from tutor import events
from tutor.events import Error

PAGE = os.sysconf("SC_PAGE_SIZE")


def members(inner: int | None, ns: str | None) -> list[int]:
    """The processes of a job: its pid namespace, or its session where there is none."""
    if inner is None:
        return []
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if ns is not None:
                if os.readlink(f"/proc/{entry}/ns/pid") == ns:
                    found.append(int(entry))
            else:
                stat = Path(f"/proc/{entry}/stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[3]) == inner:
                    found.append(int(entry))
        except (OSError, ValueError, IndexError):
            continue
    return found


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


def kill_job(keeper: int, inner: int | None, ns: str | None) -> None:
    """SIGKILL every process of the job (the keeper alone if the job has not started)."""
    if inner is None:
        try:
            os.kill(keeper, signal.SIGKILL)
        except ProcessLookupError:
            pass
        return
    for _ in range(200):
        targets = members(inner, ns)
        if inner not in targets:
            targets.append(inner)
        alive = False
        for pid in targets:
            try:
                os.kill(pid, signal.SIGKILL)
                alive = True
            except ProcessLookupError:
                pass
        try:
            os.killpg(inner, signal.SIGKILL)
            alive = True
        except (ProcessLookupError, PermissionError):
            pass
        if not alive or ns is not None:
            break
        time.sleep(0.005)


def stopped_error(reason: str, spec: dict[str, Any], violation: str = "") -> Error:
    """The error for a job the worker stopped: a limit, a cancel, or a channel violation."""
    if reason == "channel":
        return events.error(
            "sandbox",
            f"{events.CHANNEL_VIOLATION}: {violation}",
            "Your code wrote to the pipe the tutor uses for its own messages, so the tutor "
            "stopped it. Print with print() instead; to plot a value use cnntutor.report().",
        )
    if reason == "timeout":
        secs = spec.get("timeout_s", 120)
        return events.error(
            "timeout",
            f"the script ran longer than {secs:g} s and was stopped",
            f"The script was still running after {secs:g} seconds, so the tutor stopped it. "
            "Look for a loop that never ends, or train on fewer examples or epochs; "
            "`--timeout S` gives it longer.",
        )
    if reason == "memory":
        mb = spec.get("memory_mb", 4096)
        return events.error(
            "memory",
            f"the script used more than {mb} MB of memory and was stopped",
            f"The script grew past the {mb} MB memory limit (its processes and the files "
            "it keeps in /tmp and /dev/shm together). Use a smaller batch, a smaller model "
            "or fewer examples at once; `--memory MB` raises the limit.",
        )
    if reason == "disk":
        mb = spec.get("disk_mb", 512)
        return events.error(
            "sandbox",
            f"the script wrote more than {mb} MB of files and was stopped",
            f"The script's files grew past the {mb} MB limit for its folder. Save fewer or "
            "smaller files (one checkpoint, not one per step); `--disk MB` raises the limit.",
        )
    if reason == "processes":
        n = spec.get("max_procs", 64)
        return events.error(
            "sandbox",
            f"the script started more than {n} processes and was stopped",
            f"The script kept creating processes (more than {n}), so the sandbox "
            "stopped all of them. A training script needs none: remove the os.fork or "
            "subprocess calls, or set DataLoader num_workers=0.",
        )
    if reason == "output-limit":
        limit = int(spec.get("output_limit", 2_000_000))
        return events.error(
            "output-limit",
            f"the script printed more than {limit // 1000} kB",
            "The script printed so much that the tutor stopped it. Print a summary "
            "per epoch instead of a line per example.",
        )
    return events.error("cancelled", "stopped on request", "The run was stopped.")


def ended_error(code: int | None, sig: int | None) -> Error | None:
    """The error for a job that ended by a signal or a failing status it did not explain."""
    if sig:
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = f"signal {sig}"
        why = {
            "SIGSEGV": "it touched memory it does not own (a segmentation fault), "
            "usually a bug in native code called through ctypes or an extension",
            "SIGKILL": "it was killed, perhaps by itself or by a process it signalled",
            "SIGABRT": "native code aborted",
        }.get(name, "it received a signal it did not handle")
        return events.error(
            "crash",
            f"the script crashed: {name} (signal {sig})",
            f"The Python process running your script died: {why}. The tutor is fine; "
            "read the output above for the last thing it did.",
        )
    if code not in (0, None):
        return events.error(
            "crash",
            f"the script's process ended with status {code}",
            "The process running your script ended abruptly (os._exit or a native "
            "library). The output above shows how far it got.",
        )
    return None
