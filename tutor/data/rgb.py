"""The built-in `rgb` source: CIFAR-shaped colour images of ten drawn shapes and patterns."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tutor.data.dataset import RGB_SIDE, Dataset

if TYPE_CHECKING:
    import numpy as np

RGB_COUNT = 2000
RGB_SEED = 8  # exercise 8 uses this set; a fixed seed gives the same bytes everywhere
RGB_NAMES: tuple[str, ...] = (
    "disc",
    "square",
    "triangle",
    "ring",
    "cross",
    "horizontal stripes",
    "vertical stripes",
    "diagonal stripes",
    "checkerboard",
    "dots",
)
# Each class leans to one colour, jittered per image, so colour helps but shape decides.
_BASE_COLOURS = (
    (220, 60, 50),
    (60, 180, 80),
    (60, 90, 220),
    (230, 200, 40),
    (200, 60, 200),
    (40, 200, 210),
    (240, 140, 40),
    (230, 230, 230),
    (150, 90, 200),
    (140, 200, 60),
)


def load_rgb(count: int = RGB_COUNT, seed: int = RGB_SEED) -> Dataset:
    """`count` 32x32 colour images, an equal share per class, shuffled, with noise."""
    import numpy as np

    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(count) % 10).astype(np.int64)
    ys, xs = np.mgrid[0:RGB_SIDE, 0:RGB_SIDE].astype(np.float32)
    cy = rng.uniform(11, 21, count).astype(np.float32)[:, None, None]
    cx = rng.uniform(11, 21, count).astype(np.float32)[:, None, None]
    size = rng.uniform(6, 10, count).astype(np.float32)[:, None, None]
    period = rng.integers(5, 9, count).astype(np.float32)[:, None, None]
    phase = rng.uniform(0, 8, count).astype(np.float32)[:, None, None]
    mask = np.zeros((count, RGB_SIDE, RGB_SIDE), dtype=bool)
    for label in range(10):
        mine = labels == label
        mask[mine] = _shape(
            label, ys, xs, cy[mine], cx[mine], size[mine], period[mine], phase[mine]
        )
    base = np.asarray(_BASE_COLOURS, dtype=np.float32)[labels]
    jitter = rng.normal(0, 30, (count, 3))
    foreground = np.clip(base + jitter, 0, 255).astype(np.float32)[:, None, None, :]
    background = rng.uniform(0, 110, (count, 3)).astype(np.float32)[:, None, None, :]
    picture = rng.standard_normal((count, RGB_SIDE, RGB_SIDE, 3), dtype=np.float32)
    picture *= 14  # sensor-like noise; the in-place steps keep generation fast
    picture += background
    np.add(picture, foreground - background, out=picture, where=mask[..., None])
    np.clip(np.rint(picture, out=picture), 0, 255, out=picture)
    images = picture.astype(np.uint8)
    return Dataset(images=images, labels=labels, name="rgb", class_names=RGB_NAMES)


def _shape(
    label: int,
    ys: np.ndarray,
    xs: np.ndarray,
    cy: np.ndarray,
    cx: np.ndarray,
    size: np.ndarray,
    period: np.ndarray,
    phase: np.ndarray,
) -> np.ndarray:
    """The boolean foreground of class `label` for a batch of images, one parameter set each."""
    import numpy as np

    dy, dx = ys - cy, xs - cx
    if label == 0:
        return dy**2 + dx**2 < size**2
    if label == 1:
        return (np.abs(dx) < size * 0.8) & (np.abs(dy) < size * 0.8)
    if label == 2:
        return (dy > -size) & (dy < size) & (np.abs(dx) < (dy + size) * 0.55)
    if label == 3:
        squared = dy**2 + dx**2
        return (squared < size**2) & (squared > (size * 0.55) ** 2)
    if label == 4:
        return ((np.abs(dx) < 2) & (np.abs(dy) < size)) | ((np.abs(dy) < 2) & (np.abs(dx) < size))
    across = np.floor((xs + phase) / period)
    down = np.floor((ys + phase) / period)
    if label == 5:
        return down % 2 > 0
    if label == 6:
        return across % 2 > 0
    if label == 7:
        return np.floor((xs + ys + phase) / period) % 2 > 0
    if label == 8:
        return (across + down) % 2 > 0
    return ((xs + phase) % period < 2.5) & ((ys + phase) % period < 2.5)
