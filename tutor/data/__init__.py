"""Built-in and user datasets for the lessons and exercises (no textual, no torch).

Importing this package is cheap: numpy, pandas and scikit-learn are imported only by the
functions that need them, so a cache hit in `prepared_csv` never loads them.
"""

from __future__ import annotations

from tutor.data.cache import CACHE_ENV, CSV_NAME, cache_root, prepared_csv
from tutor.data.csvfile import write_mnist_csv
from tutor.data.dataset import Dataset
from tutor.data.sources import SPEC_HELP, load, parse_spec

__all__ = [
    "CACHE_ENV",
    "CSV_NAME",
    "SPEC_HELP",
    "Dataset",
    "cache_root",
    "load",
    "parse_spec",
    "prepared_csv",
    "write_mnist_csv",
]
