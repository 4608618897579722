"""Reading and writing the MNIST CSV layout: a `label` column, then 784 pixel columns 0-255."""

from __future__ import annotations

import csv
import functools
import gzip
import math
import os
import tempfile
from pathlib import Path
from typing import IO, TYPE_CHECKING

from tutor.data.dataset import DIGIT_NAMES, GREY_SIDE, Dataset
from tutor.errors import UsageError

if TYPE_CHECKING:
    import numpy as np

PIXELS = GREY_SIDE * GREY_SIDE
COLUMNS = PIXELS + 1
HEADER = "label," + ",".join(f"pixel{i}" for i in range(PIXELS))
_HEADER_TEXT = "label,pixel0,...,pixel783"
_HEADER_HINT = f"the first line must be the header {_HEADER_TEXT}"
_LAYOUT = f"expected {COLUMNS} columns (label + {PIXELS} pixels)"
_WRITE_CHUNK = 4096
# The most text the tutor reads from one CSV (full MNIST as CSV is about 130 MB); checked
# before parsing, on the decompressed stream for .gz, so a small gzip cannot expand into
# gigabytes in memory.
MAX_CSV_BYTES = 512 * 1024 * 1024
_CHUNK = 1 << 20


def read_mnist_csv(path: Path, name: str) -> Dataset:
    """Load and strictly validate an MNIST-layout CSV; any fault is a one-line UsageError."""
    header = _read_header(path)
    _check_size(path)
    import numpy as np

    # Most files are clean: small integers parse straight into int16. Anything else
    # (blank cells, decimals, words, huge numbers) takes the slower path that finds the cell.
    table = _read_table(path, quick=True)
    if table is None:
        table = _read_table(path, quick=False)
    assert table is not None
    _check_cells(path, header, table)
    labels = table[:, 0].astype(np.int64)
    images = table[:, 1:].astype(np.uint8).reshape(-1, GREY_SIDE, GREY_SIDE)
    return Dataset(images=images, labels=labels, name=name, class_names=DIGIT_NAMES)


def write_mnist_csv(ds: Dataset, path: Path) -> None:
    """Write `ds` in the MNIST CSV layout, atomically (readers never see half a file)."""
    import numpy as np

    if ds.is_rgb:
        raise UsageError(
            f"{ds.name} holds colour 32x32 images (3072 values each); the MNIST CSV layout "
            "holds grey 28x28 images only, so choose digits, csv:PATH or idx:DIR"
        )
    if ds.images.shape[1:] != (GREY_SIDE, GREY_SIDE):
        raise UsageError(f"{ds.name}: images are {ds.images.shape[1:]}, not 28x28; cannot write")
    path = Path(path)
    if path.is_dir():
        raise UsageError(f"{path} is a folder; give a file name such as {path / 'mnist.csv'}")
    if not path.parent.is_dir():
        raise UsageError(f"no such folder: {path.parent}; create it or choose another path")
    table = np.concatenate(
        [ds.labels.reshape(-1, 1).astype(np.uint8), ds.images.reshape(len(ds), PIXELS)], axis=1
    )
    try:
        fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise UsageError(
            f"cannot write {path}: {_reason(exc)}; choose a folder you can write to"
        ) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(HEADER.encode() + b"\n")
            for start in range(0, table.shape[0], _WRITE_CHUNK):
                handle.write(_csv_bytes(table[start : start + _WRITE_CHUNK]))
        os.chmod(temp_name, 0o644)
        os.replace(temp_name, path)
    except OSError as exc:
        Path(temp_name).unlink(missing_ok=True)
        raise UsageError(
            f"cannot write {path}: {_reason(exc)}; choose a place you can write to"
        ) from None
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def require_csv_file(path: Path) -> None:
    """Raise a UsageError unless `path` names an existing file (not a folder)."""
    if not path.exists():
        raise UsageError(f"no such file: {path}; give the path to an MNIST-layout CSV")
    if path.is_dir():
        raise UsageError(f"{path} is a folder; give the path to an MNIST-layout CSV file")


