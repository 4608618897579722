"""`cnn-tutor check`, `list` and `watch` as a learner or a teacher calls them: real subprocesses,
real files, a real sandbox, and a learner home of the test's own."""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tutor.course import find_exercise, load_exercises
from tutor.paths import HOME_ENV

CONTRACT_KEYS = ["exercise", "slug", "passed", "elapsed_s", "parts"]


def cli(*args: str, home: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tutor", *args],
        cwd=home.parent,
        env={**os.environ, HOME_ENV: str(home)},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def answer(tmp_path: Path, text: str, name: str = "answer.py") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def one_object(stdout: str) -> dict:
    lines = [line for line in stdout.splitlines() if line.strip()]
    assert len(lines) == 1, stdout
    return json.loads(lines[0])


def test_json_verdict_has_the_contract_fields_and_exit_0(
    tmp_path: Path, learner_home: Path
) -> None:
    solution = find_exercise("1").folder / "solution.py"
    done = cli("check", "1", str(solution), "--json", home=learner_home)
    assert done.returncode == 0, done.stderr
    verdict = one_object(done.stdout)
    assert list(verdict) == CONTRACT_KEYS
    assert verdict["exercise"] == 1 and verdict["slug"] == "conv-arithmetic"
    assert verdict["passed"] is True and verdict["elapsed_s"] >= 0
    assert [p["id"] for p in verdict["parts"]] == [
        "a-same-padding",
        "b-no-padding",
        "c-stride",
        "d-pooling",
    ]
    assert all(set(p) == {"id", "passed", "message"} and p["passed"] for p in verdict["parts"])


def test_a_wrong_answer_exits_1_and_names_the_part(tmp_path: Path, learner_home: Path) -> None:
    mistake = find_exercise("5").folder / "mistakes" / "flatten--nn-flatten.py"
    done = cli("check", "module-class", str(mistake), "--json", home=learner_home)
    assert done.returncode == 1, done.stderr
    verdict = one_object(done.stdout)
    assert verdict["passed"] is False and verdict["exercise"] == 5
    failing = [p for p in verdict["parts"] if not p["passed"]]
    assert [p["id"] for p in failing] == ["flatten"]
    assert "nn.Flatten" in failing[0]["message"]


def test_human_output_has_a_line_per_part_and_a_summary(tmp_path: Path, learner_home: Path) -> None:
    path = answer(
        tmp_path, "a = (16, 32, 32)\nb = (16, 28, 28)\nc = (16, 32, 32)\nd = (3, 16, 16)\n"
    )
    done = cli("check", "1", str(path), home=learner_home)
    assert done.returncode == 1
    out = done.stdout
    assert "✓ a-same-padding" in out and "✗ c-stride" in out and "stride=2" in out
    assert "3 of 4 parts passed" in out


def test_unknown_exercise_is_a_one_line_usage_error(learner_home: Path) -> None:
    beyond = str(len(load_exercises()) + 1)  # one past the last exercise of the course
    done = cli("check", beyond, home=learner_home)
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert (
        len(lines) == 1
        and f"unknown exercise '{beyond}'" in lines[0]
        and "module-class" in lines[0]
    )
    assert "Traceback" not in done.stderr


def test_a_missing_answer_file_is_a_usage_error(tmp_path: Path, learner_home: Path) -> None:
    done = cli("check", "2", str(tmp_path / "nowhere.py"), home=learner_home)
    assert done.returncode == 2
    assert "no such file" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_code_that_does_not_parse_fails_the_parses_part(tmp_path: Path, learner_home: Path) -> None:
    path = answer(tmp_path, "a = (16, 32, 32\nb = 1\n")
    done = cli("check", "1", str(path), "--json", home=learner_home)
    assert done.returncode == 1
    verdict = one_object(done.stdout)
    assert [p["id"] for p in verdict["parts"]] == ["parses"]
    assert "line" in verdict["parts"][0]["message"]


def test_code_that_raises_fails_the_runs_part(tmp_path: Path, learner_home: Path) -> None:
    path = answer(tmp_path, "import torch\n\nx = torch.zeros(2, 3) @ torch.zeros(2, 3)\n")
    done = cli("check", "5", str(path), "--json", home=learner_home)
    assert done.returncode == 1
    verdict = one_object(done.stdout)
    [part] = verdict["parts"]
    assert part["id"] == "runs" and not part["passed"] and "line 3" in part["message"]


def test_check_defaults_to_the_workspace_copy_and_list_shows_passed(learner_home: Path) -> None:
    first = cli("check", "3", "--json", home=learner_home)
    assert first.returncode == 1  # the starter, copied into the workspace
    workspace = learner_home / "workspace" / "03-count-parameters.py"
    assert workspace.read_text() == find_exercise("3").starter
    listed = cli("list", home=learner_home).stdout
    assert "count-parameters" in listed and "failing" in listed

    workspace.write_text(find_exercise("3").solution)
    second = cli("check", "3", home=learner_home)
    assert second.returncode == 0, second.stdout
    row = next(
        line
        for line in cli("list", home=learner_home).stdout.splitlines()
        if "count-parameters" in line
    )
    assert "passed" in row
    progress = json.loads((learner_home / "progress.json").read_text())
    assert progress["exercises"]["count-parameters"] == {
        "state": "passed",
        "tries": 2,
        "hints_shown": 0,
        "solution_seen": False,
        "last": "passed",
    }


def test_batchnorm_check_plots_both_loss_curves(learner_home: Path) -> None:
    solution = find_exercise("6").folder / "solution.py"
    done = cli("check", "6", str(solution), home=learner_home)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "training loss per batch" in done.stdout
    assert "kept from an earlier check" not in done.stdout
    cached = json.loads((learner_home / "cache" / "checks" / "batchnorm.json").read_text())
    [curve] = cached.values()
    assert len(curve["batches"]) == 3 * 12 and len(curve["loss"]) == 3  # 384 digits, batch 32
    again = cli("check", "6", str(solution), home=learner_home)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "kept from an earlier check on this machine" in again.stdout
    assert again.stdout.split("final loss")[1] == done.stdout.split("final loss")[1]
    assert "test accuracy per epoch" in done.stdout
    assert "with BatchNorm" in done.stdout and "without BatchNorm" in done.stdout
    assert "\x1b[" not in done.stdout  # no colour codes when not on a terminal


@pytest.mark.skipif(shutil.which("nvidia-smi") is not None, reason="this machine has a GPU")
def test_asking_for_cuda_without_a_gpu_is_a_usage_error(learner_home: Path) -> None:
    solution = find_exercise("5").folder / "solution.py"
    done = cli("check", "5", str(solution), "--device", "cuda", home=learner_home)
    assert done.returncode == 2 and "no CUDA GPU" in done.stderr
    assert "Traceback" not in done.stderr


def test_watch_rechecks_on_every_save(tmp_path: Path, learner_home: Path) -> None:
    ex = find_exercise("5")
    path = answer(tmp_path, ex.starter)
    proc = subprocess.Popen(
        [sys.executable, "-m", "tutor", "watch", "5", str(path), "--json"],
        cwd=tmp_path,
        env={**os.environ, HOME_ENV: str(learner_home)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)

    threading.Thread(target=read, daemon=True).start()
    try:
        first = json.loads(lines.get(timeout=120))  # the starter, checked at start
        assert first["passed"] is False
        time.sleep(0.5)
        path.write_text((ex.folder / "mistakes" / "flatten--nn-flatten.py").read_text())
        wrong = json.loads(lines.get(timeout=60))
        assert wrong["passed"] is False
        assert [p["id"] for p in wrong["parts"] if not p["passed"]] == ["flatten"]
        time.sleep(0.3)
        path.write_text(ex.solution)
        right = json.loads(lines.get(timeout=60))
        assert right["passed"] is True
        # a model exercise: the contract's keys, then the reference diff, with no difference
        assert list(right) == [*CONTRACT_KEYS, "reference_diff", "first_difference"]
        assert right["first_difference"] is None
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert code == 0
    assert proc.stderr is not None and "Traceback" not in proc.stderr.read()


@pytest.mark.slow
def test_ten_checks_at_once_record_ten_tries_and_keep_the_pass(
    tmp_path: Path, learner_home: Path
) -> None:
    ex = find_exercise("1")
    right = answer(tmp_path, ex.solution, "right.py")
    wrong = answer(tmp_path, ex.starter, "wrong.py")
    assert cli("check", "1", str(right), home=learner_home).returncode == 0
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tutor", "check", "1", str(wrong if i % 2 else right)],
            cwd=tmp_path,
            env={**os.environ, HOME_ENV: str(learner_home)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(10)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=600)
        assert proc.returncode in (0, 1) and "Traceback" not in err
    state = json.loads((learner_home / "progress.json").read_text())["exercises"][ex.slug]
    assert state["tries"] == 11 and state["state"] == "passed"
    row = next(
        line for line in cli("list", home=learner_home).stdout.splitlines() if ex.slug in line
    )
    assert "passed" in row and "11 tries" in row


@pytest.mark.parametrize(
    "damage",
    [b"\xff\xfe not utf-8", b'{"exercises": {"x": {"tries": 1e400}}}', b'{"exercises": ['],
    ids=["not UTF-8", "1e400", "truncated"],
)
def test_a_damaged_progress_file_is_a_note_not_a_crash(learner_home: Path, damage: bytes) -> None:
    (learner_home / "progress.json").write_bytes(damage)
    listed = cli("list", home=learner_home)
    assert listed.returncode == 0 and "Traceback" not in listed.stderr
    assert "damaged" in listed.stdout and "conv-arithmetic" in listed.stdout
    assert list(learner_home.glob("progress.json.corrupt-*"))


@pytest.mark.parametrize("value", ["nan", "0", "-5", "inf", "soon"])
def test_check_timeout_must_be_a_finite_positive_number(learner_home: Path, value: str) -> None:
    done = cli("check", "1", "--timeout", value, home=learner_home)
    assert done.returncode == 2 and "positive number of seconds" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_check_timeout_gives_the_limit(tmp_path: Path, learner_home: Path) -> None:
    path = answer(tmp_path, "import time\ntime.sleep(30)\n")
    done = cli("check", "5", str(path), "--timeout", "2", "--json", home=learner_home)
    assert done.returncode == 1
    [part] = one_object(done.stdout)["parts"]
    assert "after 2 seconds" in part["message"] and "--timeout S" in part["message"]
    assert "ran longer than" not in part["message"]  # the limit is said once
