"""Data SPEC strings (`digits`, `csv:PATH`, `idx:DIR`, `rgb`) and loading the data they name."""

from __future__ import annotations

from pathlib import Path

from tutor.data.dataset import Dataset
from tutor.errors import UsageError

KINDS = ("digits", "csv", "idx", "rgb")
SPEC_HELP = "digits (built in), csv:PATH, idx:DIR or rgb"
_TAKES_PATH = {"csv": "csv:PATH, e.g. csv:mnist_small.csv", "idx": "idx:DIR, e.g. idx:~/mnist"}


def parse_spec(spec: str) -> tuple[str, str | None]:
    """Split a data SPEC into its kind and path: ("digits", None), ("csv", "x.csv") ..."""
    text = spec.strip()
    if not text:
        raise UsageError(f"no data source given; use {SPEC_HELP}")
    kind, colon, rest = text.partition(":")
    kind = kind.lower()
    if kind in ("digits", "rgb"):
        if colon:
            raise UsageError(f"{kind} takes no path (found {spec!r}); write just {kind}")
        return kind, None
    if kind in _TAKES_PATH:
        if not rest.strip():
            raise UsageError(f"{kind} needs a path after the colon: {_TAKES_PATH[kind]}")
        return kind, rest.strip()
    raise UsageError(f"unknown data source {spec!r}{_guess(text)}; use {SPEC_HELP}")


def load(spec: str = "digits") -> Dataset:
    """The dataset a SPEC names; a bad SPEC or file raises a one-line UsageError."""
    kind, where = parse_spec(spec)
    if kind == "digits":
        from tutor.data.digits import load_digits

        return load_digits()
    if kind == "rgb":
        from tutor.data.rgb import load_rgb

        return load_rgb()
    assert where is not None
    path = Path(where).expanduser()
    if kind == "csv":
        from tutor.data.csvfile import read_mnist_csv

        return read_mnist_csv(path, name=f"csv:{where}")
    from tutor.data.idx import load_idx

    return load_idx(path, name=f"idx:{where}")


def _guess(text: str) -> str:
    """A hint when a bare path was given where a SPEC was expected."""
    path = Path(text).expanduser()
    if text.lower().endswith((".csv", ".csv.gz")) or path.is_file():
        return f" (for a CSV file write csv:{text})"
    if path.is_dir():
        return f" (for a folder of IDX files write idx:{text})"
    return ""