def _check_size(path: Path, limit: int | None = None) -> None:
    """Refuse a file whose (decompressed) text is larger than the tutor will hold."""
    limit = MAX_CSV_BYTES if limit is None else limit
    too_big = UsageError(
        f"{path} holds more than {limit // (1024 * 1024)} MB of text, more than the tutor "
        "reads; use a smaller set (the full MNIST CSV is about 130 MB)"
    )
    try:
        if path.suffix != ".gz":
            if path.stat().st_size > limit:
                raise too_big
            return
        total = 0
        with gzip.open(path, "rb") as handle:
            while chunk := handle.read(_CHUNK):
                total += len(chunk)
                if total > limit:
                    raise too_big
    except (EOFError, gzip.BadGzipFile):
        raise UsageError(f"{path} is not a valid gzip file; download it again") from None
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {_reason(exc)}") from None


def _read_header(path: Path) -> list[str]:
    """The header cells, after checking the file exists, is text and starts with `label`."""
    require_csv_file(path)
    try:
        with _open_text(path) as handle:
            first = handle.readline()
            more = "" if first.strip() else handle.read(65536).strip()
    except (UnicodeDecodeError, EOFError, gzip.BadGzipFile):
        raise UsageError(f"{path} is not a text CSV file; give an MNIST-layout CSV") from None
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {_reason(exc)}") from None
    if not first.strip() and more:
        raise UsageError(f"{path} line 1 is blank; {_HEADER_HINT}")
    if not first.strip():
        raise UsageError(
            f"{path} is empty; expected the header {_HEADER_TEXT} then one line per image"
        )
    cells = next(csv.reader([first]))
    leading = cells[0].strip()
    if leading.lower() != "label":
        if _number(leading) is not None:
            raise UsageError(
                f"{path} has no header: line 1 holds numbers; add the line {_HEADER_TEXT} on top"
            )
        raise UsageError(f"{path} line 1: first column is {leading!r}, not 'label'; {_HEADER_HINT}")
    if len(cells) != COLUMNS:
        raise UsageError(f"{path}: {_LAYOUT}, found {len(cells)} on line 1")
    return [cell.strip() for cell in cells]


def _read_table(path: Path, quick: bool) -> np.ndarray | None:
    """The data rows as a matrix: int16 when `quick` (None if that cannot hold them), else
    float64 with NaN for empty or non-numeric cells. Blank lines are skipped."""
    import numpy as np
    import pandas as pd

    try:
        frame = pd.read_csv(
            path,
            header=None,
            skiprows=1,
            dtype=np.int16 if quick else None,
            encoding="utf-8-sig",
            low_memory=not quick,  # whole-file typing only on the checking path
        )
    except pd.errors.EmptyDataError:
        raise UsageError(
            f"{path} has a header but no images; add one line per image: label, then 784 pixels"
        ) from None
    except pd.errors.ParserError as exc:
        raise UsageError(_ragged_message(path, str(exc))) from None
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not a text CSV file; give an MNIST-layout CSV") from None
    except (ValueError, OverflowError):
        if quick:
            return None
        raise
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {_reason(exc)}") from None
    if frame.shape[1] != COLUMNS:
        raise UsageError(_ragged_message(path, f"{frame.shape[1]} columns"))
    if quick:
        return frame.to_numpy()
    for column, dtype in frame.dtypes.items():
        if pd.api.types.is_bool_dtype(dtype):  # True/False are words here, not numbers
            frame[column] = np.nan
        elif not pd.api.types.is_numeric_dtype(dtype):
            frame[column] = pd.to_numeric(frame[column], errors="coerce")
    return frame.to_numpy(dtype=np.float64)


def _check_cells(path: Path, header: list[str], table: np.ndarray) -> None:
    """Raise a UsageError naming the first cell (by line and column) that is not allowed."""
    import numpy as np

    labels, pixels = table[:, 0], table[:, 1:]
    if table.dtype.kind in "iu" and labels.min() >= 0 and labels.max() <= 9:
        if pixels.min() >= 0 and pixels.max() <= 255:
            return
    bad = table < 0
    bad[:, 0] |= labels > 9
    bad[:, 1:] |= pixels > 255
    if table.dtype.kind == "f":
        bad |= table != np.floor(table)  # true for fractions and for NaN (empty or text)
    rows = np.flatnonzero(bad.any(axis=1))
    if rows.size == 0:
        return
    row = int(rows[0])
    column = int(np.argmax(bad[row]))
    raise UsageError(_cell_message(path, row, column, header, float(table[row, column])))


