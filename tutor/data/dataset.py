"""The in-memory dataset record every source loads into (no numpy import at module level)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

DIGIT_NAMES: tuple[str, ...] = tuple(str(i) for i in range(10))
GREY_SIDE = 28
RGB_SIDE = 32


@dataclass(frozen=True, eq=False)  # arrays compare elementwise; identity is the useful equality
class Dataset:
    """Images and labels of one source: uint8 (N, 28, 28) grey or (N, 32, 32, 3) colour."""

    images: np.ndarray
    labels: np.ndarray
    name: str
    class_names: tuple[str, ...] = DIGIT_NAMES

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    @property
    def is_rgb(self) -> bool:
        """True for colour images, which the MNIST CSV layout cannot hold."""
        return self.images.ndim == 4
