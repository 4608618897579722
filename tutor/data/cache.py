"""Prepared `mnist_small.csv` files per data source, cached on disk across runs and processes."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

from platformdirs import user_cache_dir

from tutor.data.sources import load, parse_spec
from tutor.errors import UsageError

CACHE_ENV = "CNN_TUTOR_CACHE"
CSV_NAME = "mnist_small.csv"
_FORMAT = 1  # bump when a built-in source or the CSV writer changes what it produces


def cache_root() -> Path:
    """The tutor's cache folder: $CNN_TUTOR_CACHE, else the XDG cache folder."""
    chosen = os.environ.get(CACHE_ENV)
    if chosen:
        return Path(chosen).expanduser().resolve()
    return Path(user_cache_dir("cnn-tutor", appauthor=False))


def prepared_csv(spec: str = "digits") -> Path:
    """An MNIST-layout CSV of the source `spec` names, written once and then reused.

    The entry is keyed by the source and, for files, their size and modification time,
    so an edited file is prepared again; a hit only stats files (no numpy, no pandas).
    """
    kind, where = parse_spec(spec)
    if kind == "rgb":
        raise UsageError(
            "rgb holds colour 32x32 images (3072 values each) and has no MNIST CSV; "
            "the MNIST CSV layout holds grey 28x28 images only"
        )
    source, fingerprint = _source_key(kind, where)
    prefix = f"{kind}-{_digest(source)}-"
    folder = cache_root() / "data" / f"{prefix}{_digest(fingerprint)}"
    target = folder / CSV_NAME
    if target.is_file():
        return target
    dataset = load(spec)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(
            f"cannot write the data cache {folder}: {exc.strerror or exc}; "
            f"set {CACHE_ENV} to a folder you can write to"
        ) from None
    from tutor.data.csvfile import write_mnist_csv

    write_mnist_csv(dataset, target)
    _drop_stale(folder, prefix)
    return target


def _source_key(kind: str, where: str | None) -> tuple[object, object]:
    """What the source is, and what changes when its content may have changed."""
    if kind == "digits":
        return ["digits"], [_FORMAT]
    assert where is not None
    path = Path(where).expanduser().resolve()
    if kind == "csv":
        from tutor.data.csvfile import require_csv_file

        require_csv_file(path)
        files = [path]
    else:
        from tutor.data.idx import find_idx_files

        files = find_idx_files(path)
    stamps = []
    for file in files:
        info = file.stat()
        stamps.append([str(file), info.st_size, info.st_mtime_ns])
    return [kind, str(path)], [_FORMAT, stamps]


def _digest(value: object) -> str:
    return hashlib.sha256(json.dumps(value).encode()).hexdigest()[:12]


def _drop_stale(keep: Path, prefix: str) -> None:
    """Remove entries of the same source made from an older version of its files."""
    for entry in keep.parent.glob(f"{prefix}*"):
        if entry != keep and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