def _cell_message(path: Path, row: int, column: int, header: list[str], value: float) -> str:
    """A one-line report of a bad cell, quoting the file's own text of it when it can."""
    line, raw = _data_line(path, row)
    if raw is not None and len(raw) != COLUMNS:
        return f"{path}: {_LAYOUT}, found {len(raw)} on line {line}"
    text = raw[column].strip() if raw is not None else f"{value:g}"
    where = f"{path} line {line}, column {header[column]}"
    if text == "":
        return f"{where}: the cell is empty; every cell needs a whole number"
    number = _number(text)
    if number is None or not math.isfinite(number):
        return f"{where}: {text!r} is not a number; pixels are whole numbers 0-255"
    if column == 0:
        if number != int(number):
            return f"{where}: {text} is not a whole number; labels are the digit classes 0-9"
        return f"{where}: {text} is outside 0-9; labels are the digit classes 0-9"
    if number != int(number):
        return (
            f"{where}: {text} is not a whole number; pixels are integers 0-255 "
            "(multiply 0-1 values by 255 and round)"
        )
    return f"{where}: {text} is outside 0-255"


def _data_line(path: Path, row: int) -> tuple[int, list[str] | None]:
    """The 1-based line number of data row `row` (blank lines skipped, as pandas does) and
    its cells as written; (0, None) if the file cannot be read again."""
    seen = -1
    try:
        with _open_text(path) as handle:
            for number, text in enumerate(handle, start=1):
                if number == 1 or not text.strip():
                    continue
                seen += 1
                if seen == row:
                    return number, next(csv.reader([text]))
    except (OSError, UnicodeDecodeError, EOFError, csv.Error):
        pass
    return row + 2, None


def _ragged_message(path: Path, parser_message: str) -> str:
    """Name the first line whose field count is wrong, found by reading the file as written."""
    try:
        with _open_text(path) as handle:
            for line, cells in enumerate(csv.reader(handle), start=1):
                if cells and "".join(cells).strip() and len(cells) != COLUMNS:
                    return f"{path}: {_LAYOUT}, found {len(cells)} on line {line}"
    except (OSError, UnicodeDecodeError, EOFError, csv.Error):
        pass
    detail = parser_message.strip().splitlines()[-1] if parser_message.strip() else "bad CSV"
    return f"{path} is not a valid MNIST-layout CSV ({detail})"


def _csv_bytes(table: np.ndarray) -> bytes:
    """Rows of uint8 values as CSV text: one 4-byte glyph per cell, then the padding dropped."""
    import numpy as np

    cells = np.empty(table.shape, dtype=np.uint32)
    np.take(_glyphs(b","), table[:, :-1], out=cells[:, :-1])
    np.take(_glyphs(b"\n"), table[:, -1], out=cells[:, -1])
    return cells.tobytes().translate(None, b"\0")


@functools.cache
def _glyphs(end: bytes) -> np.ndarray:
    """For each byte value, its decimal text then `end`, NUL-padded to 4 bytes, as a uint32."""
    import numpy as np

    glyphs = np.zeros((256, 4), dtype=np.uint8)
    for value in range(256):
        text = str(value).encode() + end
        glyphs[value, : len(text)] = np.frombuffer(text, dtype=np.uint8)
    return glyphs.view(np.uint32).ravel()


def _open_text(path: Path) -> IO[str]:
    """The file as text, gunzipped on the fly when its name ends in .gz (as pandas does)."""
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8-sig", newline="")
    return path.open(encoding="utf-8-sig", newline="")


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _reason(exc: OSError) -> str:
    return exc.strerror.lower() if exc.strerror else str(exc)
