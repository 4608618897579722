"""What the sandbox worker does before its jobs: warm imports, and the referee's fork.

Every job is forked from the worker, so what the worker imported here each job has
already; the referee is forked now too, with torch warm, and before any job exists.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

from tutor import events
from tutor.sandbox import keeper as keeping
from tutor.sandbox.jobenv import LEAN_ENV

# What learner scripts use beyond torch's core, by need, as steps the worker takes one at a
# time while idle (see Worker.want). Each step is one ordinary import (or, for "optim", the
# first optimiser steps), split where a library splits cleanly so that no step holds a
# job back long: the longest, torch._dynamo, is under a second.
WARM_GROUPS: dict[str, tuple[str, ...]] = {
    # The first optimiser step pulls in torch's lazy modules (torch._dynamo, sympy).
    "train": ("sympy", "torch.distributed.tensor", "torch._dynamo", "optim"),
    # Lesson 8's tools, and what a playground script reads data with.
    "data": (
        "pandas",
        "scipy.sparse",
        "scipy.special",
        "scipy.stats",
        "sklearn.utils",
        "sklearn.model_selection",
        "sklearn.metrics",
        "plotext",
    ),
}


ALL_WARM = tuple(WARM_GROUPS)  # what the playground wants: any script may use any of it


def warm_steps(groups: list[str]) -> list[str]:
    """The steps of `groups`, in order, each once (unknown groups are ignored)."""
    steps: list[str] = []
    for group in groups:
        steps += [s for s in WARM_GROUPS.get(group, ()) if s not in steps]
    return steps


def warm_step(step: str) -> None:
    """Take one warm-up step; a library that is missing or broken is the job's to meet."""
    try:
        if step == "optim":
            import torch

            probe = torch.nn.Linear(1, 1)
            for make in (torch.optim.SGD, torch.optim.Adam):
                make(probe.parameters(), lr=0.1).step()
        else:
            importlib.import_module(step)
    except Exception:
        pass


class Warming:
    """The warm-up steps a worker still has to take while idle (see Worker.serve)."""

    def __init__(self, *, lean: bool) -> None:
        # Lean: no torch to build on, or one job that imports what it needs itself.
        self.lean = lean
        self.todo: list[str] = []
        self.done: list[str] = []

    def __bool__(self) -> bool:
        return bool(self.todo)

    def want(self, groups: list[str]) -> None:
        """Import what `groups` need while no job runs, a step at a time: a job that
        arrives waits at most for the step in progress. Groups asked for later replace
        what was still to do; what is imported stays."""
        if not self.lean:
            self.todo = [step for step in warm_steps(groups) if step not in self.done]

    def step(self) -> bool:
        """Take the next step; True once it was the last."""
        step = self.todo.pop(0)
        warm_step(step)
        self.done.append(step)
        if self.todo:
            return False
        import gc

        gc.collect()
        gc.freeze()  # forked jobs then share these objects' pages
        return True


def start_up(
    root: Path, level: str, torch: bool, hide: list[str], referee: str
) -> tuple[events.Ready, bool, tuple[list[str], list[str]] | None]:
    """Import torch's core, fork the referee, and find what this machine allows: the
    ready event, whether namespaces work, and (hidden, kept) when each job can have
    private mounts (see jobenv.make_job_space)."""
    # What this machine allows is tried in small children, beside the torch import.
    tries: tuple[int, int] | None = None
    keep: list[str] = []
    if level != "limits":
        from tutor.sandbox.isolation import python_paths

        keep = python_paths()
        tries = (keeping.try_namespaces(), keeping.try_space(root, hide, keep, level))
    ready = preload(torch)
    start_referee(referee, ready.torch is not None)
    namespaces = tries is not None and keeping.passed(tries[0])
    space_works = tries is not None and keeping.passed(tries[1])
    ready = events.Ready(
        level=level if namespaces or level == "bubblewrap" else "limits",
        pid=ready.pid,
        torch=ready.torch,
        cuda=ready.cuda,
        cuda_devices=ready.cuda_devices,
        private_mounts=namespaces and space_works,
    )
    return ready, namespaces, (hide, keep) if ready.private_mounts else None


def preload(with_torch: bool) -> events.Ready:
    """Import torch's core once, so each forked job starts warm; the rest comes later.

    What most scripts need is imported here, before the worker says it is ready; what
    some need (WARM_GROUPS) is imported while the worker is idle. A one-shot worker
    (LEAN_ENV set) imports only torch: its single job imports the rest itself if it needs
    it, and pays for nothing it does not use."""
    from tutor.sandbox import seccomp

    seccomp.prepare()
    ready = events.Ready(level="", pid=os.getpid())
    if not with_torch:
        return ready
    # Ask NVML, not the CUDA driver: initialising CUDA here would break it in forked jobs.
    os.environ.setdefault("PYTORCH_NVML_BASED_CUDA_CHECK", "1")
    import encodings.unicode_escape  # noqa: F401  (every job's tracebacks and output use it)

    import torch as _torch
    import torch.nn  # noqa: F401
    import torch.nn.functional  # noqa: F401
    import torch.utils.data  # noqa: F401

    lean = os.environ.get(LEAN_ENV) == "1"
    if not lean:
        import tutor.sandbox.explain  # noqa: F401
        import tutor.sandbox.report  # noqa: F401
        import tutor.sandbox.trace  # noqa: F401
    import tutor.sandbox.job  # noqa: F401

    cuda, devices = False, 0
    try:
        cuda = bool(_torch.cuda.is_available())
        devices = int(_torch.cuda.device_count()) if cuda else 0
    except Exception:  # a broken driver is the same as none, for our purposes
        cuda = False
    if not lean:
        import gc

        gc.freeze()  # forked jobs then never touch these objects' pages, so fewer copies
    return events.Ready(
        level="", pid=os.getpid(), torch=_torch.__version__, cuda=cuda, cuda_devices=devices
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
            keeping.die_with_parent()
            devnull = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):  # the worker's pipes to the tutor are not the referee's
                os.dup2(devnull, fd)
            from tutor.checks.referee import serve

            serve(requests, answers)
        finally:
            os._exit(0)
    os.close(requests)
    os.close(answers)
