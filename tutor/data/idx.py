"""The `idx:DIR` source: the four MNIST IDX files (gzipped or not), parsed with numpy."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

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
# Real MNIST holds 60,000 + 10,000 items; a header promising far more is refused before
# anything is allocated (a small gzip can hold gigabytes of zeros).
MAX_ITEMS = 200_000
_CHUNK = 1 << 20


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
    """One IDX file of unsigned bytes (a read-only array), checked against `magic` and sizes.

    The header is read first; the body is then read in bounded chunks into an array of
    exactly the size the header declares, so no file (or gzip bomb) can make it hold more.
    """
    import numpy as np

    kind = "images" if magic == IMAGES_MAGIC else "labels"
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    try:
        with _open_bytes(path) as handle:
            head = _read_upto(handle, header)
            if len(head) < 4:
                raise UsageError(f"{path} is too short to be an IDX file ({len(head)} bytes)")
            found = int.from_bytes(head[:4], "big")
            if found != magic:
                raise UsageError(
                    f"{path}: magic number {found} is not {magic} (IDX {kind}); "
                    "is this the right file, and not corrupted?"
                )
            if len(head) < header:
                raise UsageError(f"{path} is truncated: its header is cut short")
            dims = tuple(int.from_bytes(head[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
            if dims[0] > MAX_ITEMS:
                raise UsageError(
                    f"{path}: its header declares {dims[0]:,} {kind}, more than the "
                    f"{MAX_ITEMS:,} the tutor reads; use a smaller set (MNIST has 70,000)"
                )
            if magic == IMAGES_MAGIC and dims[1:] != (GREY_SIDE, GREY_SIDE):
                size = "x".join(str(d) for d in dims[1:])
                raise UsageError(f"{path}: images are {size}; the tutor needs 28x28 images")
            body = int(np.prod(dims, dtype=np.int64))
            data = np.empty(body, dtype=np.uint8)
            got = _read_into(handle, memoryview(data.data))
            if got < body:
                raise UsageError(
                    f"{path} is truncated: its header promises {dims[0]} {kind} "
                    f"({header + body} bytes) but the file holds {header + got} bytes; "
                    "download it again"
                )
            extra = handle.read(_CHUNK)
            if extra:
                more = len(extra) if len(extra) < _CHUNK else f"{_CHUNK:,} or more"
                raise UsageError(
                    f"{path} has {more} bytes after its {dims[0]} {kind}; is it really an IDX file?"
                )
    except gzip.BadGzipFile:
        raise UsageError(f"{path} is not a valid gzip file; download it again") from None
    except EOFError:
        raise UsageError(
            f"{path} is truncated (the gzip stream ends early); download it again"
        ) from None
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    data.flags.writeable = False
    return data.reshape(dims)


def _read_upto(handle: BinaryIO, size: int) -> bytes:
    chunks = b""
    while len(chunks) < size:
        chunk = handle.read(size - len(chunks))
        if not chunk:
            break
        chunks += chunk
    return chunks


def _read_into(handle: BinaryIO, target: memoryview) -> int:
    """Fill `target` from `handle` a chunk at a time; the number of bytes read."""
    got = 0
    while got < len(target):
        n = handle.readinto(target[got : got + _CHUNK])  # type: ignore[attr-defined]
        if not n:
            break
        got += n
    return got


def _open_bytes(path: Path) -> BinaryIO:
    """The file as bytes, gunzipped on the fly when it ends in .gz."""
    if path.suffix == ".gz":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")
