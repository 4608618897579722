"""Grading a class: find every submission in a folder and check each on warm sandboxes.

No textual and no torch: `cnn-tutor grade` renders what this returns. Each submission is a
sandbox job of its own on one of N warm workers, so nothing one student's code does can
reach another student's verdict. A submission the grader cannot even hand to the checker
(a file that is not UTF-8 text, too big to be an answer, a student folder with no answer
or several) is "not graded", with the reason; the learner's own progress is never touched.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import stat
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tutor.checks.runner import DEFAULT_TIMEOUT_S, answer_filename, check_answer, sandbox_for
from tutor.errors import UsageError

if TYPE_CHECKING:
    from tutor.checks.verdict import Part, Verdict
    from tutor.course import Exercise
    from tutor.sandbox.client import Sandbox

# An answer is a few kB; anything past this was not meant as one, and is never read whole.
MAX_ANSWER_BYTES = 1_000_000
# How much longer than the job's own limit the grader waits before it gives up on a worker.
GUARD_S = 30.0
# The columns of `grade --out FILE.csv`, as the command-line contract fixes them.
CSV_COLUMNS = (
    "student",
    "exercise",
    "passed",
    "parts_passed",
    "parts_total",
    "failed_parts",
    "elapsed_s",
    "error",
)


@dataclass(frozen=True)
class Submission:
    """One student's entry in the class folder: the answer file, or why there is none."""

    student: str
    entry: str  # the name in the class folder: `alice.py` or `alice/`
    path: Path | None
    problem: str | None = None


@dataclass
class Graded:
    """What grading one submission gave: a verdict, or the reason there is none."""

    student: str
    exercise: Exercise
    verdict: Verdict | None
    error: str | None
    elapsed_s: float

    @property
    def graded(self) -> bool:
        return self.verdict is not None

    @property
    def passed(self) -> bool:
        return self.verdict is not None and self.verdict.passed

    @property
    def failed_parts(self) -> list[str]:
        return [p.id for p in self.verdict.failed] if self.verdict else []

    def to_json(self) -> dict[str, Any]:
        """The `check --json` object with `student` first and `error` last (null when graded).

        Whatever a verdict's own JSON gains later travels here unchanged."""
        if self.verdict is not None:
            body = self.verdict.to_json()
        else:
            body = {
                "exercise": self.exercise.number,
                "slug": self.exercise.slug,
                "passed": False,
                "elapsed_s": round(self.elapsed_s, 3),
                "parts": [],
            }
        return {"student": self.student, **body, "error": self.error}

    def csv_row(self) -> list[str]:
        """One row under CSV_COLUMNS; a submission not graded has no part counts. Text cells
        are made safe for spreadsheets (see `spreadsheet_safe`)."""
        verdict = self.verdict
        return [
            spreadsheet_safe(self.student),
            str(self.exercise.number),
            "true" if self.passed else "false",
            str(sum(p.passed for p in verdict.parts)) if verdict else "",
            str(len(verdict.parts)) if verdict else "",
            spreadsheet_safe(";".join(self.failed_parts)),
            f"{verdict.elapsed_s if verdict else self.elapsed_s:.3f}",
            spreadsheet_safe(self.error or ""),
        ]


# A cell starting with one of these is a formula to a spreadsheet (tab and carriage return
# too, which some strip before looking): `=HYPERLINK(...)` as a student's name would run.
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    """`text` for a CSV cell a spreadsheet shows as text: an apostrophe before a formula's
    first character, as spreadsheets themselves write a literal."""
    return "'" + text if text.startswith(FORMULA_LEADS) else text


# -- finding the submissions ------------------------------------------------------------
def find_submissions(folder: Path) -> tuple[list[Submission], list[str]]:
    """Every submission in `folder` in name order, and the entries that are none.

    A `.py` file is one student's answer (the student is the file's stem); a folder is one
    student (named after it) whose answer is the one `.py` file directly inside it. Hidden
    entries and `__pycache__` are passed over in silence; other files are returned as ignored.
    """
    if not folder.exists():
        raise UsageError(
            f"no such folder: {folder}; give the folder that holds the class's answers"
        )
    if not folder.is_dir():
        raise UsageError(
            f"{folder} is a file, not a folder; give the folder that holds one .py per "
            "student, or one folder per student"
        )
    try:
        entries = sorted(folder.iterdir(), key=lambda p: p.name)
    except OSError as exc:
        raise UsageError(
            f"cannot read the folder {folder}: {exc.strerror or exc}; check its permissions"
        ) from None
    found: list[Submission] = []
    ignored: list[str] = []
    for entry in entries:
        if entry.name.startswith(".") or entry.name == "__pycache__":
            continue
        if entry.is_dir():
            found.append(_from_student_folder(entry))
        elif entry.suffix == ".py":
            found.append(Submission(entry.stem, entry.name, entry))
        else:
            ignored.append(entry.name)
    # `alice.py` beside `alice/`: both are kept, each under its entry's name.
    named = Counter(s.student for s in found)
    found = [replace(s, student=s.entry) if named[s.student] > 1 else s for s in found]
    return found, ignored


