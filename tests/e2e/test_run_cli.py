"""`cnn-tutor run` as a learner or a teacher calls it: a real subprocess on real files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.e2e import scripts
from tests.e2e.levels import require

FASHION = Path("/usr/share/datasets/fashion-mnist")


def cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tutor", *args],
        cwd=cwd,
        env=env or os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def events_of(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


@pytest.fixture
def train_file(tmp_path: Path) -> Path:
    path = tmp_path / "train.py"
    path.write_text(scripts.TRAIN)
    return path


def test_a_lesson_style_training_script_runs_unchanged(train_file: Path, tmp_path: Path) -> None:
    done = cli("run", str(train_file), "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    events = events_of(done.stdout)
    kinds = {e["type"] for e in events}
    assert {"sandbox", "shape", "loss", "epoch", "stdout", "done"} <= kinds
    shapes = {e["module"]: e for e in events if e["type"] == "shape"}
    assert shapes["Sequential.0"]["out"] == [64, 16, 28, 28]
    assert shapes["Sequential.0"]["params"] == 160
    assert shapes["Sequential.3"]["out"] == [64, 3136]
    assert shapes["Sequential.4"]["params"] == 31370
    assert events[-1]["type"] == "done" and events[-1]["status"] == "ok"
    assert all(e["type"] != "error" for e in events)


def test_human_output_has_trace_chart_and_outcome(train_file: Path, tmp_path: Path) -> None:
    done = cli("run", str(train_file), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "shape trace" in done.stdout
    assert "(64, 16, 14, 14)" in done.stdout
    assert "training loss" in done.stdout
    assert "\x1b" not in done.stdout  # piped: the chart comes without colour
    assert "✓ finished" in done.stdout
    assert "isolation" in done.stderr  # which isolation level is in force
    if shutil.which("bwrap"):
        assert "full isolation (bubblewrap)" in done.stderr


def test_a_failing_script_exits_1_with_its_explanation(tmp_path: Path) -> None:
    path = tmp_path / "broken.py"
    path.write_text(scripts.MISSING_CHANNEL)
    done = cli("run", str(path), cwd=tmp_path)
    assert done.returncode == 1
    assert "✗ failed" in done.stdout
    assert "unsqueeze(1)" in done.stdout
    assert "Traceback" not in done.stdout


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["run", "missing.py"], "no such file"),
        (["run", "ok.py", "--data", "csv:/nonexistent.csv"], "no such file"),
        (["run", "ok.py", "--data", "floppy"], "floppy"),
        (["run", "ok.py", "--timeout", "-1"], "--timeout"),
        (["run", "ok.py", "--device", "tpu"], "tpu"),
    ],
)
def test_usage_errors_exit_2_with_one_line(tmp_path: Path, args: list[str], words: str) -> None:
    (tmp_path / "ok.py").write_text("print('hi')\n")
    done = cli(*args, cwd=tmp_path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert words in lines[0]
    assert "Traceback" not in done.stderr


def test_asking_for_cuda_without_a_gpu_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "ok.py").write_text("print('hi')\n")
    probe = subprocess.run(
        [sys.executable, "-c", "import torch; print(torch.cuda.is_available())"],
        capture_output=True,
        text=True,
    )
    if probe.stdout.strip() == "True":
        pytest.skip("this machine has a GPU")
    done = cli("run", "ok.py", "--device", "cuda", cwd=tmp_path)
    assert done.returncode == 2
    assert "no CUDA GPU" in done.stderr.strip().splitlines()[-1]


def test_a_script_cannot_read_the_learners_home(tmp_path: Path) -> None:
    require("bubblewrap")
    home = Path("/var/tmp") / f"cnn-tutor-home-{uuid.uuid4().hex}"
    home.mkdir()
    home.chmod(0o755)
    secret = home / "notes.txt"
    secret.write_text("s3cr3t-diary")
    secret.chmod(0o644)
    try:
        (tmp_path / "peek.py").write_text(f"print(open({str(secret)!r}).read())\n")
        env = {**os.environ, "HOME": str(home)}
        done = cli("run", "peek.py", "--json", cwd=tmp_path, env=env)
        assert done.returncode == 1
        assert "s3cr3t-diary" not in done.stdout
    finally:
        shutil.rmtree(home, ignore_errors=True)


@pytest.mark.skipif(
    not (FASHION / "train-images-idx3-ubyte.gz").exists(),
    reason="Debian's dataset-fashion-mnist is not installed",
)
def test_real_idx_files_reach_the_script_as_mnist_small_csv(tmp_path: Path) -> None:
    (tmp_path / "count.py").write_text(
        "import pandas as pd\ndf = pd.read_csv('mnist_small.csv')\nprint(df.shape)\n"
    )
    done = cli("run", "count.py", "--data", f"idx:{FASHION}", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    out = "".join(e["text"] for e in events_of(done.stdout) if e["type"] == "stdout")
    assert out.strip() == "(70000, 785)"


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        if state != "Z":
            children.setdefault(int(ppid), []).append(int(entry))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.parametrize("level", ["bubblewrap", "namespaces"])
def test_killing_the_tutor_takes_the_worker_and_the_job_with_it(level: str, tmp_path: Path) -> None:
    require(level)
    (tmp_path / "spin.py").write_text("print('spinning', flush=True)\nwhile True:\n    pass\n")
    env = {**os.environ, "CNN_TUTOR_ISOLATION": level}
    tutor = subprocess.Popen(
        [sys.executable, "-m", "tutor", "run", "spin.py", "--timeout", "300", "--json"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert tutor.stdout is not None
        for line in tutor.stdout:
            if '"spinning' in line:
                break
        below = _descendants(tutor.pid)
        assert len(below) >= 2  # the worker and the spinning job at least
        tutor.kill()
        tutor.wait()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and any(_alive(p) for p in below):
            time.sleep(0.1)
        assert not [p for p in below if _alive(p)]
    finally:
        if tutor.poll() is None:
            tutor.kill()


def test_text_output_has_size_arithmetic_receptive_field_and_the_doctor(tmp_path: Path) -> None:
    path = tmp_path / "train.py"
    path.write_text(scripts.TRAIN.replace("        optimizer.zero_grad()\n", ""))
    done = cli("run", str(path), cwd=tmp_path)
    assert done.returncode == 0, done.stderr  # a likely bug, not a failure
    table = done.stdout.split("shape trace", 1)[1]
    assert "output size" in table and " rf" in table
    conv = next(line for line in table.splitlines() if "Conv2d(1, 16, k=3, s=1, p=1)" in line)
    assert "⌊(28 − 3 + 2·1)/1⌋ + 1 = 28" in conv and conv.rstrip().endswith("3×3")
    pool = next(line for line in table.splitlines() if "MaxPool2d(k=2, s=2, p=0)" in line)
    assert "⌊(28 − 2 + 2·0)/2⌋ + 1 = 14" in pool and pool.rstrip().endswith("4×4")
    assert "⚠ zero-grad (line 32): optimizer.step() ran again" in done.stdout


def test_json_shape_events_carry_formula_and_rf(train_file: Path, tmp_path: Path) -> None:
    done = cli("run", str(train_file), "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    shapes = {e["module"]: e for e in events_of(done.stdout) if e["type"] == "shape"}
    assert shapes["Sequential.0"]["formula"] == "⌊(28 − 3 + 2·1)/1⌋ + 1 = 28"
    assert shapes["Sequential.0"]["rf"] == 3 and shapes["Sequential.2"]["rf"] == 4
    assert "rf" not in shapes["Sequential.4"]  # a Linear has no window
    assert not [e for e in events_of(done.stdout) if e["type"] == "warning"]
