"""`cnn-tutor run FILE`: run a script in the sandbox and show its trace, losses and outcome."""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import sys
from pathlib import Path
from typing import Any

from tutor import events
from tutor.errors import UsageError
from tutor.sandbox.client import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_S, JobSpec, Sandbox
from tutor.sandbox.jobenv import DEFAULT_DISK_MB
from tutor.shapes import short_layer
from tutor.terminal import plain, use_colour, visible

# Larger than any lesson script by far; a bigger file is not a script to run.
MAX_SCRIPT_BYTES = 2_000_000


def read_script(path_text: str) -> tuple[Path, str]:
    """The script's path and text, or a UsageError that says how to mend the call."""
    path = Path(path_text)
    if not path.is_file():
        raise UsageError(f"no such file: {path_text}; give the path of a Python script")
    try:
        if path.stat().st_size > MAX_SCRIPT_BYTES:
            raise UsageError(
                f"{path_text} is larger than {MAX_SCRIPT_BYTES // 1_000_000} MB; "
                "give the path of a Python script, not a data file"
            )
        return path, path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"cannot read {path_text}: not UTF-8 text; save it as UTF-8") from None
    except OSError as exc:
        reason = exc.strerror or exc
        raise UsageError(f"cannot read {path_text}: {reason}; check the path") from None


def shape_text(shape: Any) -> str:
    if shape is None:
        return "-"
    if shape and isinstance(shape[0], list):
        return ", ".join(shape_text(s) for s in shape)
    return "(" + ", ".join(str(n) for n in shape) + ")"


def trace_table(rows: list[events.Shape]) -> str:
    """The per-layer shape trace as aligned text columns, with the output-size arithmetic and
    the receptive field of each conv and pool."""
    head = ("layer", "input", "output", "params", "output size", "rf")
    lines = [head]
    for row in rows:
        name = "  " * row.depth + visible(short_layer(row.layer or row.module or "?"))
        ins = ", ".join(shape_text(s) for s in row.inputs if s is not None) or "-"
        out = "FAILED" if row.failed else shape_text(row.out)
        field = f"{row.rf}×{row.rf}" if row.rf is not None else ""
        lines.append((name, ins, out, f"{row.params:,}", row.formula or "", field))
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    text = []
    for i, line in enumerate(lines):
        cells = [
            cell.rjust(w) if j == 3 else cell.ljust(w)
            for j, (cell, w) in enumerate(zip(line, widths, strict=True))
        ]
        text.append("  ".join(cells).rstrip())
        if i == 0:
            text.append("-" * max(len(t) for t in text))
    return "\n".join(text)


def notice_lines(notices: list[events.Warning | events.Note]) -> list[str]:
    """The doctor's warnings and the run's notes, one paragraph each."""
    lines = []
    for event in notices:
        if isinstance(event, events.Warning):
            where = f" (line {event.line})" if event.line else ""
            lines.append(f"⚠ {event.kind}{where}: {event.message}")
        else:
            lines.append(f"note: {event.text}")
    return lines


def loss_chart(losses: list[events.Loss], width: int = 72, height: int = 16) -> str:
    """The captured losses as a plotext chart (text)."""
    import plotext as plt

    points = [(e.step, e.value) for e in losses if math.isfinite(e.value)]
    if not points:
        return ""
    plt.clear_figure()
    plt.plotsize(width, height)
    plt.theme("clear")
    plt.plot([p[0] for p in points], [p[1] for p in points], label="loss per step")
    plt.title("training loss")
    plt.xlabel("step")
    chart = plt.build()
    return chart if use_colour(sys.stdout) else plain(chart)


async def stream(args: argparse.Namespace, spec: JobSpec) -> int:
    as_json = args.json
    rows: list[events.Shape] = []
    losses: list[events.Loss] = []
    errors: list[events.Error] = []
    notices: list[events.Warning | events.Note] = []
    done: events.Done | None = None
    async with Sandbox(torch=True) as box:
        if as_json:
            info = events.SandboxInfo(
                level=box.level, note=box.note, torch=box.info.torch, cuda=box.cuda
            )
            print(events.dumps(info), flush=True)
        else:
            lead = "warning: sandbox" if box.weak else "sandbox"
            print(f"{lead}: {box.note}", file=sys.stderr)
        async for event in box.run(spec):
            if as_json:
                print(events.dumps(event), flush=True)
            elif isinstance(event, events.Output):
                stream = sys.stdout if event.type == "stdout" else sys.stderr
                stream.write(visible(event.text))
                stream.flush()
            if isinstance(event, events.Shape):
                rows.append(event)
            elif isinstance(event, events.Loss):
                losses.append(event)
            elif isinstance(event, events.Error):
                errors.append(event)
            elif isinstance(event, (events.Warning, events.Note)):
                notices.append(event)
            elif isinstance(event, events.Done):
                done = event
    # The worker's `done` is the only status there is; the client always ends with one.
    ok = done is not None and done.status == "ok"
    if not as_json:
        summary(rows, losses, errors, done, notices)
    return 0 if ok else 1


def summary(
    rows: list[events.Shape],
    losses: list[events.Loss],
    errors: list[events.Error],
    done: events.Done | None,
    notices: list[events.Warning | events.Note] | None = None,
) -> None:
    out = sys.stdout
    if rows:
        out.write("\nshape trace (first forward pass of each model)\n")
        out.write(trace_table(rows) + "\n")
    if losses:
        out.write("\n" + loss_chart(losses) + "\n")
        last = losses[-1]
        out.write(f"last loss {last.value:.4f} at step {last.step}\n")
    if notices:
        out.write("\n" + "\n".join(notice_lines(notices)) + "\n")
    elapsed = done.elapsed_s if done else 0.0
    if done is not None and done.status == "ok":
        out.write(f"\n✓ finished in {elapsed:.2f} s on {done.device}\n")
        return
    out.write(f"\n✗ failed after {elapsed:.2f} s\n")
    for error in errors:
        where = f" (line {error.line})" if error.line else ""
        out.write(f"  {error.kind} error{where}: {visible(error.message)}\n")
        if error.explanation:
            out.write(f"  {visible(error.explanation)}\n")
    out.flush()


def run_script(args: argparse.Namespace) -> int:
    path, source = read_script(args.file)
    from tutor.course import unreadable

    problem = unreadable(source, path.name)
    if problem:  # the sandbox would fail the same way; say it in one line
        print(f"cnn-tutor: {problem}", file=sys.stderr)
        return 1
    from tutor.data import prepared_csv

    prepared_csv(args.data)  # a bad data source fails here, before the sandbox starts
    spec = JobSpec(
        source=source,
        filename=path.name,
        device=args.device,
        data=args.data,
        timeout_s=args.timeout or DEFAULT_TIMEOUT_S,
        memory_mb=int(args.memory or DEFAULT_MEMORY_MB),
        disk_mb=max(1, int(args.disk or DEFAULT_DISK_MB)),
    )
    from tutor.sandbox.jobenv import LEAN_ENV

    os.environ[LEAN_ENV] = "1"  # one run: the worker imports only what the job needs
    return asyncio.run(stream(args, spec))
