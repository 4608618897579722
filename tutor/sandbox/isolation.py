"""How the sandbox worker is started: bubblewrap where present, weaker isolation where not.

Three levels, strongest first:

- ``bubblewrap``: the worker runs under bwrap with a read-only view of the system and the
  Python environment, a private /tmp, no network, the learner's home hidden, and only the
  job's own folder writable. Each job also gets its own process and network namespace.
- ``namespaces``: no bwrap, but each job gets private process, user and network namespaces
  (no network, and a fork bomb dies with the job); files are not protected.
- ``limits``: only time, memory, process-count and output limits.

No textual, no torch.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

LEVELS = ("bubblewrap", "namespaces", "limits")
LEVEL_ENV = "CNN_TUTOR_ISOLATION"
INSIDE_ROOT = "/tmp/cnn-tutor"

NOTES = {
    "bubblewrap": "full isolation (bubblewrap): read-only system, private /tmp, no network, "
    "your home hidden, only the job folder writable",
    "namespaces": "partial isolation: no network, a private process space, a read-only "
    "system and your home hidden, but no bubblewrap layer around the worker; install "
    "bubblewrap for full isolation (apt install bubblewrap)",
    "limits": "WEAK isolation: your files are NOT protected and the network is open; only "
    "time, memory, disk, process and output limits hold; install bubblewrap for full "
    "isolation (apt install bubblewrap)",
}


@dataclass(frozen=True)
class WorkerLaunch:
    """The command line that starts a worker, and where the job root appears inside it."""

    argv: list[str]
    level: str
    inside_root: str


def wanted_levels(requested: str | None = None) -> list[str]:
    """The levels to try, strongest first, capped by a request or $CNN_TUTOR_ISOLATION."""
    choice = (requested or os.environ.get(LEVEL_ENV) or "auto").strip().lower()
    if choice in ("", "auto"):
        start = 0
    elif choice in LEVELS:
        start = LEVELS.index(choice)
    else:
        names = ", ".join(("auto",) + LEVELS)
        raise ValueError(f"{LEVEL_ENV}={choice!r} is not a sandbox level; use one of {names}")
    levels = list(LEVELS[start:])
    if "bubblewrap" in levels and not shutil.which("bwrap"):
        levels.remove("bubblewrap")
    return levels


def python_paths() -> list[str]:
    """Folders the worker's Python needs to see: the interpreter, its stdlib and packages."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    paths.add(str(Path(sys.executable).resolve().parent.parent))
    paths.add(str(Path(__file__).resolve().parents[2]))  # where the tutor package lives
    here = os.getcwd()
    for entry in sys.path:
        # Installed code only: the folder a command was started from is no Python path.
        if entry and os.path.isabs(entry) and os.path.isdir(entry) and entry != here:
            paths.add(entry)
    real = {os.path.realpath(p) for p in paths} | paths
    # A script's own folder on sys.path can be /tmp or a home: binding that whole folder
    # back would undo the hiding (and a job's fresh /tmp); its Python parts are here anyway.
    broad = {"/", "/tmp", tempfile.gettempdir(), os.path.expanduser("~")}
    real -= {os.path.realpath(b) for b in broad} | broad
    # Keep only outermost folders: a bind of a parent already shows its children.
    ordered = sorted(p for p in real if os.path.isdir(p))
    kept: list[str] = []
    for path in ordered:
        if not any(path == k or path.startswith(k.rstrip("/") + "/") for k in kept):
            kept.append(path)
    return kept


def _closed_ancestors(paths: list[str]) -> list[str]:
    """Folders on the way to `paths` that other users cannot enter (like a 0700 /root).

    Jobs run as `nobody`; each such folder is replaced by an empty one in the sandbox and
    the Python folders inside it are bound back, readable.
    """
    closed = []
    for path in paths:
        for parent in reversed(Path(path).parents):
            try:
                if not os.stat(parent).st_mode & 0o001:
                    closed.append(str(parent))
                    break
            except OSError:
                break
    return sorted(set(closed))