def _from_student_folder(folder: Path) -> Submission:
    entry = f"{folder.name}/"
    try:
        answers = sorted(
            p.name
            for p in folder.iterdir()
            if p.suffix == ".py" and not p.name.startswith(".") and not p.is_dir()
        )
    except OSError as exc:
        return Submission(folder.name, entry, None, f"cannot read {entry}: {exc.strerror or exc}")
    if len(answers) == 1:
        return Submission(folder.name, entry, folder / answers[0])
    if not answers:
        problem = (
            f"no .py file directly inside {entry} (sub-folders are not searched); "
            "put the student's answer file there"
        )
    else:
        shown = ", ".join(answers[:4]) + (", ..." if len(answers) > 4 else "")
        problem = (
            f"{entry} holds {len(answers)} .py files ({shown}); leave exactly one answer "
            "file in each student's folder"
        )
    return Submission(folder.name, entry, None, problem)


def read_answer_text(path: Path) -> tuple[str | None, str | None]:
    """The answer's text, or why it cannot be read; never reads more than MAX_ANSWER_BYTES.

    Opened without blocking (a named pipe in the folder must not hang the grader), and
    only a regular file is read. A UTF-8 byte-order mark is dropped, as Python does."""
    name = path.name
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        return None, f"cannot open {name}: {exc.strerror or exc}"
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return None, f"{name} is not a regular file; hand in the answer as a plain .py file"
        data = handle.read(MAX_ANSWER_BYTES + 1)
    if len(data) > MAX_ANSWER_BYTES:
        return None, (
            f"{name} is {max(info.st_size, len(data)) / 1e6:.1f} MB, more than the "
            f"{MAX_ANSWER_BYTES / 1e6:g} MB an answer file may be; was the wrong file handed in?"
        )
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        return None, (
            f"{name} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "have it saved as UTF-8 and grade it again"
        )


# -- grading --------------------------------------------------------------------------------
OnResult = Callable[[Graded], None]


