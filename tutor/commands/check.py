"""`cnn-tutor check EX [FILE]`: check an exercise answer in the sandbox and say what is wrong.

Exit status: 0 when every part passed, 1 when some part failed (including code that
raised, timed out, ran out of memory or did not parse), 2 for a usage or input error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tutor.checks import Verdict, workspace_answer
from tutor.checks.comparison import batch_losses, training_curves
from tutor.checks.curve_cache import checks_cache
from tutor.checks.refdiff import ReferenceDiff, diff_table
from tutor.checks.runner import answer_filename, check_answer, sandbox_for
from tutor.checks.verdict import parts_passed
from tutor.course import ContentError, Exercise, find_exercise
from tutor.errors import UsageError
from tutor.paths import learner_home
from tutor.progress import Progress
from tutor.terminal import plain, use_colour, visible

if TYPE_CHECKING:
    from tutor.sandbox.client import Sandbox

# An answer is a short Python file; anything this big is not one.
MAX_ANSWER_BYTES = 1_000_000


def find(name: str) -> Exercise:
    """The exercise a command line names, or a one-line UsageError listing the choices."""
    try:
        return find_exercise(name)
    except ContentError as exc:
        raise UsageError(str(exc)) from None


def answer_path(args: argparse.Namespace, ex: Exercise) -> Path:
    """FILE when given (it must exist), else the learner's workspace copy (made if new)."""
    if args.file:
        path = Path(args.file).expanduser()
        if path.is_dir():
            raise UsageError(f"{args.file} is a folder; give the path of your answer .py file")
        if not path.exists():
            raise UsageError(
                f"no such file: {args.file}; give the path of your answer, or leave FILE out "
                f"to check your workspace copy of exercise {ex.number}"
            )
        return path
    try:
        return workspace_answer(learner_home(args.home), ex)
    except OSError as exc:
        raise UsageError(
            f"cannot create your workspace copy of exercise {ex.number}: "
            f"{exc.strerror or exc}; choose another folder with --home DIR"
        ) from None


def job_limits(args: argparse.Namespace) -> dict[str, float]:
    """--timeout, --memory and --disk, where given (already checked finite and positive)."""
    given = {
        "timeout_s": getattr(args, "timeout", None),
        "memory_mb": getattr(args, "memory", None),
        "disk_mb": getattr(args, "disk", None),
    }
    return {name: float(value) for name, value in given.items() if value is not None}


def read_answer(path: Path) -> str:
    try:
        if path.stat().st_size > MAX_ANSWER_BYTES:
            raise UsageError(
                f"{path} is larger than {MAX_ANSWER_BYTES // 1_000_000} MB, far more than an "
                "answer needs; check that FILE is your answer .py file"
            )
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not UTF-8 text; save your answer as UTF-8") from None
    except OSError as exc:
        reason = exc.strerror or exc
        raise UsageError(f"cannot read {path}: {reason}; check its permissions") from None


def record(args: argparse.Namespace, verdict: Verdict) -> None:
    """Remember the result in the learner's progress; a failure to save is only a warning."""
    progress = Progress(home=learner_home(args.home))
    try:
        with progress.changing():
            progress.record_check(verdict.slug, verdict.passed)
    except OSError as exc:
        print(f"note: could not save your progress ({exc.strerror or exc})", file=sys.stderr)
    if progress.notice:
        print(f"note: {progress.notice}", file=sys.stderr)


def _marks() -> tuple[str, str]:
    encoding = getattr(sys.stdout, "encoding", None) or "ascii"
    try:
        "✓✗·".encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return "ok", "XX"
    return "✓", "✗"


def render(verdict: Verdict, ex: Exercise, path: Path | None = None) -> str:
    """The verdict for a person: one line per part, then a summary."""
    good, bad = _marks()
    width = max(60, min(shutil.get_terminal_size((100, 24)).columns, 120))
    label = max([len(p.id) for p in verdict.parts] + [8])
    lines = [f"Exercise {ex.number} · {ex.slug}: {ex.title}"]
    if path is not None:
        lines.append(f"answer: {path}")
    lines.append("")
    for part in verdict.parts:
        lead = f"  {good if part.passed else bad} {part.id.ljust(label)}  "
        body = textwrap.wrap(visible(part.message), width - len(lead)) or [""]
        lines.append(lead + body[0])
        lines.extend(" " * len(lead) + rest for rest in body[1:])
    if verdict.reference_diff is not None:
        lines += ["", *diff_lines(verdict.reference_diff, width)]
    chart = comparison_chart(verdict.facts)
    if chart:
        lines += ["", chart]
    passed = sum(p.passed for p in verdict.parts)
    total = len(verdict.parts)
    lines.append("")
    took = f"in {verdict.elapsed_s:.2f} s"
    said = parts_passed(passed, total)
    if verdict.passed:
        lines.append(f"{good} {said} {took}. Well done!")
    else:
        lines.append(
            f"{bad} {said} {took}. Fix the parts marked {bad} and "
            f"check again; stuck? see the hints in {ex.folder / 'hints.md'}"
        )
    return "\n".join(lines)


