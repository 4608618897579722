"""The built-in `digits` source: scikit-learn's 8x8 digits, resampled and framed like MNIST."""

from __future__ import annotations

import gzip
import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING

from tutor.data.dataset import DIGIT_NAMES, GREY_SIDE, Dataset

if TYPE_CHECKING:
    import numpy as np

DIGIT_BOX = 20  # MNIST fits each digit in a 20x20 box centred in the 28x28 frame
_SOURCE_SIDE = 8
_SOURCE_MAX = 16


def load_digits() -> Dataset:
    """The 1,797 scikit-learn digits as 28x28 uint8 images with values 0-255."""
    import numpy as np

    small, labels = _raw_digits()
    weights = _bilinear_weights(_SOURCE_SIDE, DIGIT_BOX)
    big = np.einsum("ij,njk,lk->nil", weights, small, weights)
    pad = (GREY_SIDE - DIGIT_BOX) // 2
    framed = np.zeros((small.shape[0], GREY_SIDE, GREY_SIDE), dtype=np.float64)
    framed[:, pad : pad + DIGIT_BOX, pad : pad + DIGIT_BOX] = big
    images = np.clip(np.rint(framed * (255 / _SOURCE_MAX)), 0, 255).astype(np.uint8)
    return Dataset(images=images, labels=labels, name="digits", class_names=DIGIT_NAMES)


def _raw_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 8x8 images (float, 0-16) and int64 labels as scikit-learn ships them."""
    import numpy as np

    shipped = _shipped_digits_file()
    if shipped is not None:
        # Reading the file scikit-learn ships is the same data as
        # sklearn.datasets.load_digits() without its one-second import.
        with gzip.open(shipped, "rb") as handle:
            table = np.loadtxt(handle, delimiter=",", dtype=np.float64)
        images = table[:, :-1].reshape(-1, _SOURCE_SIDE, _SOURCE_SIDE)
        return images, table[:, -1].astype(np.int64)
    from sklearn.datasets import load_digits as sklearn_digits

    bunch = sklearn_digits()
    return bunch.images.astype(np.float64), bunch.target.astype(np.int64)


def _shipped_digits_file() -> Path | None:
    """Where scikit-learn keeps `digits.csv.gz`, found without importing scikit-learn."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        return None
    for root in spec.submodule_search_locations:
        candidate = Path(root) / "datasets" / "data" / "digits.csv.gz"
        if candidate.is_file():
            return candidate
    return None


def _bilinear_weights(source: int, target: int) -> np.ndarray:
    """A (target, source) matrix that resamples one axis bilinearly, pixel centres aligned."""
    import numpy as np

    centres = (np.arange(target) + 0.5) * (source / target) - 0.5
    centres = np.clip(centres, 0, source - 1)
    low = np.floor(centres).astype(int)
    high = np.minimum(low + 1, source - 1)
    frac = centres - low
    weights = np.zeros((target, source))
    rows = np.arange(target)
    np.add.at(weights, (rows, low), 1 - frac)
    np.add.at(weights, (rows, high), frac)
    return weights
