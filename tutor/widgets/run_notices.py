"""The doctor's warnings and the run's notes, as lines for the playground's output log."""

from __future__ import annotations

from typing import Any

NOTICE_TYPES = ("warning", "note")


def notice_text(event: dict[str, Any]) -> str:
    """One warning or note as a paragraph: '⚠ zero-grad (line 12): ...' or 'note: ...'."""
    if event.get("type") == "warning":
        where = f" (line {event['line']})" if event.get("line") else ""
        return f"\n⚠ {event.get('kind', 'warning')}{where}: {event.get('message', '')}\n"
    return f"\nnote: {event.get('text', '')}\n"


def as_output(event: dict[str, Any]) -> dict[str, Any]:
    """A stdout/stderr event as it is; a warning or note as an output event with its text."""
    if event.get("type") in NOTICE_TYPES:
        return {"type": "stdout", "text": notice_text(event)}
    return event
