"""`cnn-tutor data export`: write a dataset as a CSV in the MNIST CSV layout."""

from __future__ import annotations

import argparse
from pathlib import Path

from tutor.data import load, parse_spec, write_mnist_csv
from tutor.errors import UsageError


def export_data(args: argparse.Namespace) -> int:
    """Load `--source` and write it to PATH; a bad source or path is a UsageError."""
    kind, _ = parse_spec(args.source)
    if kind == "rgb":
        raise UsageError(
            "rgb cannot be exported: the MNIST CSV layout holds grey 28x28 images only, "
            "and rgb images are colour 32x32 (3072 values each); choose digits, csv:PATH or idx:DIR"
        )
    path = Path(args.path).expanduser()
    dataset = load(args.source)
    write_mnist_csv(dataset, path)
    print(f"wrote {len(dataset)} images to {args.path} ({dataset.name})")
    return 0
