"""`cnn-tutor data export` as a real subprocess writing real files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tutor.data import load

REPO = Path(__file__).resolve().parents[2]
FASHION = Path("/usr/share/datasets/fashion-mnist")


def cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `cnn-tutor ARGS` in tmp_path with its home and cache kept there."""
    env = {
        **os.environ,
        "HOME": str(tmp_path / "home"),
        "CNN_TUTOR_HOME": str(tmp_path / "home" / "tutor"),
        "CNN_TUTOR_CACHE": str(tmp_path / "cache"),
        "PYTHONPATH": str(REPO),
    }
    return subprocess.run(
        [sys.executable, "-m", "tutor", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def assert_usage_error(done: subprocess.CompletedProcess[str], *words: str) -> None:
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("cnn-tutor: "), done.stderr
    for word in words:
        assert word in lines[0]


def test_export_digits_by_default(tmp_path: Path) -> None:
    done = cli(tmp_path, "data", "export", "digits.csv")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "wrote 1797 images to digits.csv (digits)\n"
    assert done.stderr == ""
    back = load(f"csv:{tmp_path / 'digits.csv'}")
    digits = load("digits")
    assert np.array_equal(back.images, digits.images)
    assert np.array_equal(back.labels, digits.labels)


def test_export_a_csv_source_again(tmp_path: Path) -> None:
    assert cli(tmp_path, "data", "export", "a.csv").returncode == 0
    done = cli(tmp_path, "data", "export", str(tmp_path / "b.csv"), "--source", "csv:a.csv")
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"wrote 1797 images to {tmp_path / 'b.csv'} (csv:a.csv)\n"
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()


@pytest.mark.skipif(
    not (FASHION / "train-images-idx3-ubyte.gz").is_file(),
    reason="Debian's dataset-fashion-mnist is not installed",
)
def test_export_real_fashion_mnist(tmp_path: Path) -> None:
    done = cli(tmp_path, "data", "export", "fashion.csv", "--source", f"idx:{FASHION}")
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"wrote 70000 images to fashion.csv (idx:{FASHION})\n"
    with (tmp_path / "fashion.csv").open() as handle:
        header = handle.readline()
        first = handle.readline().split(",")
    assert header.startswith("label,pixel0,pixel1,") and header.rstrip().endswith(",pixel783")
    assert len(first) == 785 and first[0] == "9"  # Fashion-MNIST's first image: an ankle boot
    assert sum(1 for _ in (tmp_path / "fashion.csv").open()) == 70001


def test_export_rgb_says_why_not(tmp_path: Path) -> None:
    done = cli(tmp_path, "data", "export", "rgb.csv", "--source", "rgb")
    assert_usage_error(done, "grey 28x28 images only", "3072 values")
    assert not (tmp_path / "rgb.csv").exists()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--source", "mnist"], ["unknown data source 'mnist'", "csv:PATH, idx:DIR or rgb"]),
        (["--source", "csv:missing.csv"], ["no such file: missing.csv"]),
        (["--source", "idx:nowhere"], ["no such folder: nowhere"]),
    ],
    ids=["unknown", "missing-csv", "missing-idx"],
)
def test_export_bad_source_is_exit_2(tmp_path: Path, args: list[str], words: list[str]) -> None:
    assert_usage_error(cli(tmp_path, "data", "export", "out.csv", *args), *words)
    assert not (tmp_path / "out.csv").exists()


def test_export_bad_csv_names_line_and_column(tmp_path: Path) -> None:
    header = "label," + ",".join(f"pixel{i}" for i in range(784))
    good = ",".join(["1"] + ["0"] * 784)
    bad = ",".join(["1"] + ["0"] * 12 + ["300"] + ["0"] * 771)
    (tmp_path / "x.csv").write_text(f"{header}\n{good}\n{good}\n{good}\n{bad}\n")
    done = cli(tmp_path, "data", "export", "out.csv", "--source", "csv:x.csv")
    assert_usage_error(done, "x.csv line 5, column pixel12: 300 is outside 0-255")


def test_export_to_unwritable_places_is_exit_2(tmp_path: Path) -> None:
    assert_usage_error(cli(tmp_path, "data", "export", "no/such/dir/x.csv"), "no such folder")
    assert_usage_error(cli(tmp_path, "data", "export", "."), "is a folder")


def test_data_without_an_action_is_exit_2(tmp_path: Path) -> None:
    assert_usage_error(cli(tmp_path, "data"), "data export PATH")
