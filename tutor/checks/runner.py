"""Checking an answer in the sandbox: one job per check, on a worker kept warm by the caller.

No textual and no torch here: the CLI (check, watch) and the TUI share these functions.
"""

from __future__ import annotations

import re
import secrets
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tutor import events
from tutor.checks.curve_cache import keep_results, read_cache
from tutor.checks.loader import check_params
from tutor.checks.verdict import Verdict, parse_failure, verdict_from_events
from tutor.course import syntax_error

if TYPE_CHECKING:
    from tutor.course import Exercise
    from tutor.sandbox.client import Sandbox

DEFAULT_TIMEOUT_S = 60.0
DEFAULT_MEMORY_MB = 2048


def sandbox_for(ex: Exercise) -> Sandbox:
    """A sandbox suited to `ex`: numeric exercises get a worker that never imports torch."""
    from tutor.sandbox.client import Sandbox

    return Sandbox(torch=ex.kind != "numeric", warm=ex.warm)


def answer_filename(path: Path | str | None) -> str:
    """The name the learner's file has inside the sandbox (tracebacks show it)."""
    name = Path(path).name if path else "answer.py"
    return name if re.fullmatch(r"[\w.-]+\.py", name) else "answer.py"


async def check_answer(
    box: Sandbox,
    ex: Exercise,
    source: str,
    *,
    filename: str = "answer.py",
    device: str = "auto",
    params: dict[str, Any] | None = None,
    limits: dict[str, float] | None = None,
    cache_dir: Path | None = None,
) -> Verdict:
    """Run `source` against `ex`'s checker on a started sandbox and judge what it found.

    Only the exercise's probe goes into the job. Where the exercise has a referee, the
    probe's evidence (made from a challenge seed chosen here) goes to the referee, and a
    pass needs its agreement as well as every part of the judge.

    `limits` (timeout_s, memory_mb, disk_mb) overrides the exercise's own where given;
    `cache_dir` is where results the checker keeps between checks live (none if None)."""
    from tutor.sandbox.client import JobSpec

    started = time.perf_counter()
    problem = syntax_error(source, filename)
    if problem:
        return parse_failure(ex, problem, time.perf_counter() - started)
    chosen = check_params(ex)
    chosen.update(params or {})
    wanted = {**ex.limits, **{k: v for k, v in (limits or {}).items() if v is not None}}
    kept = read_cache(cache_dir, ex.slug)
    if kept:
        chosen["cache"] = kept
    spec = JobSpec(
        source=source,
        filename=filename,
        device=device,
        data=None,
        timeout_s=float(wanted.get("timeout_s", DEFAULT_TIMEOUT_S)),
        memory_mb=int(wanted.get("memory_mb", DEFAULT_MEMORY_MB)),
        trace=False,
        probe_source=ex.probe_source,
        params=chosen,
    )
    if wanted.get("disk_mb"):
        spec.disk_mb = max(1, int(wanted["disk_mb"]))
    referee_source = ex.referee_source
    seed = secrets.randbits(31) if referee_source is not None else None
    stream = [event async for event in box.run(spec, challenge=seed)]
    answer: dict[str, Any] | None = None
    if referee_source is not None and not any(isinstance(e, events.Error) for e in stream):
        judged = {k: v for k, v in chosen.items() if k != "cache"}
        answer = await box.referee(referee_source, seed, judged, box.last_evidence())
    verdict = verdict_from_events(ex, stream, time.perf_counter() - started, referee=answer)
    keep_results(cache_dir, ex.slug, (verdict.facts or {}).pop("cache_put", None))
    return verdict


async def check_once(
    ex: Exercise,
    source: str,
    *,
    filename: str = "answer.py",
    device: str = "auto",
    params: dict[str, Any] | None = None,
    limits: dict[str, float] | None = None,
    cache_dir: Path | None = None,
) -> Verdict:
    """Check one answer on a sandbox of its own, started and stopped here."""
    async with sandbox_for(ex) as box:
        return await check_answer(
            box,
            ex,
            source,
            filename=filename,
            device=device,
            params=params,
            limits=limits,
            cache_dir=cache_dir,
        )
