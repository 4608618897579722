"""The trained-model snapshot: what the playground keeps of its last Train run, for the lessons.

One home for the file's place and format. The playground writes it with `save_snapshot`
after a training run; the feature-maps picture reads it with `read_snapshot`. Format
(JSON, version 1): `digit` (28x28 ints 0-255), `filters` (up to 16 k x k grids of the
first conv layer on its first input channel), `feature_maps` (that layer's outputs for
`digit`), `digit_label`, `accuracy` and `source` (where the code came from). No textual.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tutor.progress import atomic_write_text

MODEL_FILE = "last_model.json"
VERSION = 1
MAX_BYTES = 4 << 20  # a real snapshot is about 150 kB

Grid = list[list[float]]


def playground_dir(home: Path) -> Path:
    """Where the learner's playground files and the last trained model live."""
    return home / "playground"


def snapshot_path(home: Path) -> Path:
    return playground_dir(home) / MODEL_FILE


def save_snapshot(home: Path, evaluation: dict[str, Any], source: str) -> bool:
    """Keep a training run's first-layer filters and maps; False when it had no conv layer.

    OSError when the file cannot be written.
    """
    if not evaluation.get("filters"):
        return False
    keep = ("accuracy", "filters", "feature_maps", "digit", "digit_label")
    data = {"version": VERSION, "source": source, **{k: evaluation.get(k) for k in keep}}
    atomic_write_text(snapshot_path(home), json.dumps(data))
    return True


@dataclass(frozen=True)
class Snapshot:
    digit: Grid  # 0-255
    filters: list[Grid]  # 3x3 each
    maps: list[Grid]
    label: int | None


def _square(value: Any, what: str) -> Grid:
    rows = [[float(x) for x in row] for row in value]
    if not rows or any(len(row) != len(rows) for row in rows):
        raise ValueError(f"{what} is not a square grid")
    return rows


def read_snapshot(path: Path) -> Snapshot:
    """The snapshot at `path`; OSError or ValueError (with what is wrong) when unusable."""
    with path.open("rb") as handle:
        raw = handle.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise ValueError(f"it is over {MAX_BYTES >> 20} MB")
    try:
        data = json.loads(raw.decode("utf-8"))
        digit = _square(data["digit"], "digit")
        if max(max(row) for row in digit) <= 1.0:
            digit = [[v * 255 for v in row] for row in digit]
        filters = []
        for raw_filter in data["filters"]:
            grid = raw_filter[0] if len(raw_filter) == 1 else raw_filter
            flat = [float(x) for row in grid for x in (row if isinstance(row, list) else [row])]
            if len(flat) != 9:
                raise ValueError("a filter is not 3x3")
            filters.append([flat[0:3], flat[3:6], flat[6:9]])
        maps = [_square(m[0] if len(m) == 1 else m, "a feature map") for m in data["feature_maps"]]
        label = data.get("label", data.get("digit_label"))
    except (KeyError, TypeError, IndexError, RecursionError) as exc:
        raise ValueError(f"it lacks or garbles {exc}") from None
    return Snapshot(digit, filters, maps[: len(filters)], label if isinstance(label, int) else None)
