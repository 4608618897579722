"""Hostile learners and hostile neighbours: what must not get into or out of a run.

Each isolation level gets one warm sandbox for the whole module (real worker, real torch,
real bubblewrap), and the command-line tests run the real `cnn-tutor` in a subprocess.
A level is skipped only when $CNN_TUTOR_ISOLATION caps it on purpose (see levels.py).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from tests.e2e.levels import require
from tutor.events import to_json
from tutor.sandbox.client import JobSpec, Sandbox
from tutor.sandbox.isolation import LEVEL_ENV
from tutor.sandbox.jobenv import PASSED_THROUGH
from tutor.sandbox.roots import LOCK_NAME, ROOT_PREFIX, remove_stale_roots

ASYNC = pytest.mark.asyncio(loop_scope="module")

ALL = ["bubblewrap", "namespaces", "limits"]
PRIVATE = ["bubblewrap", "namespaces"]  # the levels that give each job its own mounts
REPO = Path(__file__).resolve().parents[2]
SECRET = "cnn-tutor-test-secret-value"


# -- a warm sandbox per level ----------------------------------------------------------------
@pytest_asyncio.fixture(loop_scope="module", scope="module", params=ALL)
async def box(request: pytest.FixtureRequest) -> Any:
    require(request.param)
    async with Sandbox(torch=True, isolation=request.param) as sandbox:
        assert sandbox.level == request.param, sandbox.note
        yield sandbox


async def run(box: Sandbox, source: str, **options: Any) -> list[dict[str, Any]]:
    options.setdefault("data", None)
    options.setdefault("timeout_s", 60)
    return [to_json(event) async for event in box.run(JobSpec(source=source, **options))]


def output(events: list[dict[str, Any]]) -> str:
    return "".join(e["text"] for e in events if e["type"] == "stdout")


def the_error(events: list[dict[str, Any]]) -> dict[str, Any]:
    errors = [e for e in events if e["type"] == "error"]
    assert errors, f"expected an error, got {events}"
    assert events[-1]["type"] == "done" and events[-1]["status"] == "error"
    return errors[0]


def ok(events: list[dict[str, Any]]) -> str:
    assert events[-1]["type"] == "done" and events[-1]["status"] == "ok", events
    return output(events)


@ASYNC
async def test_a_run_never_sees_the_previous_runs_tmp(box: Sandbox) -> None:
    leave = (
        "import os\n"
        "open('/tmp/left-behind', 'w').write('secret answer')\n"
        "open('/dev/shm/left-behind', 'w').write('secret answer')\n"
        "open(os.path.join(os.environ['TMPDIR'], 'left-behind'), 'w').write('x')\n"
        "print('left')\n"
    )
    assert ok(await run(box, leave)) == "left\n"
    look = (
        "import os\n"
        "paths = ['/tmp/left-behind', '/dev/shm/left-behind',\n"
        "         os.path.join(os.environ['TMPDIR'], 'left-behind')]\n"
        "print([p for p in paths if os.path.exists(p)])\n"
    )
    seen = ok(await run(box, look))
    if box.level in PRIVATE:
        assert seen == "[]\n"
    else:  # limits: the machine's /tmp is shared (the README says so), the run's TMPDIR not
        import ast

        assert set(ast.literal_eval(seen)) <= {"/tmp/left-behind", "/dev/shm/left-behind"}
        for leftover in ("/tmp/left-behind", "/dev/shm/left-behind"):
            Path(leftover).unlink(missing_ok=True)


@ASYNC
async def test_tmp_and_shm_count_toward_the_memory_limit(box: Sandbox) -> None:
    if box.level not in PRIVATE:
        pytest.skip("limits level: /tmp is the machine's (the README says so)")
    fill = (
        "import time\n"
        "block = b'x' * (1 << 20)\n"
        "for path in ('/tmp/fill', '/dev/shm/fill'):\n"
        "    with open(path, 'wb') as f:\n"
        "        for _ in range(300):\n"
        "            f.write(block)\n"
        "print('filled', flush=True)\n"
        "time.sleep(60)\n"
    )
    error = the_error(await run(box, fill, memory_mb=512, timeout_s=120))
    assert error["kind"] in ("memory", "sandbox"), error
    assert "--memory" in error["explanation"]


@ASYNC
async def test_the_job_folder_has_a_total_size_cap(box: Sandbox) -> None:
    fill = (
        "import time\n"
        "block = b'x' * (1 << 20)\n"
        "for n in range(6):\n"
        "    with open(f'part{n}.bin', 'wb') as f:\n"
        "        for _ in range(60):\n"
        "            f.write(block)\n"
        "print('wrote 360 MB', flush=True)\n"
        "time.sleep(60)\n"
    )
    error = the_error(await run(box, fill, disk_mb=100, memory_mb=1024, timeout_s=120))
    assert error["kind"] == "sandbox", error
    assert "--disk" in error["explanation"]
    assert ok(await run(box, "print('next run fine')")) == "next run fine\n"


@ASYNC
async def test_dataloader_worker_processes_work(box: Sandbox) -> None:
    script = (
        "import torch\n"
        "from torch.utils.data import DataLoader, TensorDataset\n"
        "data = TensorDataset(torch.randn(128, 1, 28, 28), torch.randint(0, 10, (128,)))\n"
        "seen = sum(len(xb) for xb, _ in DataLoader(data, batch_size=32, num_workers=2))\n"
        "print('seen', seen)\n"
    )
    assert ok(await run(box, script, timeout_s=120)) == "seen 128\n"


@ASYNC
async def test_the_root_folder_is_closed_and_job_files_stay_off_the_disk(box: Sandbox) -> None:
    assert box._root is not None
    assert stat.S_IMODE(box._root.stat().st_mode) == 0o700
    script = (
        "import os, stat, sys, time\n"
        "open('answer.py', 'w').write('secret = 42')\n"
        "print(stat.S_IMODE(os.stat('.').st_mode), sys.path[0] == os.getcwd(), flush=True)\n"
    )
    mode, first = ok(await run(box, script)).split()
    assert int(mode) & 0o077 == 0  # no group or other access to the job's folder
    assert first == "True"
    files = [p for p in box._root.rglob("*") if p.is_file() and p.name != LOCK_NAME]
    if box.level in PRIVATE:  # the job folder was a tmpfs of the job's own
        assert not [p for p in files if "jobs" in p.parts], files
    if os.getuid() == 0:
        # Another local user (nobody) can neither read the folder nor plant a module in it.
        for command in (
            f"ls {box._root}",
            f"echo 'print(1)' > {box._root}/jobs/torch.py",
            f"echo 'print(1)' > {box._root}/torch.py",
        ):
            other = subprocess.run(
                ["/bin/sh", "-c", command],
                user=65534,
                group=65534,
                extra_groups=[],
                capture_output=True,
                text=True,
            )
            assert other.returncode != 0 and "denied" in other.stderr, (command, other)


@ASYNC
async def test_stale_roots_go_and_the_live_one_stays(box: Sandbox, tmp_path: Path) -> None:
    stale = tmp_path / f"{ROOT_PREFIX}stale"
    (stale / "jobs" / "1").mkdir(parents=True)
    (stale / "jobs" / "1" / "big.bin").write_bytes(b"x" * 1000)
    (stale / LOCK_NAME).touch()
    removed = remove_stale_roots(str(tmp_path))
    assert removed == [stale] and not stale.exists()
    assert box._root is not None
    assert box._root not in remove_stale_roots(str(box._root.parent))
    assert box._root.exists()
    assert ok(await run(box, "print('still here')")) == "still here\n"


# -- the command line, at each level -----------------------------------------------------------
PROBE = r"""
import ctypes, json, os, socket, stat, sys
facts = {"env": sorted(os.environ), "values": " ".join(os.environ.values())}
facts["nice"] = os.getpriority(os.PRIO_PROCESS, 0)
fds = {}
for fd in os.listdir("/proc/self/fd"):
    try:
        fds[fd] = os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        pass