def diff_lines(diff: ReferenceDiff, width: int) -> list[str]:
    """The learner's model beside the reference, the first differing row marked."""
    mark = "▶" if _marks()[0] == "✓" else ">"
    table = diff_table(diff, width, mark)
    return ["Your model beside the reference:", *table.lines, table.summary]


def comparison_chart(facts: dict[str, Any] | None) -> str:
    """For a verdict with a training comparison (exercise 6): both loss curves, both accuracies."""
    curves = training_curves(facts)
    if not curves:
        return ""
    training = (facts or {}).get("training") or {}
    import plotext as plt

    plt.clear_figure()
    plt.theme("clear")
    plt.plotsize(min(shutil.get_terminal_size((100, 24)).columns, 110), 16)
    plt.subplots(1, 2)
    plt.subplot(1, 1)
    per_batch = batch_losses(facts)
    for label, (loss, _) in curves.items():
        series = per_batch.get(label, loss)
        plt.plot(list(range(1, len(series) + 1)), series, label=label, marker="dot")
    plt.title("training loss per batch" if per_batch else "mean training loss per epoch")
    plt.xlabel("batch" if per_batch else "epoch")
    plt.subplot(1, 2)
    for label, (_, accuracy) in curves.items():
        plt.plot(list(range(1, len(accuracy) + 1)), [100 * a for a in accuracy], label=label)
    plt.title("test accuracy per epoch (%)")
    plt.xlabel("epoch")
    chart = plt.build()
    plt.clear_figure()
    if not use_colour(sys.stdout):
        chart = plain(plt.uncolorize(chart))
    origin = "your SimpleCNN" if training.get("plain_from") == "yours" else "the tutor's SimpleCNN"
    if training.get("plain_cached"):
        origin += " (its curve kept from an earlier check on this machine)"
    rows = [chart, f"Same seed, data and SGD (lr {training.get('lr')}); the baseline is {origin}."]
    for label, (loss, accuracy) in curves.items():
        rows.append(f"  {label:<18} final loss {loss[-1]:.3f}   test accuracy {accuracy[-1]:.1%}")
    note = (facts or {}).get("observation")
    if isinstance(note, str) and note.strip():
        rows.append(f"Your observation: {visible(note.strip())}")
    return "\n".join(rows)


async def check_as_asked(
    box: Sandbox, ex: Exercise, source: str, path: Path, args: argparse.Namespace
) -> Verdict:
    """Check `source` (from `path`) with the device, limits and home the command was given."""
    return await check_answer(
        box,
        ex,
        source,
        filename=answer_filename(path),
        device=args.device,
        limits=job_limits(args),
        cache_dir=checks_cache(learner_home(args.home)),
    )


def warn_if_weak(box: Any) -> None:
    """Say on stderr, every time, when the sandbox cannot keep the learner's files safe."""
    if box.weak:
        print(f"warning: sandbox: {box.note}", file=sys.stderr, flush=True)


def print_verdict(verdict: Verdict, ex: Exercise, path: Path, as_json: bool) -> None:
    if as_json:
        print(json.dumps(verdict.to_json()), flush=True)
    else:
        print(render(verdict, ex, path), flush=True)


def check_exercise(args: argparse.Namespace) -> int:
    ex = find(args.exercise)
    path = answer_path(args, ex)
    source = read_answer(path)
    from tutor.sandbox.client import SandboxError
    from tutor.sandbox.jobenv import LEAN_ENV

    os.environ[LEAN_ENV] = "1"  # one check: the worker imports only what the job needs

    async def checked() -> Verdict:
        async with sandbox_for(ex) as box:
            warn_if_weak(box)
            return await check_as_asked(box, ex, source, path, args)

    try:
        verdict = asyncio.run(checked())
    except SandboxError as exc:
        print(f"cnn-tutor: the sandbox could not run the check: {exc}", file=sys.stderr)
        return 1
    print_verdict(verdict, ex, path, args.json)
    record(args, verdict)
    return 0 if verdict.passed else 1
