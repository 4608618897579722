"""The doctor's warnings and the run's notes, as lines for the playground's output log."""

from __future__ import annotations

from tutor import events

OUTPUT_EVENTS = (events.Output, events.Warning, events.Note)


def notice_text(event: events.Warning | events.Note) -> str:
    """One warning or note as a paragraph: '⚠ zero-grad (line 12): ...' or 'note: ...'."""
    if isinstance(event, events.Warning):
        where = f" (line {event.line})" if event.line else ""
        return f"\n⚠ {event.kind}{where}: {event.message}\n"
    return f"\nnote: {event.text}\n"


def as_output(event: events.Output | events.Warning | events.Note) -> events.Output:
    """Printed text as it is; a warning or note as output text of its own."""
    if isinstance(event, events.Output):
        return event
    return events.Output(type="stdout", text=notice_text(event))