facts["fds"] = fds
status = dict(l.split(":", 1) for l in open("/proc/self/status").read().splitlines() if ":" in l)
facts["cap_eff"] = int(status["CapEff"].strip(), 16)
facts["cap_prm"] = int(status["CapPrm"].strip(), 16)
facts["no_new_privs"] = status.get("NoNewPrivs", "").strip()
facts["seccomp"] = status.get("Seccomp", "").strip()
def attempt(make):
    try:
        make()
        return "allowed"
    except OSError as exc:
        return f"refused {exc.errno}"
facts["vsock"] = attempt(lambda: socket.socket(40, socket.SOCK_STREAM).close())
facts["packet"] = attempt(lambda: socket.socket(17, socket.SOCK_RAW).close())
facts["raw"] = attempt(lambda: socket.socket(socket.AF_INET, socket.SOCK_RAW, 1).close())
facts["memfd"] = attempt(lambda: os.close(os.memfd_create("hoard")))
libc = ctypes.CDLL(None, use_errno=True)
facts["ptrace"] = libc.ptrace(0, 0, 0, 0)
facts["new_user_namespace"] = libc.unshare(0x10000000)
facts["folder_mode"] = stat.S_IMODE(os.stat(".").st_mode)
def readable(path):
    try:
        open(path).read()
        return True
    except OSError:
        return False
