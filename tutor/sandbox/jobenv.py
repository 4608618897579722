"""What a job starts with: its environment, its mounts, its descriptors, its powers.

The worker's keeper calls `make_job_space` before forking a job: new user, process,
network, IPC and mount namespaces, and in the mount namespace a fresh /tmp and /dev/shm
(tmpfs, counted toward the job's memory by the keeper's `space_usage` reports), a tmpfs
job folder capped at the `--disk` size, and the learner's home and tutor folder hidden.
All of it vanishes with the job's processes: nothing it writes lands on disk.

The job calls `confine` once it has its spec, before any learner code: the tmpfs sizes
are set, the environment is replaced by a short allowlist, every descriptor but its own
is closed, it drops to nice >= 0 and loses every capability, and the seccomp filter goes
on. No textual, no torch.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import resource
from pathlib import Path
from typing import Any

CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_REMOUNT = 32
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18

PR_SET_DUMPABLE = 4
PR_CAPBSET_DROP = 24
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4

SHARED_MEMORY = ("/tmp", "/dev/shm")
JOBS = "jobs"
DEFAULT_DISK_MB = 512

_libc = ctypes.CDLL(None, use_errno=True)

# The only variables a job sees from the tutor's environment (never a token or a path
# into the learner's files); everything else is set here.
LEAN_ENV = "CNN_TUTOR_LEAN_WORKER"  # "1": a one-shot worker (cold `check`, `run`)

PASSED_THROUGH = (
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TZ",
    "CUDA_VISIBLE_DEVICES",
    "NVIDIA_VISIBLE_DEVICES",
    "CUDA_DEVICE_ORDER",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "PYTORCH_NVML_BASED_CUDA_CHECK",
    "LD_LIBRARY_PATH",  # where a machine's CUDA libraries are found
    "CUDA_HOME",
)
SAFE_PATH = "/usr/local/bin:/usr/bin:/bin"


def worker_environment(source: dict[str, str], pythonpath: str) -> dict[str, str]:
    """The worker's own environment: the allowlist, and what it needs to import the tutor."""
    env = {k: source[k] for k in PASSED_THROUGH if k in source}
    env["PATH"] = SAFE_PATH
    env["PYTHONPATH"] = pythonpath
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    if source.get(LEAN_ENV) == "1":
        env[LEAN_ENV] = "1"
    env.setdefault("LANG", "C.UTF-8")
    return env


def job_environment(source: dict[str, str] | os._Environ[str], folder: str) -> dict[str, str]:
    """The job's environment: the allowlist, its own home and /tmp, a headless plot backend."""
    env = {k: source[k] for k in PASSED_THROUGH if k in source}
    env.update(
        PATH=SAFE_PATH,
        HOME=folder,
        TMPDIR="/tmp",
        PYTHONUNBUFFERED="1",
        PYTHONDONTWRITEBYTECODE="1",
        MPLBACKEND="Agg",
        TERM="dumb",
        NO_COLOR="1",
    )
    env.setdefault("LANG", "C.UTF-8")
    return env


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str = "") -> None:
    _check(
        _libc.mount(
            source.encode() if source else None,
            target.encode(),
            fstype.encode() if fstype else None,
            flags,
            data.encode() if data else None,
        ),
        f"mount {target}",
    )


def _under(path: str, folder: str) -> bool:
    folder = folder.rstrip("/") or "/"
    return path == folder or path.startswith(folder + "/")


_MOUNT_FLAGS = {
    "ro": MS_RDONLY,
    "nosuid": MS_NOSUID,
    "nodev": MS_NODEV,
    "noexec": 8,
    "noatime": 1024,
    "nodiratime": 2048,
    "relatime": 1 << 21,
    "strictatime": 1 << 24,
}


def _mounts() -> list[tuple[str, int]]:
    """Every mount point of this namespace with its per-mount flags, from mountinfo."""
    found = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        fields = line.split()
        if len(fields) < 6:
            continue
        point = fields[4].encode().decode("unicode_escape").encode("latin-1").decode()
        flags = 0
        for option in fields[5].split(","):
            flags |= _MOUNT_FLAGS.get(option, 0)
        found.append((point, flags))
    return found


