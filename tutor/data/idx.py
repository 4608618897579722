"""The `idx:DIR` source: the four MNIST IDX files (gzipped or not), parsed with numpy."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import TYPE_CHECKING

from tutor.data.dataset import DIGIT_NAMES, GREY_SIDE, Dataset
from tutor.errors import UsageError

if TYPE_CHECKING:
    import numpy as np

IMAGES_MAGIC = 2051  # 0x00000803: unsigned bytes, three dimensions
LABELS_MAGIC = 2049  # 0x00000801: unsigned bytes, one dimension
PARTS = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
_LISTING = ", ".join(PARTS)


def find_idx_files(folder: Path) -> list[Path]:
    """The four IDX files of `folder` in PARTS order; plain preferred over .gz when both exist."""
    if not folder.exists():
        raise UsageError(f"no such folder: {folder}; give a folder with the four MNIST IDX files")
    if not folder.is_dir():
        raise UsageError(
            f"{folder} is not a folder; idx: takes a folder holding {_LISTING} (gzipped or not)"
        )
    found = []
    for part in PARTS:
        dotted = part.replace("-idx", ".idx")  # some mirrors name them train-images.idx3-ubyte
        candidates = [
            folder / f"{stem}{suffix}" for suffix in ("", ".gz") for stem in (part, dotted)
        ]
        chosen = next((c for c in candidates if c.is_file()), None)
        if chosen is None:
            raise UsageError(
                f"{folder} has no {part} (or {part}.gz); an MNIST folder holds {_LISTING}"
            )
        found.append(chosen)
    return found


def load_idx(folder: Path, name: str) -> Dataset:
    """Training then test images and labels of an MNIST-style folder as one Dataset."""
    import numpy as np

    train_x, train_y, test_x, test_y = find_idx_files(folder)
    images = []
    labels = []
    for image_file, label_file in ((train_x, train_y), (test_x, test_y)):
        pictures = read_idx(image_file, IMAGES_MAGIC)
        digits = read_idx(label_file, LABELS_MAGIC)
        if pictures.shape[1:] != (GREY_SIDE, GREY_SIDE):
            size = "x".join(str(d) for d in pictures.shape[1:])
            raise UsageError(f"{image_file}: images are {size}; the tutor needs 28x28 images")
        if len(pictures) != len(digits):
            raise UsageError(
                f"{label_file} holds {len(digits)} labels but {image_file.name} holds "
                f"{len(pictures)} images; the two files must come from the same set"
            )
        if digits.size and int(digits.max()) > 9:
            at = int(np.argmax(digits > 9))
            raise UsageError(
                f"{label_file}: label {int(digits[at])} at item {at + 1} is outside 0-9"
            )
        images.append(pictures)
        labels.append(digits.astype(np.int64))
    return Dataset(
        images=np.concatenate(images),
        labels=np.concatenate(labels),
        name=name,
        class_names=DIGIT_NAMES,
    )


def read_idx(path: Path, magic: int) -> np.ndarray:
    """One IDX file of unsigned bytes (a read-only array), checked against `magic` and sizes."""
    import numpy as np

    raw = _read_bytes(path)
    kind = "images" if magic == IMAGES_MAGIC else "labels"
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    if len(raw) < 4:
        raise UsageError(f"{path} is too short to be an IDX file ({len(raw)} bytes)")
    found = int.from_bytes(raw[:4], "big")
    if found != magic:
        raise UsageError(
            f"{path}: magic number {found} is not {magic} (IDX {kind}); "
            "is this the right file, and not corrupted?"
        )
    if len(raw) < header:
        raise UsageError(f"{path} is truncated: its header is cut short")
    dims = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = header + int(np.prod(dims, dtype=np.int64))
    if len(raw) < expected:
        raise UsageError(
            f"{path} is truncated: its header promises {dims[0]} {kind} ({expected} bytes) "
            f"but the file holds {len(raw)} bytes; download it again"
        )
    if len(raw) > expected:
        raise UsageError(
            f"{path} has {len(raw) - expected} bytes after its {dims[0]} {kind}; "
            "is it really an IDX file?"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


def _read_bytes(path: Path) -> bytes:
    """The file's contents, gunzipped when it ends in .gz."""
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as handle:
                return handle.read()
        return path.read_bytes()
    except gzip.BadGzipFile:
        raise UsageError(f"{path} is not a valid gzip file; download it again") from None
    except EOFError:
        raise UsageError(
            f"{path} is truncated (the gzip stream ends early); download it again"
        ) from None
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