def _is_under(path: str, folder: str) -> bool:
    folder = folder.rstrip("/") or "/"
    return path == folder or path.startswith(folder + "/")


def bwrap_argv(job_root: Path, hide: list[str]) -> list[str]:
    """The bwrap prefix: read-only system, private /tmp, hidden homes, the job root writable."""
    argv = [
        "bwrap",
        "--ro-bind",
        "/",
        "/",
        "--dev",
        "/dev",
        "--proc",
        "/proc",
        "--perms",
        "1777",
        "--tmpfs",
        "/tmp",
        "--perms",
        "1777",
        "--tmpfs",
        "/dev/shm",
        "--die-with-parent",
        "--new-session",
    ]
    argv += ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts"]
    if os.getuid() == 0:
        # As root, the worker keeps just enough power to run each job as `nobody`, where
        # the kernel's per-user process limit applies (it never applies to root). That
        # needs the real user ids, so root's sandbox gets no user namespace of its own.
        for cap in ("CAP_SETUID", "CAP_SETGID", "CAP_SYS_NICE"):
            argv += ["--cap-add", cap]
    else:
        argv += ["--unshare-user"]
    for dev in sorted(Path("/dev").glob("nvidia*")):
        argv += ["--dev-bind", str(dev), str(dev)]
    hidden = ["/tmp"]
    # Outer folders first: a tmpfs over a folder put after one over a folder inside it
    # would cover that one, and its remount would then fail (bubblewrap would not start).
    reals = {os.path.realpath(folder) for folder in hide + _closed_ancestors(python_paths())}
    for real in sorted(reals, key=lambda path: (path.count("/"), path)):
        if os.path.isdir(real) and real not in ("/",) and real not in hidden:
            argv += ["--tmpfs", real]
            hidden.append(real)
    made: set[str] = set()
    rebound: list[str] = []
    for path in python_paths():
        owner = next((h for h in hidden if _is_under(path, h)), None)
        if owner is None or path == owner:
            continue  # visible already, or a hidden folder itself (a script run from /tmp)
        # Make the folders on the way readable by anyone: the job may run as `nobody`.
        for parent in reversed(Path(path).parents):
            folder = str(parent)
            if _is_under(folder, owner) and folder != owner and folder not in made:
                argv += ["--perms", "0755", "--dir", folder]
                made.add(folder)
        argv += ["--ro-bind", path, path]
        rebound.append(path)
    for folder in hidden[1:]:
        # A hidden folder inside a Python folder bound back (an installed package's
        # exercises, in a virtual environment under the home) is hidden again on top.
        if any(_is_under(folder, path) and folder != path for path in rebound):
            argv += ["--tmpfs", folder]
        argv += ["--remount-ro", folder]
    # The job root lives in bwrap's own /tmp (and each job's folder in a tmpfs of its own):
    # nothing a job writes reaches the disk, and it all goes when the worker does. Only the
    # prepared data comes from the tutor's root folder, which stays closed to others (0700).
    argv += [
        "--perms",
        "0755",
        "--dir",
        INSIDE_ROOT,
        "--ro-bind",
        str(job_root / "data"),
        f"{INSIDE_ROOT}/data",
        "--chdir",
        INSIDE_ROOT,
        "--setenv",
        "HOME",
        INSIDE_ROOT,
        "--setenv",
        "TMPDIR",
        "/tmp",
        "--",
    ]
    return argv


def worker_launch(level: str, job_root: Path, *, torch: bool, hide: list[str]) -> WorkerLaunch:
    """The command that starts a worker at `level`, with `job_root` as its writable folder."""
    worker = [sys.executable, "-m", "tutor.sandbox.worker", "--level", level]
    if torch:
        worker.append("--torch")
    if level == "bubblewrap":
        argv = bwrap_argv(job_root, hide) + worker + ["--root", INSIDE_ROOT]
        return WorkerLaunch(argv, level, INSIDE_ROOT)
    for folder in hide:  # no bwrap: each job's keeper covers them in its own mounts
        worker.append(f"--hide={os.path.realpath(folder)}")
    return WorkerLaunch(worker + ["--root", str(job_root)], level, str(job_root))
