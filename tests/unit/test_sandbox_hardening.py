"""The pieces of sandbox hardening that need no sandbox: the seccomp program, the job's
environment, terminal text, limits on the command line, stale roots, pathological code."""

from __future__ import annotations

import errno
import fcntl
import io
import os
import struct
import time
from pathlib import Path

import pytest

from tutor.__main__ import build_parser
from tutor.commands.check import job_limits
from tutor.course import syntax_error, unreadable
from tutor.sandbox import seccomp
from tutor.sandbox.job import explain_error
from tutor.sandbox.jobenv import job_environment, worker_environment
from tutor.sandbox.roots import LOCK_NAME, ROOT_PREFIX, remove_stale_roots
from tutor.terminal import plain, use_colour, visible


def rows(program: bytes) -> list[tuple[int, int, int, int]]:
    return [struct.unpack("<HBBI", program[i : i + 8]) for i in range(0, len(program), 8)]


@pytest.mark.parametrize("machine", ["x86_64", "aarch64"])
def test_the_filter_first_checks_the_architecture(machine: str) -> None:
    code = rows(seccomp.program(machine))
    assert code[0] == (0x20, 0, 0, 4)  # load seccomp_data.arch
    assert code[1][0] == 0x15 and code[1][3] == seccomp.ARCHES[machine].audit
    # on a mismatch it jumps to the instruction that kills the process
    target = code[2 + code[1][2]]
    assert target == (0x06, 0, 0, seccomp.RET_KILL_PROCESS)
    assert code[-1] == target and len(code) < 255


@pytest.mark.parametrize("allow_memfd", [False, True])
def test_the_filter_built_ahead_is_byte_for_byte_a_fresh_one(allow_memfd: bool) -> None:
    """The worker builds both filters once (seccomp.prepare) and each job installs a
    kept copy: it must be exactly what building it anew gives."""
    seccomp.prepare()
    kept = seccomp.program(allow_memfd=allow_memfd)
    assert kept == seccomp.program.__wrapped__(allow_memfd=allow_memfd)
    assert kept != seccomp.program.__wrapped__(allow_memfd=not allow_memfd)


def test_each_architecture_has_every_refused_call() -> None:
    for arch in seccomp.ARCHES.values():
        assert set(seccomp._DENY) | {"socket", "socketpair", "clone"} <= set(arch.calls)
    assert seccomp.ARCHES["x86_64"].calls["ptrace"] == 101
    assert seccomp.ARCHES["aarch64"].calls["ptrace"] == 117


def test_an_unknown_architecture_is_said_not_guessed() -> None:
    with pytest.raises(OSError) as caught:
        seccomp.program("riscv64")
    assert caught.value.errno == errno.ENOSYS


def test_the_job_environment_is_an_allowlist() -> None:
    tutor_env = {"PATH": "/home/me/bin:/usr/bin", "GITHUB_TOKEN": "t", "LANG": "de_DE.UTF-8"}
    tutor_env["CNN_TUTOR_HOME"] = "/home/me/tutor"
    env = job_environment(tutor_env, "/tmp/cnn-tutor/jobs/1")
    assert "GITHUB_TOKEN" not in env and "CNN_TUTOR_HOME" not in env
    assert env["HOME"] == "/tmp/cnn-tutor/jobs/1" and env["LANG"] == "de_DE.UTF-8"
    assert "/home/me" not in env["PATH"]
    worker = worker_environment(tutor_env, "/opt/tutor")
    assert "GITHUB_TOKEN" not in worker and worker["PYTHONPATH"] == "/opt/tutor"


def test_control_characters_are_shown_not_obeyed() -> None:
    assert visible("\x1b[31mred\x1b[0m\a\r\x00") == "␛[31mred␛[0m␇␍␀"
    assert visible("tab\tand\nnewline stay") == "tab\tand\nnewline stay"
    assert visible("\x9b2J") == "\\x9b2J"
    assert plain("\x1b[38;5;12mchart\x1b[0m") == "chart"


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_only_on_a_terminal_and_never_with_no_color(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    assert use_colour(_Tty()) and not use_colour(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_colour(_Tty())


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "-1", "0", "1e400", "x"])
@pytest.mark.parametrize("option", ["--timeout", "--memory", "--disk"])
def test_limits_refuse_what_is_not_a_finite_positive_number(
    option: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stop:
        build_parser().parse_args(["run", "a.py", f"{option}={value}"])
    assert stop.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and option in err[0] and "e.g." in err[0]


def test_limits_take_sensible_numbers() -> None:
    args = build_parser().parse_args(["check", "1", "--timeout", "2.5", "--disk", "64"])
    assert args.timeout == 2.5 and args.disk == 64
    assert job_limits(args) == {"timeout_s": 2.5, "disk_mb": 64.0}  # --memory not given


def test_a_chain_too_long_for_python_is_one_line() -> None:
    chain = "a = " + " + ".join(["1"] * 200_000)
    problem = unreadable(chain, "answer.py")
    assert problem and "too deeply" in problem and "\n" not in problem
    assert syntax_error(chain, "answer.py") == problem
    assert unreadable("a = (", "answer.py") is None  # an ordinary syntax error is not this
    assert syntax_error("a = 1\x00", "answer.py")


def test_a_refused_file_is_named_not_blamed_on_the_data_file() -> None:
    exc = PermissionError(errno.EACCES, "Permission denied", "/dev/shm/torch_123")
    explained = explain_error(exc, None, "", "main.py")
    assert "/dev/shm/torch_123" in explained.explanation
    assert "home" not in explained.explanation


def test_stale_roots_go_and_locked_ones_stay(tmp_path: Path) -> None:
    stale = tmp_path / f"{ROOT_PREFIX}old"
    stale.mkdir()
    (stale / LOCK_NAME).touch()
    live = tmp_path / f"{ROOT_PREFIX}live"
    live.mkdir()
    lock = os.open(live / LOCK_NAME, os.O_RDWR | os.O_CREAT)
    fcntl.flock(lock, fcntl.LOCK_EX)
    starting = tmp_path / f"{ROOT_PREFIX}starting"  # no lock yet: another tutor's start
    starting.mkdir()
    ancient = tmp_path / f"{ROOT_PREFIX}ancient"  # no lock, from long ago
    ancient.mkdir()
    old = time.time() - 3 * 24 * 3600
    os.utime(ancient, (old, old))
    try:
        removed = remove_stale_roots(str(tmp_path))
        assert sorted(removed) == sorted([stale, ancient])
        assert live.exists() and starting.exists()
    finally:
        os.close(lock)


def _memfd_after_filter(allow_memfd: bool) -> int:
    """Fork, filter the child, try memfd_create there; the child's exit code says what happened."""
    import os

    pid = os.fork()
    if pid == 0:
        code = 3
        try:
            seccomp.install(allow_memfd=allow_memfd)
            os.close(os.memfd_create("probe"))
            code = 0
        except PermissionError:
            code = 1
        finally:
            os._exit(code)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def test_memfd_is_refused_except_for_gpu_jobs() -> None:
    assert _memfd_after_filter(allow_memfd=False) == 1
    assert _memfd_after_filter(allow_memfd=True) == 0


def test_a_learner_folder_that_cannot_be_resolved_is_still_hidden(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tutor.paths import HOME_ENV
    from tutor.sandbox.roots import default_hidden

    loop = tmp_path / "loop"
    loop.symlink_to(loop)  # resolving it raises: a loop of links
    monkeypatch.setenv(HOME_ENV, str(loop / "tutor"))
    assert str(loop / "tutor") in default_hidden()