facts["real_home_secret"] = readable(REAL_SECRET)
facts["learner_home_secret"] = readable(LEARNER_SECRET)
facts["escape"] = "\x1b[31mred\x1b[0m"
print("PROBE " + json.dumps(facts))
print("\x1b[2J\x1b]0;owned\x07 after the escapes")
"""


def cli(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tutor", *args],
        cwd=cwd or REPO,
        env=env or os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def no_traceback(done: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in done.stderr, done.stderr
    assert "Traceback" not in done.stdout, done.stdout


@pytest.fixture
def secrets(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """A secret file in the real home, and a learner home (outside /tmp) with one in it."""
    real = Path(tempfile.mkdtemp(prefix=".cnn-tutor-test-", dir=Path.home()))
    learner = Path(tempfile.mkdtemp(prefix="cnn-tutor-learner-", dir="/var/tmp"))
    for folder in (real, learner):
        folder.chmod(0o755)
        (folder / "secret.txt").write_text("private")
        (folder / "secret.txt").chmod(0o644)
    try:
        yield real / "secret.txt", learner
    finally:
        shutil.rmtree(real, ignore_errors=True)
        shutil.rmtree(learner, ignore_errors=True)


@pytest.mark.parametrize("level", ALL)
def test_a_hostile_script_through_the_cli(
    level: str, secrets: tuple[Path, Path], tmp_path: Path
) -> None:
    require(level)
    real_secret, learner = secrets
    script = tmp_path / "probe.py"
    script.write_text(
        PROBE.replace("REAL_SECRET", repr(str(real_secret))).replace(
            "LEARNER_SECRET", repr(str(learner / "secret.txt"))
        )
    )
    env = os.environ.copy()
    env.update({LEVEL_ENV: level, "GITHUB_TOKEN": SECRET, "AWS_SECRET_ACCESS_KEY": SECRET})
    done = cli("--home", str(learner), "run", str(script), env=env)
    no_traceback(done)
    assert done.returncode == 0, done.stderr
    line = next(x for x in done.stdout.splitlines() if x.startswith("PROBE "))
    facts = json.loads(line[len("PROBE ") :])
    # The environment is a short allowlist: no token, no path into the learner's files.
    assert SECRET not in done.stdout
    allowed = {*PASSED_THROUGH, "PATH", "HOME", "TMPDIR", "PYTHONUNBUFFERED", "TERM"}
    allowed |= {"PYTHONDONTWRITEBYTECODE", "MPLBACKEND", "NO_COLOR"}
    assert set(facts["env"]) <= allowed, facts["env"]
    assert str(learner) not in facts["values"]
    # Nice 0 or gentler, only its own descriptors, no capabilities, the seccomp filter on.
    assert facts["nice"] >= 0
    fds = {fd: target for fd, target in facts["fds"].items() if "/proc/" not in target}
    assert set(fds) <= {"0", "1", "2", "3"}, facts["fds"]
    assert not any("eventpoll" in t or "socket" in t for t in facts["fds"].values())
    assert facts["cap_eff"] == 0 and facts["cap_prm"] == 0
    assert facts["no_new_privs"] == "1" and facts["seccomp"] == "2"
    for family in ("vsock", "packet", "raw", "memfd"):
        assert facts[family].startswith("refused"), (family, facts[family])
    assert facts["ptrace"] == -1 and facts["new_user_namespace"] == -1
    assert facts["folder_mode"] & 0o077 == 0
    if level in PRIVATE:
        assert not facts["real_home_secret"] and not facts["learner_home_secret"]
        assert "warning" not in done.stderr.lower()
    else:  # it cannot hide them, and says so loudly, every time
        assert "WARNING" in done.stderr or "warning" in done.stderr
        assert "NOT protected" in done.stderr
    # Escape sequences are shown, never sent raw to the terminal.
    assert "\x1b" not in done.stdout and "\x1b" not in done.stderr
    assert "␛[2J␛]0;owned␇ after the escapes" in done.stdout


def test_piped_output_has_no_colour_and_errors_no_escapes(tmp_path: Path) -> None:
    script = tmp_path / "loud.py"
    script.write_text(
        "import torch, torch.nn.functional as F\n"
        "for step in range(5):\n"
        "    F.mse_loss(torch.ones(3) * step, torch.zeros(3))\n"
        "print('\\x1b[32mgreen\\x1b[0m')\n"
        "raise ValueError('\\x1b[2Jcleared')\n"
    )
    done = cli("run", str(script))
    assert done.returncode == 1
    assert "tutor/" not in done.stderr  # the learner's own traceback only, none of ours
    assert "\x1b" not in done.stdout and "\x1b" not in done.stderr
    assert "␛[32mgreen␛[0m" in done.stdout
    assert "␛[2Jcleared" in done.stdout


@pytest.mark.parametrize("option", ["--timeout", "--memory", "--disk"])
@pytest.mark.parametrize("value", ["nan", "inf", "-1", "0", "-inf", "ten"])
def test_limits_accept_only_finite_positive_numbers(
    option: str, value: str, tmp_path: Path
) -> None:
    script = tmp_path / "a.py"
    script.write_text("print(1)\n")
    for args in (["run", str(script)], ["check", "1", str(script)]):
        done = cli(*args, f"{option}={value}")
        assert done.returncode == 2, done
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and option in lines[0], done.stderr
        assert "e.g." in lines[0]


def test_a_pathological_answer_gets_one_line(tmp_path: Path) -> None:
    chain = tmp_path / "01-conv-arithmetic.py"
    chain.write_text("a = " + " + ".join(["1"] * 200_000) + "\n")
    checked = cli("check", "1", str(chain))
    no_traceback(checked)
    assert checked.returncode == 1
    assert "too deeply" in checked.stdout
    ran = cli("run", str(chain))
    no_traceback(ran)
    assert ran.returncode == 1
    assert len(ran.stderr.strip().splitlines()) <= 2  # the sandbox line, then the problem
    assert "too deeply" in ran.stderr
    nul = tmp_path / "nul.py"
    nul.write_bytes(b"a = 1\x00\n")
    done = cli("check", "1", str(nul))
    no_traceback(done)
    assert done.returncode == 1


def _max_rss_kb(*args: str) -> tuple[subprocess.CompletedProcess[str], int]:
    """Run the CLI and report its peak memory (in a wrapper, so only that child counts)."""
    code = (
        "import resource, subprocess, sys\n"
        "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "sys.stderr.write(done.stderr)\n"
        "print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    wrapped = subprocess.run(
        [sys.executable, "-c", code, sys.executable, "-m", "tutor", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    rc, rss = wrapped.stdout.split()
    return subprocess.CompletedProcess(args, int(rc), "", wrapped.stderr), int(rss)


def test_an_idx_gzip_bomb_is_refused_before_it_is_read(tmp_path: Path) -> None:
    import gzip
    import struct

    folder = tmp_path / "idx"
    folder.mkdir()
    with gzip.open(folder / "train-images-idx3-ubyte.gz", "wb", compresslevel=9) as handle:
        handle.write(struct.pack(">IIII", 2051, 60000, 28, 28))
        zeros = bytes(1 << 24)
        for _ in range(200):  # 3.2 GB of zeros in about 3 MB
            handle.write(zeros)
    for name in ("train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        (folder / name).write_bytes(b"")
    done, rss_kb = _max_rss_kb(
        "data", "export", str(tmp_path / "out.csv"), "--source", f"idx:{folder}"
    )
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "after its 60000 images" in done.stderr
    assert rss_kb < 400_000  # the whole stream would be 3.2 GB
    huge = tmp_path / "huge"
    huge.mkdir()
    with gzip.open(huge / "train-images-idx3-ubyte.gz", "wb") as handle:
        handle.write(struct.pack(">IIII", 2051, 2_000_000_000, 28, 28))
    for name in ("train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        (huge / name).write_bytes(b"")
    done = cli("data", "export", str(tmp_path / "out.csv"), "--source", f"idx:{huge}")
    assert done.returncode == 2 and "declares 2,000,000,000 images" in done.stderr


def test_a_csv_gzip_bomb_is_refused(tmp_path: Path) -> None:
    import gzip

    from tutor.data.csvfile import HEADER, MAX_CSV_BYTES

    bomb = tmp_path / "bomb.csv.gz"
    row = ("0," + ",".join(["0"] * 784) + "\n").encode()
    block = row * (1 << 20 // len(row) + 1)
    with gzip.open(bomb, "wb", compresslevel=1) as handle:
        handle.write(HEADER.encode() + b"\n")
        for _ in range(MAX_CSV_BYTES // len(block) + 2):
            handle.write(block)
    done, rss_kb = _max_rss_kb("data", "export", str(tmp_path / "o.csv"), "--source", f"csv:{bomb}")
    assert done.returncode == 2
    assert "more than 512 MB of text" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert rss_kb < 400_000


# -- SIGTERM and SIGKILL ------------------------------------------------------------------------
def _spawn(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tutor", *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _private_tmp(tmp_path: Path, level: str | None = None) -> dict[str, str]:
    env = os.environ.copy()
    env["TMPDIR"] = str(tmp_path / "tmp")
    (tmp_path / "tmp").mkdir(exist_ok=True)
    if level:
        env[LEVEL_ENV] = level
    return env


def _roots(env: dict[str, str]) -> list[Path]:
    return sorted(Path(env["TMPDIR"]).glob(ROOT_PREFIX + "*"))


SLEEPER = (
    "import time\n"
    "with open('weights.bin', 'wb') as f:\n"
    "    f.write(b'x' * (50 << 20))\n"
    "print('READY', flush=True)\n"
    "time.sleep(120)\n"
)


def _wait_for_worker(pid: int) -> None:
    """Until a sandbox worker runs under `pid` (a CLI command)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        for entry in os.listdir("/proc"):
            try:
                if not entry.isdigit():
                    continue
                cmd = Path(f"/proc/{entry}/cmdline").read_bytes()
                ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if ppid == pid and b"tutor.sandbox.worker" in cmd:
                return
        time.sleep(0.05)
    raise AssertionError("no sandbox worker started")


