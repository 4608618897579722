"""`cnn-tutor run FILE`: run a script in the sandbox and show its trace, losses and outcome."""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
from pathlib import Path
from typing import Any

from tutor import events
from tutor.errors import UsageError
from tutor.sandbox.client import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_S, JobSpec, Sandbox


def read_script(path_text: str) -> tuple[Path, str]:
    """The script's path and text, or a UsageError that says how to mend the call."""
    path = Path(path_text)
    if not path.is_file():
        raise UsageError(f"no such file: {path_text}; give the path of a Python script")
    try:
        return path, path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path_text}: {exc}; save it as UTF-8 text") from exc


def shape_text(shape: Any) -> str:
    if shape is None:
        return "-"
    if shape and isinstance(shape[0], list):
        return ", ".join(shape_text(s) for s in shape)
    return "(" + ", ".join(str(n) for n in shape) + ")"


def trace_table(rows: list[events.Shape]) -> str:
    """The per-layer shape trace as aligned text columns."""
    lines = [("layer", "input", "output", "params")]
    for row in rows:
        name = "  " * row.depth + (row.layer or row.module or "?")
        ins = ", ".join(shape_text(s) for s in row.inputs if s is not None) or "-"
        out = "FAILED" if row.failed else shape_text(row.out)
        lines.append((name, ins, out, f"{row.params:,}"))
    widths = [min(48, max(len(line[i]) for line in lines)) for i in range(4)]
    text = []
    for i, line in enumerate(lines):
        cells = [
            line[0][: widths[0]].ljust(widths[0]),
            line[1].ljust(widths[1]),
            line[2].ljust(widths[2]),
            line[3].rjust(widths[3]),
        ]
        text.append("  ".join(cells).rstrip())
        if i == 0:
            text.append("-" * len(text[0]))
    return "\n".join(text)


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
    return plt.build()


async def stream(args: argparse.Namespace, spec: JobSpec) -> int:
    as_json = args.json
    rows: list[events.Shape] = []
    losses: list[events.Loss] = []
    errors: list[events.Error] = []
    done: events.Done | None = None
    async with Sandbox(torch=True) as box:
        if as_json:
            info = events.SandboxInfo(
                level=box.level, note=box.note, torch=box.info.torch, cuda=box.cuda
            )
            print(events.dumps(info), flush=True)
        else:
            print(f"sandbox: {box.note}", file=sys.stderr)
        async for event in box.run(spec):
            if as_json:
                print(events.dumps(event), flush=True)
            elif isinstance(event, events.Output):
                stream = sys.stdout if event.type == "stdout" else sys.stderr
                stream.write(event.text)
                stream.flush()
            if isinstance(event, events.Shape):
                rows.append(event)
            elif isinstance(event, events.Loss):
                losses.append(event)
            elif isinstance(event, events.Error):
                errors.append(event)
            elif isinstance(event, events.Done):
                done = event
    # The worker's `done` is the only status there is; the client always ends with one.
    ok = done is not None and done.status == "ok"
    if not as_json:
        summary(rows, losses, errors, done)
    return 0 if ok else 1


def summary(
    rows: list[events.Shape],
    losses: list[events.Loss],
    errors: list[events.Error],
    done: events.Done | None,
) -> None:
    out = sys.stdout
    if rows:
        out.write("\nshape trace (first forward pass of each model)\n")
        out.write(trace_table(rows) + "\n")
    if losses:
        out.write("\n" + loss_chart(losses) + "\n")
        last = losses[-1]
        out.write(f"last loss {last.value:.4f} at step {last.step}\n")
    elapsed = done.elapsed_s if done else 0.0
    if done is not None and done.status == "ok":
        out.write(f"\n✓ finished in {elapsed:.2f} s on {done.device}\n")
        return
    out.write(f"\n✗ failed after {elapsed:.2f} s\n")
    for error in errors:
        where = f" (line {error.line})" if error.line else ""
        out.write(f"  {error.kind} error{where}: {error.message}\n")
        if error.explanation:
            out.write(f"  {error.explanation}\n")
    out.flush()


def run_script(args: argparse.Namespace) -> int:
    path, source = read_script(args.file)
    if args.timeout is not None and args.timeout <= 0:
        raise UsageError("--timeout must be a positive number of seconds, e.g. --timeout 60")
    if args.memory is not None and args.memory < 64:
        raise UsageError("--memory is in MB and must be at least 64, e.g. --memory 2048")
    from tutor.data import prepared_csv

    prepared_csv(args.data)  # a bad data source fails here, before the sandbox starts
    spec = JobSpec(
        source=source,
        filename=path.name,
        device=args.device,
        data=args.data,
        timeout_s=args.timeout or DEFAULT_TIMEOUT_S,
        memory_mb=args.memory or DEFAULT_MEMORY_MB,
    )
    return asyncio.run(stream(args, spec))
