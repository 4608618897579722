"""The learner's progress file: the rules of a check, damage set aside, changes under a lock."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pytest

from tutor.progress import FAILING, PASSED, Progress


def stored(home: Path) -> dict:
    return json.loads((home / "progress.json").read_text(encoding="utf-8"))


def test_a_pass_is_kept_and_a_later_failure_is_shown_beside_it(learner_home: Path) -> None:
    progress = Progress(home=learner_home)
    for passed in (False, True, False):
        with progress.changing():
            progress.record_check("pooling-depth", passed)
    state = Progress.load(learner_home).exercise("pooling-depth")
    assert (state.state, state.tries, state.last) == (PASSED, 3, FAILING)
    assert state.summary == "passed (last check failing)"


def test_a_change_keeps_what_another_process_wrote_meanwhile(learner_home: Path) -> None:
    tui = Progress.load(learner_home)  # the TUI loaded its copy at start
    cli = Progress(home=learner_home)
    for _ in range(3):
        with cli.changing():
            cli.record_check("batchnorm", True)
    with tui.changing():  # the TUI's next change starts from the file, not its old copy
        tui.record_check("batchnorm", False)
        tui.mark_read("lesson-03")
    data = stored(learner_home)["exercises"]["batchnorm"]
    assert (data["state"], data["tries"], data["last"]) == ("passed", 4, "failing")
    assert tui.exercise("batchnorm").tries == 4


DAMAGE = {
    "not UTF-8": b'{"exercises": {"x": {"state": "passed"}}, "last_screen": "\xff\xfe"}',
    "a number too big": b'{"exercises": {"x": {"tries": 1e400}}}',
    "an integer too big": b'{"exercises": {"x": {"tries": 1' + b"0" * 400 + b"}}}",
    "NaN": b'{"exercises": {"x": {"tries": NaN}}}',
    "tries as text": b'{"exercises": {"x": {"tries": "three"}}}',
    "tries as a list": b'{"exercises": {"x": {"tries": [1]}}}',
    "exercises as a list": b'{"exercises": ["x"]}',
    "a state of its own": b'{"exercises": {"x": {"state": "winning"}}}',
    "lessons as a number": b'{"lessons_read": 5}',
    "the top level a list": b"[1, 2, 3]",
    "cut short": b'{"lessons_read": ["lesson-01"], "exerc',
    "empty": b"",
    "deeply nested": b"[" * 100_000 + b"]" * 100_000,
}


@pytest.mark.parametrize("damage", DAMAGE.values(), ids=DAMAGE.keys())
def test_a_damaged_file_is_set_aside_with_a_notice(learner_home: Path, damage: bytes) -> None:
    (learner_home / "progress.json").write_bytes(damage)
    progress = Progress.load(learner_home)
    assert progress.notice and "damaged" in progress.notice
    assert progress.exercises == {} and progress.lessons_read == set()
    [aside] = learner_home.glob("progress.json.corrupt-*")
    assert aside.read_bytes() == damage  # kept for the learner, not deleted
    with progress.changing():  # and the tutor goes on: the next change writes a clean file
        progress.record_check("x", True)
    assert stored(learner_home)["exercises"]["x"]["state"] == "passed"


def _record_many(home: str, slug: str, times: int, passed: bool) -> None:
    progress = Progress(home=Path(home))
    for _ in range(times):
        with progress.changing():
            progress.record_check(slug, passed)


def test_ten_processes_at_once_lose_no_try_and_no_pass(learner_home: Path) -> None:
    _record_many(str(learner_home), "module-class", 1, True)
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=_record_many, args=(str(learner_home), "module-class", 20, i % 2))
        for i in range(10)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    data = stored(learner_home)["exercises"]["module-class"]
    assert data["tries"] == 201 and data["state"] == "passed"