def test_sigterm_during_run_is_like_ctrl_c(tmp_path: Path) -> None:
    env = _private_tmp(tmp_path)
    script = tmp_path / "sleeper.py"
    script.write_text(SLEEPER)
    proc = _spawn("run", str(script), env=env)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "READY"
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "Traceback" not in err
    assert _roots(env) == []  # worker gone, job files gone


def test_sigterm_during_check_and_watch(tmp_path: Path) -> None:
    env = _private_tmp(tmp_path)
    answer = tmp_path / "01-conv-arithmetic.py"
    answer.write_text("import time\ntime.sleep(120)\n")
    check = _spawn("check", "1", str(answer), env=env)
    _wait_for_worker(check.pid)
    check.send_signal(signal.SIGTERM)
    _, err = check.communicate(timeout=60)
    assert check.returncode == 130 and "Traceback" not in err, err
    answer.write_text("a = (16, 32, 32)\n")
    watch = _spawn("watch", "1", str(answer), env=env)
    assert watch.stdout is not None
    while "parts passed" not in (line := watch.stdout.readline()):
        assert line, "watch ended before its first verdict"
    watch.send_signal(signal.SIGTERM)
    _, err = watch.communicate(timeout=60)
    assert watch.returncode == 0 and "Traceback" not in err, err
    assert _roots(env) == []