def read_only_system() -> None:
    """Make every mount read-only (devices apart): only the job's own mounts stay writable.

    Without bubblewrap this is what keeps a job from writing the system's and the user's
    files (a tutor run as root maps the job to root, who owns most of them).
    """
    for point, flags in _mounts():
        if _under(point, "/dev") or flags & MS_RDONLY:
            continue
        with contextlib.suppress(OSError):
            _mount(None, point, None, MS_REMOUNT | MS_BIND | MS_RDONLY | flags)


def make_job_space(root: str, hide: list[str], keep: list[str]) -> bool:
    """In the keeper: namespaces and the job's private mounts. False if the kernel refuses
    the namespaces; OSError if it gives them but refuses a mount.

    `root` is the worker's root folder (its `data/` is bound back read-only, `jobs/` gets a
    tmpfs), `hide` the folders to cover (besides /tmp and /dev/shm), `keep` the folders
    under those that must stay readable (the Python installation).
    """
    uid, gid = os.getuid(), os.getgid()
    _libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)  # after a setuid, /proc/self is not ours
    flags = CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWNS
    if _libc.unshare(flags) != 0:
        return False
    Path("/proc/self/setgroups").write_text("deny")
    Path("/proc/self/uid_map").write_text(f"{uid} {uid} 1")
    Path("/proc/self/gid_map").write_text(f"{gid} {gid} 1")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    read_only_system()
    covered = list(SHARED_MEMORY) + [h for h in hide if os.path.isdir(h)]
    covered = [r for r in (os.path.realpath(c) for c in covered) if r != "/"]
    data = os.path.join(root, "data")
    wanted = [p for p in [*keep, data] if any(_under(p, c) and p != c for c in covered)]
    held = {p: os.open(p, os.O_PATH | os.O_DIRECTORY) for p in wanted if os.path.isdir(p)}
    for folder in sorted(set(covered), key=len):
        if not os.path.isdir(folder):
            continue
        options = "mode=1777,size=16m" if folder in SHARED_MEMORY else "mode=0755,size=64k"
        _mount("tmpfs", folder, "tmpfs", MS_NOSUID | MS_NODEV, options)
    for path, fd in sorted(held.items()):
        os.makedirs(path, mode=0o755, exist_ok=True)
        _mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
        with contextlib.suppress(OSError):
            _mount(None, path, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID)
        os.close(fd)
    for folder in covered:
        if folder not in SHARED_MEMORY and os.path.isdir(folder):
            with contextlib.suppress(OSError):
                _mount(None, folder, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    jobs = os.path.join(root, JOBS)
    os.makedirs(jobs, mode=0o700, exist_ok=True)
    _mount("tmpfs", jobs, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700,size=16m")
    return True


def space_usage() -> int:
    """Bytes held in this mount namespace's /tmp and /dev/shm (the keeper reports them)."""
    used = 0
    for folder in SHARED_MEMORY:
        try:
            st = os.statvfs(folder)
        except OSError:
            continue
        used += (st.f_blocks - st.f_bfree) * st.f_frsize
    return used


def folder_size(folder: Path, limit: int) -> int:
    """Bytes in files under `folder`, counting stops past `limit` (a polled --disk cap)."""
    total = 0
    stack = [str(folder)]
    while stack and total <= limit:
        try:
            with os.scandir(stack.pop()) as entries:
                for entry in entries:
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            stack.append(entry.path)
                        elif entry.is_file(follow_symlinks=False):
                            total += entry.stat(follow_symlinks=False).st_blocks * 512
                    except OSError:
                        continue
        except OSError:
            continue
    return total


def own_proc() -> None:
    """In the job, before its spec comes: the job is process 1 of its own process
    namespace, and a /proc of its own shows no other process (read-only: no kernel
    settings either). Where the kernel refuses (inside bubblewrap), bubblewrap's /proc
    already shows only the sandbox."""
    with contextlib.suppress(OSError):
        _mount("proc", "/proc", "proc", MS_RDONLY | MS_NOSUID | MS_NODEV | 8)


def prepare_folder(spec: dict[str, Any], space: bool) -> None:
    """In the job, in its private mounts: the sizes asked for, its folder, its data file."""
    folder = spec["folder"]
    if space:
        memory = max(1, int(spec.get("memory_mb", 4096)))
        disk = max(1, int(spec.get("disk_mb", DEFAULT_DISK_MB)))
        for path in SHARED_MEMORY:
            _mount(None, path, None, MS_REMOUNT | MS_NOSUID | MS_NODEV, f"size={memory}m")
        jobs = os.path.dirname(folder)
        _mount(None, jobs, None, MS_REMOUNT | MS_NOSUID | MS_NODEV, f"size={disk}m")
        os.makedirs(folder, mode=0o700, exist_ok=True)
        if spec.get("data_path") and not os.path.lexists(os.path.join(folder, "mnist_small.csv")):
            os.symlink(spec["data_path"], os.path.join(folder, "mnist_small.csv"))


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    ]


def drop_capabilities() -> None:
    """Give up every capability, now and for anything this process starts."""
    for cap in range(64):
        if _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and ctypes.get_errno() == errno.EINVAL:
            break
    _libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    header = _CapHeader(0x20080522, 0)
    data = (_CapData * 2)()
    _check(_libc.capset(ctypes.byref(header), data), "capset")


def capabilities() -> int:
    """The effective capability set of this process (for tests and reports)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("CapEff:"):
            return int(line.split()[1], 16)
    return 0


CHALLENGE_FD = 4


def only_descriptors(keep_fd: int, also: int | None = None) -> int:
    """Close every descriptor but 0-2, `keep_fd`, which becomes 3, and `also` (the job's
    end of the challenge socket, when it has one), which becomes 4; return 3."""
    # Both first above any number they could land on, so neither overwrites the other.
    floor = max(keep_fd, also if also is not None else 0, 4) + 1
    kept = fcntl.fcntl(keep_fd, fcntl.F_DUPFD, floor)
    other = fcntl.fcntl(also, fcntl.F_DUPFD, floor) if also is not None else None
    os.dup2(kept, 3)
    if other is not None:
        os.dup2(other, 4)
    os.closerange(4 if other is None else 5, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
    return 3


def gpu_job(spec: dict[str, Any]) -> bool:
    """Whether the job may use a GPU: not asked for the CPU, on a machine with NVIDIA devices."""
    return spec.get("device", "auto") != "cpu" and os.path.exists("/dev/nvidiactl")


def confine(spec: dict[str, Any], event_fd: int, *, space: bool) -> int:
    """Everything between the job's spec arriving and the learner's first line.

    Returns the event channel's descriptor (the only one left besides 0-2, and a check's
    challenge socket, CHALLENGE_FD, named in the spec's `challenge_fd`). Raises
    OSError when a step that must succeed fails: the job is then not run.
    """
    prepare_folder(spec, space)
    with contextlib.suppress(OSError):
        if os.getpriority(os.PRIO_PROCESS, 0) < 0:
            os.setpriority(os.PRIO_PROCESS, 0, 0)
    env = job_environment(os.environ, spec["folder"])
    if not space:  # /tmp is the machine's: keep the job's temporary files in its folder
        tmp = os.path.join(spec["folder"], ".tmp")
        os.makedirs(tmp, mode=0o700, exist_ok=True)
        env["TMPDIR"] = tmp
    os.environ.clear()
    os.environ.update(env)
    # A check's probe keeps one more: its end of the challenge socket, as descriptor 4
    # (the seed comes in on it, the evidence goes out). A plain run keeps none.
    challenge = spec.get("challenge_fd")
    keep_challenge = bool(spec.get("probe_source")) and isinstance(challenge, int)
    event_fd = only_descriptors(event_fd, challenge if keep_challenge else None)
    spec["challenge_fd"] = CHALLENGE_FD if keep_challenge else None
    drop_capabilities()
    if spec.get("seccomp", True):
        from tutor.sandbox import seccomp

        try:
            seccomp.install(allow_memfd=gpu_job(spec))
        except OSError as exc:
            if exc.errno != errno.ENOSYS:  # an architecture with no filter is reported, not fatal
                raise
            spec["seccomp_note"] = str(exc)
    return event_fd
