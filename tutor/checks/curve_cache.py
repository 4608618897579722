"""Results a checker may keep per machine between checks (exercise 6's baseline curve).

A checker's probe gets the kept entries as `params["cache"]` and may return new ones as
`facts["cache_put"]` ({key: result}); the key says what the result depends on (torch,
seed, data, model), so anything different computes afresh. The file lives in the
learner's folder, is read with a size bound and keeps the newest few entries; a damaged
one is ignored and rewritten. No textual, no torch.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from tutor.progress import atomic_write_text

MAX_BYTES = 1 << 20
KEEP = 8
MAX_NUMBERS = 5000  # per entry: far more than a few epochs of batch losses


def checks_cache(home: Path) -> Path:
    """The folder of kept results in the learner's home."""
    return home / "cache" / "checks"


def cache_file(folder: Path, slug: str) -> Path:
    return folder / f"{slug}.json"


def _entry_ok(key: Any, value: Any) -> bool:
    if not (isinstance(key, str) and 0 < len(key) <= 128 and isinstance(value, dict)):
        return False
    numbers = 0
    for series in value.values():
        if not isinstance(series, list):
            return False
        numbers += len(series)
        if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in series):
            return False
    return numbers <= MAX_NUMBERS


def read_cache(folder: Path | None, slug: str) -> dict[str, Any]:
    """The kept entries for `slug`; {} when there are none or the file is unusable."""
    if folder is None:
        return {}
    try:
        with cache_file(folder, slug).open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
        data = json.loads(raw) if len(raw) <= MAX_BYTES else None
    except (OSError, ValueError, RecursionError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in list(data.items())[-KEEP:] if _entry_ok(k, v)}


def keep_results(folder: Path | None, slug: str, new: Any) -> None:
    """Add a checker's `cache_put` entries (checked for shape and size); errors ignored."""
    if folder is None or not isinstance(new, dict) or len(new) > 1:
        return
    entries = {k: v for k, v in new.items() if _entry_ok(k, v)}
    if not entries:
        return
    kept = read_cache(folder, slug)
    kept.update(entries)
    try:
        atomic_write_text(cache_file(folder, slug), json.dumps(dict(list(kept.items())[-KEEP:])))
    except OSError:
        pass  # a cache that cannot be written costs time, nothing else
