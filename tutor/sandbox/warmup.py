"""What the sandbox worker does once, before any job: warm imports, and the referee's fork.

Every job is forked from the worker, so what the worker imported here each job has
already; the referee is forked now too, with torch warm, and before any job exists.
"""

from __future__ import annotations

import os

from tutor import events
from tutor.sandbox import keeper as keeping
from tutor.sandbox.jobenv import LEAN_ENV


def preload(with_torch: bool) -> events.Ready:
    """Import what learner scripts use, once, so each forked job starts warm.

    A one-shot worker (LEAN_ENV set) imports only torch: its single job imports the rest
    itself if it needs it, and pays for nothing it does not use."""
    ready = events.Ready(level="", pid=os.getpid())
    if not with_torch:
        return ready
    # Ask NVML, not the CUDA driver: initialising CUDA here would break it in forked jobs.
    os.environ.setdefault("PYTORCH_NVML_BASED_CUDA_CHECK", "1")
    import torch as _torch
    import torch.nn  # noqa: F401
    import torch.nn.functional  # noqa: F401
    import torch.utils.data  # noqa: F401

    lean = os.environ.get(LEAN_ENV) == "1"
    for name in (
        ()
        if lean
        else (
            "tutor.sandbox.trace",
            "tutor.sandbox.explain",
            "numpy",
            "pandas",
            "sklearn.model_selection",
            "sklearn.metrics",
            "plotext",
        )
    ):
        try:
            __import__(name)
        except ImportError:
            pass
    import tutor.sandbox.job  # noqa: F401

    # The first optimiser pulls in torch's lazy modules (about 1.7 s): pay that once here.
    probe = _torch.nn.Linear(1, 1)
    for make in () if lean else (_torch.optim.SGD, _torch.optim.Adam):
        make(probe.parameters(), lr=0.1).step()
    cuda, devices = False, 0
    try:
        cuda = bool(_torch.cuda.is_available())
        devices = int(_torch.cuda.device_count()) if cuda else 0
    except Exception:  # a broken driver is the same as none, for our purposes
        cuda = False
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
