"""A seccomp filter for learner jobs, assembled here as classic BPF (x86_64 and aarch64).

Installed by the job on itself just before the learner's code runs (with no_new_privs, so
no privilege is needed, at every isolation level). It refuses what a training script never
needs and a hostile one would use to reach past the sandbox:

- sockets other than Unix, IPv4/IPv6 (non-raw) and netlink: no AF_VSOCK to the host, no
  AF_PACKET, no raw sockets;
- tracing and reading other processes: ptrace, process_vm_readv/writev;
- memory the worker's watch cannot see: memfd_create, SysV shared memory;
- making namespaces or mounts (a new user namespace would hand back capabilities);
- kernel-facing features with a history of holes: bpf, perf_event_open, userfaultfd,
  keyrings, io_uring, module and kexec loading, open_by_handle_at.

A syscall made with another architecture's convention (i386 int 0x80, x32) kills the job:
the numbers below hold only for the native one. No textual, no torch.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import platform
import struct
from dataclasses import dataclass

# seccomp_data: int nr; u32 arch; u64 instruction_pointer; u64 args[6]
_NR, _ARCH = 0, 4


def _arg(i: int) -> int:
    return 16 + 8 * i  # the low 32 bits of args[i] (both architectures are little-endian)


_LD_W_ABS = 0x20
_JEQ_K = 0x15
_JGE_K = 0x35
_JSET_K = 0x45
_AND_K = 0x54
_RET_K = 0x06

RET_KILL_PROCESS = 0x80000000
RET_ERRNO = 0x00050000
RET_ALLOW = 0x7FFF0000

AF_UNIX, AF_INET, AF_NETLINK, AF_INET6 = 1, 2, 16, 10
SOCK_RAW = 3
SOCK_TYPE_MASK = 0xF
# CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET
CLONE_NAMESPACES = 0x7E020000


@dataclass(frozen=True)
class Arch:
    audit: int
    calls: dict[str, int]
    x32_bit: bool = False


_COMMON_NEW = {"io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427}
_COMMON_NEW.update({"clone3": 435, "memfd_secret": 447, "open_tree": 428, "fsopen": 430})

ARCHES = {
    "x86_64": Arch(
        0xC000003E,
        {
            "socket": 41,
            "socketpair": 53,
            "clone": 56,
            "ptrace": 101,
            "process_vm_readv": 310,
            "process_vm_writev": 311,
            "memfd_create": 319,
            "shmget": 29,
            "unshare": 272,
            "setns": 308,
            "mount": 165,
            "umount2": 166,
            "pivot_root": 155,
            "bpf": 321,
            "perf_event_open": 298,
            "userfaultfd": 323,
            "keyctl": 250,
            "add_key": 248,
            "request_key": 249,
            "init_module": 175,
            "finit_module": 313,
            "kexec_load": 246,
            "open_by_handle_at": 304,
            **_COMMON_NEW,
        },
        x32_bit=True,
    ),
    "aarch64": Arch(
        0xC00000B7,
        {
            "socket": 198,
            "socketpair": 199,
            "clone": 220,
            "ptrace": 117,
            "process_vm_readv": 270,
            "process_vm_writev": 271,
            "memfd_create": 279,
            "shmget": 194,
            "unshare": 97,
            "setns": 268,
            "mount": 40,
            "umount2": 39,
            "pivot_root": 41,
            "bpf": 280,
            "perf_event_open": 241,
            "userfaultfd": 282,
            "keyctl": 219,
            "add_key": 217,
            "request_key": 218,
            "init_module": 105,
            "finit_module": 273,
            "kexec_load": 104,
            "open_by_handle_at": 265,
            **_COMMON_NEW,
        },
    ),
}

# Refused outright, with the errno a caller sees.
_DENY = {
    "ptrace": errno.EPERM,
    "process_vm_readv": errno.EPERM,
    "process_vm_writev": errno.EPERM,
    "memfd_create": errno.EPERM,
    "memfd_secret": errno.EPERM,
    "shmget": errno.EPERM,
    "unshare": errno.EPERM,
    "setns": errno.EPERM,
    "mount": errno.EPERM,
    "umount2": errno.EPERM,
    "pivot_root": errno.EPERM,
    "open_tree": errno.EPERM,
    "fsopen": errno.EPERM,
    "bpf": errno.EPERM,
    "perf_event_open": errno.EPERM,
    "userfaultfd": errno.EPERM,
    "keyctl": errno.EPERM,
    "add_key": errno.EPERM,
    "request_key": errno.EPERM,
    "init_module": errno.EPERM,
    "finit_module": errno.EPERM,
    "kexec_load": errno.EPERM,
    "open_by_handle_at": errno.EPERM,
    "io_uring_setup": errno.EPERM,
    "io_uring_enter": errno.EPERM,
    "io_uring_register": errno.EPERM,
    # clone3 hides its flags in memory a filter cannot read: ENOSYS makes libc use clone.
    "clone3": errno.ENOSYS,
}


class _Asm:
    """Classic BPF with symbolic jump targets."""

    def __init__(self) -> None:
        self.items: list[tuple[int, str | int, str | int, int] | str] = []

    def label(self, name: str) -> None:
        self.items.append(name)

    def op(self, code: int, k: int = 0, jt: str | int = 0, jf: str | int = 0) -> None:
        self.items.append((code, jt, jf, k))

    def build(self) -> bytes:
        where: dict[str, int] = {}
        n = 0
        for item in self.items:
            if isinstance(item, str):
                where[item] = n
            else:
                n += 1
        out = []
        i = 0
        for item in self.items:
            if isinstance(item, str):
                continue
            code, jt, jf, k = item
            offsets = []
            for target in (jt, jf):
                off = where[target] - i - 1 if isinstance(target, str) else target
                if not 0 <= off <= 255:
                    raise ValueError("seccomp filter jump out of range")
                offsets.append(off)
            out.append(struct.pack("<HBBI", code, offsets[0], offsets[1], k & 0xFFFFFFFF))
            i += 1
        return b"".join(out)


@functools.lru_cache(maxsize=8)
def program(machine: str | None = None, *, allow_memfd: bool = False) -> bytes:
    """The filter for `machine` (platform.machine() by default) as packed sock_filter rows.

    `allow_memfd` lets memfd_create through, for jobs on a GPU: the CUDA driver may need it,
    and such a job's memory is the GPU's own limit, not the worker's count.
    """
    arch = ARCHES.get(_machine(machine))
    if arch is None:
        raise OSError(errno.ENOSYS, f"no seccomp filter for {machine or platform.machine()}")
    calls = arch.calls
    a = _Asm()
    a.op(_LD_W_ABS, _ARCH)
    a.op(_JEQ_K, arch.audit, "arch_ok", "kill")
    a.label("arch_ok")
    a.op(_LD_W_ABS, _NR)
    if arch.x32_bit:
        a.op(_JSET_K, 0x40000000, "kill", 0)
    denied = [name for name in _DENY if not (allow_memfd and name == "memfd_create")]
    for name in denied:
        a.op(_JEQ_K, calls[name], f"deny_{name}", 0)
    a.op(_JEQ_K, calls["socket"], "socket", 0)
    a.op(_JEQ_K, calls["socketpair"], "socket", 0)
    a.op(_JEQ_K, calls["clone"], "clone", "allow")
    # socket(domain, type, protocol)
    a.label("socket")
    a.op(_LD_W_ABS, _arg(0))
    a.op(_JEQ_K, AF_UNIX, "allow", 0)
    a.op(_JEQ_K, AF_NETLINK, "allow", 0)
    a.op(_JEQ_K, AF_INET, "inet", 0)
    a.op(_JEQ_K, AF_INET6, "inet", "no_family")
    a.label("inet")
    a.op(_LD_W_ABS, _arg(1))
    a.op(_AND_K, SOCK_TYPE_MASK)
    a.op(_JEQ_K, SOCK_RAW, "deny_eperm", "allow")
    # clone(flags, ...): processes and threads yes, new namespaces no
    a.label("clone")
    a.op(_LD_W_ABS, _arg(0))
    a.op(_JSET_K, CLONE_NAMESPACES, "deny_eperm", "allow")
    for name in denied:
        a.label(f"deny_{name}")
        a.op(_RET_K, RET_ERRNO | _DENY[name])
    a.label("no_family")
    a.op(_RET_K, RET_ERRNO | errno.EAFNOSUPPORT)
    a.label("deny_eperm")
    a.op(_RET_K, RET_ERRNO | errno.EPERM)
    a.label("allow")
    a.op(_RET_K, RET_ALLOW)
    a.label("kill")
    a.op(_RET_K, RET_KILL_PROCESS)
    return a.build()


def _machine(machine: str | None) -> str:
    name = (machine or platform.machine()).lower()
    return {"amd64": "x86_64", "arm64": "aarch64"}.get(name, name)


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2


def install(*, allow_memfd: bool = False) -> None:
    """Put the filter on this process (and everything it starts); OSError if refused.

    The worker builds both filters before it forks any job (see `prepare`)."""
    code = program(allow_memfd=allow_memfd)
    libc = ctypes.CDLL(None, use_errno=True)
    buffer = ctypes.create_string_buffer(code, len(code))
    prog = _SockFprog(len(code) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, "no_new_privs refused")
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, "seccomp filter refused")


def prepare() -> None:
    """Build the filters once, in the worker: each job then only installs one."""
    for allow_memfd in (False, True):
        with contextlib.suppress(OSError):  # no filter for this machine: install says so
            program(allow_memfd=allow_memfd)
