"""The worker's reader of a job's event channel: bounded, typed, and never obeyed.

The job's process holds the writing end, and so does the learner's code running in it, so
every byte here is untrusted. The reader caps the length of one line, the total bytes and
the number of events before it keeps anything (it is fed the pipe in chunks), decodes each
line with `tutor.events` and accepts only the kinds a job may send. Anything else raises
`ChannelError` with what was wrong; the worker then stops the job.
"""

from __future__ import annotations

from collections.abc import Iterator

from tutor import events
from tutor.events import ChannelError, Event

MAX_LINE = 1 << 20  # one event: 1 MiB (the playground's evaluation is about 100 kB)
MAX_EVENTS = 100_000  # per job: ~30 minutes of losses at the tracer's 50 a second
BYTES_PER_OUTPUT_BYTE = 8  # the channel may carry 8x the job's output limit (16 MB default)


class ChannelReader:
    """Feed it what `os.read` returned; get back the complete events in it."""

    def __init__(
        self,
        *,
        max_bytes: int,
        max_line: int = MAX_LINE,
        max_events: int = MAX_EVENTS,
        kinds: frozenset[str] = events.JOB_KINDS,
        once: frozenset[str] = frozenset({"facts", "_device"}),
    ) -> None:
        self.max_bytes = max_bytes
        self.max_line = max_line
        self.max_events = max_events
        self.kinds = kinds
        self.once = once
        self.total = 0
        self.count = 0
        self.seen: set[str] = set()
        self._partial: list[bytes] = []
        self._partial_len = 0

    def feed(self, chunk: bytes) -> Iterator[Event]:
        """The events completed by `chunk`, in order; ChannelError at the first thing wrong."""
        self.total += len(chunk)
        if self.total > self.max_bytes:
            raise ChannelError(f"more than {_size(self.max_bytes)} of events")
        start = 0
        while True:
            end = chunk.find(b"\n", start)
            if end < 0:
                rest = len(chunk) - start
                if self._partial_len + rest > self.max_line:
                    raise ChannelError(f"a line longer than {_size(self.max_line)}")
                if rest:
                    self._partial.append(chunk[start:])
                    self._partial_len += rest
                return
            if self._partial_len + end - start > self.max_line:
                raise ChannelError(f"a line longer than {_size(self.max_line)}")
            piece = chunk[start:end]
            if self._partial:
                piece = b"".join([*self._partial, piece])
                self._partial, self._partial_len = [], 0
            start = end + 1
            if piece.strip():
                yield self._event(piece)

    def close(self) -> None:
        """The channel ended: a last line without its newline is not an event."""
        if self._partial_len:
            raise ChannelError("a last line cut off before its end")

    def _event(self, line: bytes) -> Event:
        self.count += 1
        if self.count > self.max_events:
            raise ChannelError(f"more than {self.max_events:,} events")
        event = events.decode(line, self.kinds)
        if event.type in self.once:
            if event.type in self.seen:
                raise ChannelError(f"a second {event.type.lstrip('_')!r} event")
            self.seen.add(event.type)
        return event


def _size(n: int) -> str:
    return f"{n / (1 << 20):g} MiB" if n >= 1 << 20 else f"{n / 1024:g} kB"
