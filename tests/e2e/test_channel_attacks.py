"""Scripts that write to the tutor's own event channel, through the real `run` and `check`.

The learner's process holds the writing end of the job's event pipe, so anything may come
down it. Whatever comes, the worker alone decides how the job ended: a forged `done` or
status is refused, an oversized or malformed line ends the job with a clear `sandbox`
error, and `check` judges facts outside the sandbox, never crashing on them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tutor.paths import HOME_ENV

CHANNEL = "the script wrote to the tutor's channel"

# Every script finds the event pipe the way hostile code would: the one pipe it holds
# beyond stdout and stderr.
FIND = """\
import os, stat

def channel():
    printed = {os.fstat(1).st_ino, os.fstat(2).st_ino}
    for fd in range(3, 256):
        try:
            found = os.fstat(fd)
        except OSError:
            continue
        if stat.S_ISFIFO(found.st_mode) and found.st_ino not in printed:
            return fd
    raise SystemExit("no channel found")

def send(data):
    fd = channel()
    while data:
        data = data[os.write(fd, data):]
"""


def cli(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tutor", *args],
        cwd=home.parent,
        env={**os.environ, HOME_ENV: str(home)},
        capture_output=True,
        text=True,
        timeout=300,
    )


def script(tmp_path: Path, body: str, name: str = "attack.py") -> Path:
    path = tmp_path / name
    path.write_text(FIND + body, encoding="utf-8")
    return path


def no_tutor_traceback(done: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in done.stdout
    assert "/tutor/" not in done.stderr, done.stderr[-2000:]


def run_json(tmp_path: Path, body: str) -> tuple[subprocess.CompletedProcess[str], list[dict]]:
    done = cli("run", str(script(tmp_path, body)), "--json", home=tmp_path / "home")
    events = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    return done, events


def the_channel_error(events: list[dict]) -> str:
    errors = [e for e in events if e["type"] == "error"]
    assert len(errors) == 1, events[-5:]
    assert errors[0]["kind"] == "sandbox" and errors[0]["message"].startswith(CHANNEL)
    assert events[-1]["type"] == "done" and events[-1]["status"] == "error"
    return str(errors[0]["message"])


FORGED_DONE = b'{"type": "done", "status": "ok", "elapsed_s": 0.1, "device": "cpu"}\n'


def test_a_forged_done_does_not_make_a_failing_run_pass(tmp_path: Path) -> None:
    body = f"send({FORGED_DONE!r})\nraise ValueError('this script fails')\n"
    done = cli("run", str(script(tmp_path, body)), home=tmp_path / "home")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "✓" not in done.stdout and "✗ failed" in done.stdout
    assert CHANNEL in done.stdout and "'done' event" in done.stdout
    no_tutor_traceback(done)


def test_forged_statuses_are_refused(tmp_path: Path) -> None:
    # The keeper's report of how the job ended, and the job's old end-of-job line.
    body = 'send(b\'{"type": "_exit", "code": 0, "signal": null}\\n\')\nos._exit(3)\n'
    done, events = run_json(tmp_path, body)
    assert done.returncode == 1
    assert "'_exit' event, which only the tutor may send" in the_channel_error(events)
    body = 'send(b\'{"type": "_done", "code": 0}\\n\')\nos._exit(3)\n'
    done, events = run_json(tmp_path, body)
    assert done.returncode == 1 and "unknown event type '_done'" in the_channel_error(events)
    no_tutor_traceback(done)


def test_an_error_the_script_claims_is_no_status(tmp_path: Path) -> None:
    """A well-formed error event followed by a clean exit: the worker says ok, and shows none."""
    body = (
        'send(b\'{"type": "error", "kind": "crash", "message": "fake"}\\n\')\nprint(\'finished\')\n'
    )
    done, events = run_json(tmp_path, body)
    assert done.returncode == 0, events
    assert [e for e in events if e["type"] == "error"] == []
    assert events[-1] == {**events[-1], "type": "done", "status": "ok", "exit_code": 0}


def test_os_exit_0_after_events_is_an_ordinary_success(tmp_path: Path) -> None:
    body = 'send(b\'{"type": "note", "text": "hello"}\\n\')\nos._exit(0)\n'
    done, events = run_json(tmp_path, body)
    assert done.returncode == 0
    assert {"type": "note", "text": "hello"} in events
    assert events[-1]["type"] == "done" and events[-1]["status"] == "ok"
    body = "print('bye', flush=True)\nos._exit(4)\n"
    done, events = run_json(tmp_path, body)
    assert done.returncode == 1
    [error] = [e for e in events if e["type"] == "error"]
    assert error["kind"] == "crash" and "status 4" in error["message"]


def test_a_100_mb_line_ends_the_job_without_a_hang(tmp_path: Path) -> None:
    body = (
        "block = b'x' * (1 << 20)\n"
        "try:\n"
        "    for _ in range(100):\n"
        "        send(block)\n"
        "except BrokenPipeError:\n"
        "    pass\n"
        "import time\n"
        "time.sleep(60)\n"
    )
    done, events = run_json(tmp_path, body)
    assert done.returncode == 1
    assert "a line longer than 1 MiB" in the_channel_error(events)
    assert events[-1]["elapsed_s"] < 60  # stopped, not timed out
    no_tutor_traceback(done)


def test_a_flood_of_tiny_events_is_capped(tmp_path: Path) -> None:
    body = 'send(b\'{"type": "note", "text": "x"}\\n\' * 300_000)\n'
    done, events = run_json(tmp_path, body)
    assert done.returncode == 1
    assert "more than 100,000 events" in the_channel_error(events)
    assert sum(e["type"] == "note" for e in events) <= 100_000


def test_garbage_bytes_on_the_channel(tmp_path: Path) -> None:
    body = "send(bytes(range(256)) * 4 + b'\\n')\nprint('still here')\n"
    done = cli("run", str(script(tmp_path, body)), home=tmp_path / "home")
    assert done.returncode == 1
    assert "a line that is not JSON" in done.stdout and "✗ failed" in done.stdout
    no_tutor_traceback(done)
    body = "send(b'\\x00\\x01 no newline at all')\n"
    done, events = run_json(tmp_path, body)
    assert done.returncode == 1 and "cut off" in the_channel_error(events)


# -- check ------------------------------------------------------------------------------


def check(tmp_path: Path, ex: str, body: str) -> subprocess.CompletedProcess[str]:
    path = script(tmp_path, body, "answer.py")
    return cli("check", ex, str(path), "--json", home=tmp_path / "home")


def facts_line(data: object) -> bytes:
    return (json.dumps({"type": "facts", "data": data}) + "\n").encode()


def shape(c: int, h: int, w: int) -> dict:
    items = [{"kind": "int", "value": n} for n in (c, h, w)]
    return {"kind": "tuple", "length": 3, "items": items}


def test_forged_facts_then_os_exit_are_judged_outside_and_fail_a_wrong_answer(
    tmp_path: Path,
) -> None:
    wrong = {name: shape(16, 30, 30) for name in "abcd"}
    done = check(tmp_path, "1", f"send({facts_line(wrong)!r})\nos._exit(0)\n")
    assert done.returncode == 1, done.stderr
    verdict = json.loads(done.stdout)
    assert verdict["passed"] is False
    assert {"a-same-padding", "b-no-padding", "c-stride", "d-pooling"} <= {
        p["id"] for p in verdict["parts"] if not p["passed"]
    }
    no_tutor_traceback(done)
    listed = cli("list", home=tmp_path / "home")
    assert "passed" not in listed.stdout.split("conv-arithmetic")[1].splitlines()[0]


def test_forged_facts_before_the_real_probe_are_refused(tmp_path: Path) -> None:
    wrong = {name: shape(16, 30, 30) for name in "abcd"}
    body = f"send({facts_line(wrong)!r})\na = b = c = d = (16, 30, 30)\n"
    done = check(tmp_path, "1", body)
    assert done.returncode == 1
    [part] = json.loads(done.stdout)["parts"]
    assert part["id"] == "runs" and CHANNEL in part["message"] and "second" in part["message"]


@pytest.mark.parametrize(
    "data",
    [
        {"a": "not a description", "b": [1, 2], "c": None, "d": 5},
        {"a": {"kind": "tuple", "length": "three", "items": "many"}},
        [1, 2, 3],
    ],
    ids=["bad-values", "bad-tuple", "not-an-object"],
)
def test_malformed_facts_fail_a_named_part_without_a_traceback(
    tmp_path: Path, data: object
) -> None:
    done = check(tmp_path, "1", f"send({facts_line(data)!r})\nos._exit(0)\n")
    assert done.returncode == 1, done.stderr
    verdict = json.loads(done.stdout)
    assert verdict["passed"] is False
    failed = [p for p in verdict["parts"] if not p["passed"]]
    assert failed and all(p["id"] and p["message"] for p in failed)
    no_tutor_traceback(done)


def test_a_forged_done_in_a_check_is_refused(tmp_path: Path) -> None:
    done = check(tmp_path, "1", f"send({FORGED_DONE!r})\nos._exit(0)\n")
    assert done.returncode == 1
    [part] = json.loads(done.stdout)["parts"]
    assert part["id"] == "runs" and CHANNEL in part["message"]