def default_jobs() -> int:
    """How many submissions to check at once when not told, and at most: the cores this
    process may use. Each check is busy on one core, so more at once only queue for the
    cores, and each worker of a model exercise holds its own torch (some 450 MB)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


async def grade_class(
    ex: Exercise,
    submissions: Sequence[Submission],
    *,
    jobs: int,
    device: str = "auto",
    timeout_s: float | None = None,
    on_result: OnResult | None = None,
    on_ready: Callable[[], None] | None = None,
) -> list[Graded]:
    """Grade every submission, `jobs` at a time, each on a warm sandbox; results by student.

    Raises UsageError for a request no submission can be graded under (`--device cuda`
    with no GPU), before any is graded. `on_ready` is called once, when the first sandbox
    is up. A sandbox that cannot start leaves its share to the others; if none can, the
    submissions left are not graded, with the reason.
    """
    if timeout_s is not None:
        ex = replace(ex, limits={**ex.limits, "timeout_s": timeout_s})
    wait_s = float(ex.limits.get("timeout_s", DEFAULT_TIMEOUT_S)) + GUARD_S
    results: list[Graded] = []
    pending: asyncio.Queue[Submission] = asyncio.Queue()
    start_failures: list[str] = []
    fatal: list[UsageError] = []
    ready: list[bool] = []

    def finish(result: Graded) -> None:
        results.append(result)
        if on_result is not None:
            on_result(result)

    unreadable = []
    for sub in submissions:
        if sub.problem or sub.path is None:
            unreadable.append(Graded(sub.student, ex, None, sub.problem or "no answer", 0.0))
        else:
            pending.put_nowait(sub)

    def announce() -> None:
        """Once: say grading has begun, and count what was settled without a sandbox."""
        if ready:
            return
        ready.append(True)
        if on_ready is not None:
            on_ready()
        for result in unreadable:
            finish(result)

    async def worker() -> None:
        box = sandbox_for(ex)
        try:
            try:
                await box.start()
            except Exception as exc:  # SandboxError, or a failure to spawn at all
                start_failures.append(str(exc))
                return
            if device == "cuda" and not box.cuda:
                fatal.append(UsageError(_no_cuda(ex)))
                return
            announce()
            while not pending.empty() and not fatal:
                sub = pending.get_nowait()
                try:
                    finish(await grade_one(box, ex, sub, device=device, wait_s=wait_s))
                except UsageError as exc:
                    fatal.append(exc)
        finally:
            await box.close()

    # A task group, not gather: on ctrl+c it waits until every worker has closed its sandbox.
    async with asyncio.TaskGroup() as group:
        for _ in range(min(jobs, pending.qsize())):
            group.create_task(worker())
    if fatal:
        raise fatal[0]
    announce()
    while not pending.empty():
        sub = pending.get_nowait()
        reason = start_failures[0] if start_failures else "no sandbox was free"
        finish(Graded(sub.student, ex, None, f"the sandbox could not start: {reason}", 0.0))
    return sorted(results, key=lambda r: r.student)


def _no_cuda(ex: Exercise) -> str:
    why = "its checker runs without torch" if ex.kind == "numeric" else "torch sees no GPU"
    return (
        f"--device cuda was asked for, but no CUDA GPU is usable here for exercise "
        f"{ex.number} ({why}); use --device cpu or auto"
    )


async def grade_one(
    box: Sandbox, ex: Exercise, sub: Submission, *, device: str, wait_s: float
) -> Graded:
    """Check one submission on `box`; a worker that hangs or dies is replaced, not trusted."""
    from tutor.sandbox.client import SandboxError

    assert sub.path is not None
    started = time.perf_counter()

    def not_graded(reason: str) -> Graded:
        return Graded(sub.student, ex, None, reason, time.perf_counter() - started)

    source, problem = read_answer_text(sub.path)
    if source is None:
        return not_graded(problem or "unreadable")
    try:
        verdict = await asyncio.wait_for(
            check_answer(box, ex, source, filename=answer_filename(sub.path), device=device),
            wait_s,
        )
    except TimeoutError:
        await box.close()  # the next submission gets a fresh worker
        return not_graded(f"the sandbox gave no verdict within {wait_s:g} s; grade it again")
    except SandboxError as exc:
        await box.close()
        return not_graded(f"the sandbox broke down ({exc}); grade it again")
    except UsageError:
        raise
    except Exception as exc:  # a fault of the grader's own: this submission, not the class
        await box.close()
        return not_graded(f"the grader failed on it ({type(exc).__name__}: {exc}); report it")
    if not box.alive:
        return not_graded("the sandbox worker stopped while grading it; grade it again")
    return Graded(sub.student, ex, verdict, None, verdict.elapsed_s)


# -- what a teacher reads ---------------------------------------------------------------
@dataclass(frozen=True)
class PartSummary:
    """One part across the class: how many graded submissions failed it, for how many it was
    the first failure (usually the cause; later parts often fail because of it), and the
    message most of those first failures got."""

    part: str
    failed: int
    first: int
    message: str
    same_message: int


def part_summary(results: Sequence[Graded]) -> list[PartSummary]:
    """Parts the class failed, the most common first mistake first (ties in part order)."""
    order: dict[str, int] = {}
    failed: Counter[str] = Counter()
    first: dict[str, Counter[str]] = {}
    for result in results:
        if result.verdict is None:
            continue
        cause: Part | None = None
        for part in result.verdict.parts:
            order.setdefault(part.id, len(order))
            if not part.passed:
                failed[part.id] += 1
                cause = cause or part
        if cause is not None:
            first.setdefault(cause.id, Counter())[cause.message] += 1
    rows = []
    for pid, count in failed.items():
        messages = first.get(pid, Counter())
        message, same = min(messages.items(), key=lambda kv: (-kv[1], kv[0]), default=("", 0))
        rows.append(PartSummary(pid, count, sum(messages.values()), message, same))
    return sorted(rows, key=lambda r: (-r.first, -r.failed, order[r.part]))


def to_csv(results: Sequence[Graded]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(r.csv_row() for r in results)
    return buffer.getvalue()
