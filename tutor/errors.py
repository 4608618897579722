"""Errors that carry a one-line message for a person (no textual, no torch)."""

from __future__ import annotations


class UsageError(Exception):
    """A mistake in how the tutor was called or in a file it was given: exit status 2.

    The message is one line that says what is wrong and how to mend it.
    """
