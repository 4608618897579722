"""The worker's end of a job's challenge socket: one seed out, one frame of evidence in.

A checked job may ask once (``?``) for the seed of its challenge, after the learner's answer
has run; the worker answers with the seed and a newline. What the job sends next is its
evidence: one frame, an 8-byte big-endian length, then that many bytes, at most
MAX_EVIDENCE_BYTES. Anything else (a second request, a request with no seed to give, a
larger length, more bytes than announced) ends the exchange with nothing kept.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from tutor.checks.evidence import HEADER_BYTES, MAX_EVIDENCE_BYTES


@dataclass
class Challenge:
    """One job's challenge socket as the worker sees it."""

    fd: int | None = None  # the worker's end; None once closed
    seed: int | None = None  # the seed this job may ask for once, after its answer ran
    asked: bool = False  # the seed was given: what comes next on the socket is evidence
    incoming: bytearray = field(default_factory=bytearray)
    evidence: bytes | None = None

    def take(self, chunk: bytes) -> bool:
        """Handle what the job sent (non-empty); True when the socket is to be closed."""
        if not self.asked:
            if self.seed is None or self.fd is None or chunk[:1] != b"?":
                return True
            self.asked = True
            try:
                os.write(self.fd, f"{self.seed}\n".encode())
            except OSError:
                return True
            chunk = chunk[1:]
        self.incoming += chunk
        if len(self.incoming) < HEADER_BYTES:
            return False
        size = int.from_bytes(self.incoming[:HEADER_BYTES], "big")
        if size > MAX_EVIDENCE_BYTES or len(self.incoming) > HEADER_BYTES + size:
            return True  # too much, or more than it announced: nothing is kept
        if len(self.incoming) == HEADER_BYTES + size:
            self.evidence = bytes(self.incoming[HEADER_BYTES:])
            return True
        return False

    def forget(self) -> None:
        """After the socket is closed: no seed left to give, no partial frame kept."""
        self.fd = None
        self.seed = None
        self.incoming = bytearray()
