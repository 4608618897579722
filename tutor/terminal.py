"""Text for a terminal: learner output made harmless, and colour only where it belongs.

No textual, no torch.
"""

from __future__ import annotations

import os
import re
from typing import TextIO

# C0 controls but tab and newline, DEL, and the C1 controls (0x80-0x9f: a lone 0x9b is a
# CSI to many terminals). Escape sequences are left in place but shown, not obeyed.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]")


def _show(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)  # ␀ … ␟, so ESC [ 3 1 m reads ␛[31m
    if code == 0x7F:
        return "␡"
    return f"\\x{code:02x}"


def visible(text: str) -> str:
    """`text` with every control character shown as a symbol instead of acted on."""
    return _CONTROL.sub(_show, text)


def use_colour(stream: TextIO) -> bool:
    """Colour for a terminal only, and never when NO_COLOR is set (no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # closed
        return False


_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")


def plain(text: str) -> str:
    """The tutor's own coloured text (a plotext chart) without its escape sequences."""
    return _ANSI.sub("", text)