def test_sigterm_during_data_export(tmp_path: Path) -> None:
    fashion = Path("/usr/share/datasets/fashion-mnist")
    if not fashion.is_dir():
        pytest.skip("needs dataset-fashion-mnist (installed by .ci/run)")
    target = tmp_path / "out" / "fashion.csv"
    target.parent.mkdir()
    proc = _spawn(
        "data", "export", str(target), "--source", f"idx:{fashion}", env=os.environ.copy()
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # until it is reading (numpy loaded), not starting
        if "_multiarray_umath" in Path(f"/proc/{proc.pid}/maps").read_text():
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode in (0, 130), err  # 0 only if it finished first
    assert "Traceback" not in err
    left = [p.name for p in target.parent.iterdir() if p.name != "fashion.csv"]
    assert left == []  # no half-written temporary file


@pytest.mark.parametrize("level", ["bubblewrap", "limits"])
def test_sigkill_of_the_tutor_leaves_nothing_after_the_next_start(
    level: str, tmp_path: Path
) -> None:
    require(level)
    env = _private_tmp(tmp_path, level)
    script = tmp_path / "sleeper.py"
    script.write_text(SLEEPER)
    proc = _spawn("run", str(script), env=env)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "READY"
    proc.kill()
    proc.communicate(timeout=60)
    [root] = _roots(env)
    # The worker and job follow their parent; until they are gone the lock stays taken.
    lock = os.open(root / LOCK_NAME, os.O_RDWR)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)  # blocks until no process of that tutor is left
    finally:
        os.close(lock)
    job_files = [
        p for p in root.rglob("*") if p.is_file() and p.name != LOCK_NAME and "data" not in p.parts
    ]
    if level in PRIVATE:
        assert job_files == []  # the job's 50 MB lived in its own tmpfs, gone with it
    else:
        assert [p.name for p in job_files if p.name == "weights.bin"] == ["weights.bin"]
    quick = tmp_path / "quick.py"
    quick.write_text("print('hello')\n")
    again = cli("run", str(quick), env=env)
    assert again.returncode == 0, again.stderr
    assert not root.exists()  # the next start removed what the killed one left
