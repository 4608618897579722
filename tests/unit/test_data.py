"""The data sources, the MNIST CSV layout, IDX parsing and the prepared-CSV cache."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tutor.data as data
from tutor.data import Dataset, load, parse_spec, prepared_csv, write_mnist_csv
from tutor.errors import UsageError

REPO = Path(__file__).resolve().parents[2]
FASHION = Path("/usr/share/datasets/fashion-mnist")
needs_fashion = pytest.mark.skipif(
    not (FASHION / "train-images-idx3-ubyte.gz").is_file(),
    reason="Debian's dataset-fashion-mnist is not installed",
)
HEADER = "label," + ",".join(f"pixel{i}" for i in range(784))


@pytest.fixture(scope="module")
def digits() -> Dataset:
    return load("digits")


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv(data.CACHE_ENV, str(cache))
    return cache


def one_line_error(spec: str) -> str:
    """The message of the UsageError that loading `spec` raises, checked to be one line."""
    with pytest.raises(UsageError) as caught:
        load(spec)
    message = str(caught.value)
    assert "\n" not in message and message.strip() == message and message
    return message


def write_rows(path: Path, rows: list[str], header: str = HEADER) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def good_row(label: int = 3, fill: int = 7) -> list[str]:
    return [str(label)] + [str(fill)] * 784


def write_idx(path: Path, array: np.ndarray, magic: int, gz: bool) -> Path:
    """An IDX file of unsigned bytes, as the MNIST distribution lays them out."""
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    body = header + array.astype(np.uint8).tobytes()
    if gz:
        path = path.with_name(path.name + ".gz")
        path.write_bytes(gzip.compress(body))
    else:
        path.write_bytes(body)
    return path


def make_idx_folder(folder: Path, gz: bool, train: int = 12, test: int = 5) -> Dataset:
    """Four small IDX files of random images in `folder`; returns what they should load as."""
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    images = rng.integers(0, 256, (train + test, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, train + test).astype(np.int64)
    write_idx(folder / "train-images-idx3-ubyte", images[:train], 2051, gz)
    write_idx(folder / "train-labels-idx1-ubyte", labels[:train], 2049, gz)
    write_idx(folder / "t10k-images-idx3-ubyte", images[train:], 2051, gz)
    write_idx(folder / "t10k-labels-idx1-ubyte", labels[train:], 2049, gz)
    return Dataset(images=images, labels=labels, name=f"idx:{folder}")


# --- SPEC strings ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("digits", ("digits", None)),
        ("  DIGITS ", ("digits", None)),
        ("rgb", ("rgb", None)),
        ("csv:/data/x.csv", ("csv", "/data/x.csv")),
        ("csv:c:/odd:name.csv", ("csv", "c:/odd:name.csv")),
        ("idx:/usr/share/datasets/fashion-mnist", ("idx", "/usr/share/datasets/fashion-mnist")),
    ],
)
def test_parse_spec_accepts_the_four_kinds(spec: str, expected: tuple[str, str | None]) -> None:
    assert parse_spec(spec) == expected


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("", "no data source"),
        ("mnist", "unknown data source 'mnist'"),
        ("x.csv", "csv:x.csv"),
        ("csv:", "csv needs a path"),
        ("idx", "idx needs a path"),
        ("digits:foo", "digits takes no path"),
    ],
)
def test_parse_spec_rejects_with_one_line(spec: str, words: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_spec(spec)
    assert words in str(caught.value)
    assert "\n" not in str(caught.value)


# --- digits ---------------------------------------------------------------------------


def test_digits_are_mnist_shaped_uint8(digits: Dataset) -> None:
    assert digits.images.shape == (1797, 28, 28)
    assert digits.images.dtype == np.uint8
    assert digits.labels.shape == (1797,) and digits.labels.dtype == np.int64
    assert set(np.unique(digits.labels)) == set(range(10))
    assert digits.images.max() == 255 and digits.images.min() == 0
    assert digits.name == "digits" and digits.class_names == tuple("0123456789")
    assert len(digits) == 1797 and not digits.is_rgb


def test_digits_sit_in_a_20_pixel_box_like_mnist(digits: Dataset) -> None:
    border = np.ones((28, 28), dtype=bool)
    border[4:24, 4:24] = False
    assert not digits.images[:, border].any()
    assert digits.images[:, 4:24, 4:24].mean() > 40


def test_digits_are_the_same_bytes_every_time(digits: Dataset) -> None:
    again = load("digits")
    assert again.images.tobytes() == digits.images.tobytes()
    assert np.array_equal(again.labels, digits.labels)


def test_digits_come_from_scikit_learns_set(digits: Dataset) -> None:
    from sklearn.datasets import load_digits

    original = load_digits()
    assert np.array_equal(digits.labels, original.target)
    # Sampling the 20x20 box at the old pixel centres gives back the 8x8 originals, blurred.
    box = digits.images[:, 4:24, 4:24].astype(float)
    centres = np.rint(np.arange(8) * 2.5 + 0.75).astype(int)
    samples = box[:, centres][:, :, centres]
    correlation = np.corrcoef(samples.ravel(), original.images.ravel())[0, 1]
    assert correlation > 0.9


# --- MNIST CSV ------------------------------------------------------------------------


def test_csv_round_trip_gives_identical_arrays(digits: Dataset, tmp_path: Path) -> None:
    path = tmp_path / "digits.csv"
    write_mnist_csv(digits, path)
    lines = path.read_text().splitlines()
    assert lines[0] == HEADER and len(lines) == 1798
    back = load(f"csv:{path}")
    assert np.array_equal(back.images, digits.images) and back.images.dtype == np.uint8
    assert np.array_equal(back.labels, digits.labels) and back.labels.dtype == np.int64
    assert back.name == f"csv:{path}"


def test_csv_written_text_matches_plain_formatting(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    images = rng.integers(0, 256, (4, 28, 28), dtype=np.uint8)
    images[0, 0, :4] = [0, 9, 10, 255]
    labels = np.array([0, 9, 5, 1], dtype=np.int64)
    path = tmp_path / "x.csv"
    write_mnist_csv(Dataset(images=images, labels=labels, name="t"), path)
    expected = [HEADER] + [
        ",".join(str(v) for v in [labels[i], *images[i].ravel()]) for i in range(4)
    ]
    assert path.read_text() == "\n".join(expected) + "\n"


@pytest.mark.parametrize(
    "names",
    [
        [f"{r}x{c}" for r in range(1, 29) for c in range(1, 29)],
        [str(i) for i in range(784)],
    ],
    ids=["1x1-28x28", "0-783"],
)
def test_csv_accepts_any_784_pixel_names(tmp_path: Path, names: list[str]) -> None:
    path = write_rows(tmp_path / "x.csv", [",".join(good_row(4, 9))], "label," + ",".join(names))
    loaded = load(f"csv:{path}")
    assert loaded.labels.tolist() == [4] and (loaded.images == 9).all()


def test_csv_accepts_blank_lines_crlf_and_gzip(tmp_path: Path) -> None:
    row = ",".join(good_row(2, 200))
    crlf = tmp_path / "crlf.csv"
    crlf.write_bytes(f"{HEADER}\r\n{row}\r\n\r\n{row}\r\n\r\n".encode())
    assert load(f"csv:{crlf}").labels.tolist() == [2, 2]
    packed = tmp_path / "packed.csv.gz"
    packed.write_bytes(gzip.compress(f"{HEADER}\n{row}\n".encode()))
    assert (load(f"csv:{packed}").images == 200).all()


def test_csv_accepts_whole_numbers_written_as_decimals(tmp_path: Path) -> None:
    row = good_row(1, 0)
    row[5] = "128.0"
    path = write_rows(tmp_path / "x.csv", [",".join(row)])
    assert load(f"csv:{path}").images.reshape(-1)[4] == 128


def with_cell(column: int, value: str) -> str:
    row = good_row()
    row[column] = value
    return ",".join(row)


GOOD = ",".join(good_row())


@pytest.mark.parametrize(
    ("rows", "words"),
    [
        (
            [GOOD, GOOD, GOOD, with_cell(13, "300")],
            ["line 5, column pixel12", "300 is outside 0-255"],
        ),
        ([GOOD, with_cell(1, "-1")], ["line 3, column pixel0", "-1 is outside 0-255"]),
        ([GOOD, with_cell(784, "abc")], ["line 3, column pixel783", "'abc' is not a number"]),
        ([with_cell(20, "0.5")], ["line 2, column pixel19", "0.5 is not a whole number"]),
        ([with_cell(7, "")], ["line 2, column pixel6", "empty"]),
        ([GOOD, with_cell(0, "10")], ["line 3, column label", "10 is outside 0-9"]),
        ([GOOD, "", with_cell(0, "x")], ["line 4, column label", "'x' is not a number"]),
        ([GOOD, GOOD + ",5"], ["expected 785 columns (label + 784 pixels), found 786 on line 3"]),
        ([GOOD, GOOD[:-2]], ["expected 785 columns (label + 784 pixels), found 784 on line 3"]),
        (["1,2,3", GOOD], ["expected 785 columns (label + 784 pixels), found 3 on line 2"]),
    ],
    ids=[
        "over-255",
        "negative",
        "word",
        "fraction",
        "empty-cell",
        "label-10",
        "line-after-blank",
        "long-row",
        "short-row",
        "short-first-row",
    ],
)
def test_csv_faults_name_file_line_and_column(
    tmp_path: Path, rows: list[str], words: list[str]
) -> None:
    path = write_rows(tmp_path / "x.csv", rows)
    message = one_line_error(f"csv:{path}")
    assert str(path) in message
    for word in words:
        assert word in message


def test_csv_fault_on_a_large_file_finds_the_first_bad_cell(tmp_path: Path) -> None:
    rows = [GOOD] * 3000
    rows[2500] = with_cell(400, "256")
    rows[2700] = with_cell(3, "999")
    path = write_rows(tmp_path / "big.csv", rows)
    assert "line 2502, column pixel399: 256 is outside 0-255" in one_line_error(f"csv:{path}")


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("", "is empty"),
        ("\n\n", "is empty"),
        (HEADER + "\n", "has a header but no images"),
        (GOOD + "\n" + GOOD + "\n", "has no header"),
        ("pixel,a,b\n1,2,3\n", "first column is 'pixel', not 'label'"),
        ("label,a,b\n1,2,3\n", "expected 785 columns (label + 784 pixels), found 3 on line 1"),
    ],
    ids=["empty", "blank", "header-only", "no-header", "not-label", "narrow-header"],
)
def test_csv_file_level_faults(tmp_path: Path, content: str, words: str) -> None:
    path = tmp_path / "x.csv"
    path.write_text(content)
    message = one_line_error(f"csv:{path}")
    assert words in message and str(path) in message


def test_csv_missing_file_and_folder(tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"
    assert one_line_error(f"csv:{missing}") == (
        f"no such file: {missing}; give the path to an MNIST-layout CSV"
    )
    assert "is a folder" in one_line_error(f"csv:{tmp_path}")


def test_csv_binary_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(bytes(range(256)) * 4)
    assert "is not a text CSV file" in one_line_error(f"csv:{path}")


def test_write_refuses_rgb_and_bad_places(tmp_path: Path) -> None:
    rgb = load("rgb")
    with pytest.raises(UsageError, match="3072 values"):
        write_mnist_csv(rgb, tmp_path / "rgb.csv")
    tiny = Dataset(images=np.zeros((1, 28, 28), np.uint8), labels=np.zeros(1, np.int64), name="t")
    with pytest.raises(UsageError, match="no such folder"):
        write_mnist_csv(tiny, tmp_path / "missing" / "x.csv")
    with pytest.raises(UsageError, match="is a folder"):
        write_mnist_csv(tiny, tmp_path)
    assert not (tmp_path / "rgb.csv").exists() and not list(tmp_path.glob(".*.tmp"))


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write into read-only folders")
def test_write_into_read_only_folder_is_a_usage_error(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    tiny = Dataset(images=np.zeros((1, 28, 28), np.uint8), labels=np.zeros(1, np.int64), name="t")
    try:
        with pytest.raises(UsageError, match="cannot write"):
            write_mnist_csv(tiny, locked / "x.csv")
    finally:
        locked.chmod(0o700)


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
def test_write_where_no_file_can_be_made_is_a_usage_error() -> None:
    tiny = Dataset(images=np.zeros((1, 28, 28), np.uint8), labels=np.zeros(1, np.int64), name="t")
    with pytest.raises(UsageError, match="^cannot write /proc/x.csv: .*; choose"):
        write_mnist_csv(tiny, Path("/proc/x.csv"))


# --- IDX ------------------------------------------------------------------------------


@pytest.mark.parametrize("gz", [True, False], ids=["gzipped", "plain"])
def test_idx_folder_loads_train_then_test(tmp_path: Path, gz: bool) -> None:
    expected = make_idx_folder(tmp_path / "mnist", gz=gz)
    loaded = load(f"idx:{tmp_path / 'mnist'}")
    assert np.array_equal(loaded.images, expected.images)
    assert np.array_equal(loaded.labels, expected.labels)
    assert loaded.images.dtype == np.uint8 and loaded.labels.dtype == np.int64
    assert loaded.images.flags.writeable
    assert loaded.name == f"idx:{tmp_path / 'mnist'}" and len(loaded.class_names) == 10


def test_idx_accepts_dotted_names(tmp_path: Path) -> None:
    folder = tmp_path / "mnist"
    expected = make_idx_folder(folder, gz=False)
    for file in folder.iterdir():
        file.rename(file.with_name(file.name.replace("-idx", ".idx")))
    assert np.array_equal(load(f"idx:{folder}").images, expected.images)


def corrupt(folder: Path, name: str, change: str) -> Path:
    """Spoil one plain IDX file of `folder` in the way `change` names."""
    path = folder / name
    raw = bytearray(path.read_bytes())
    if change == "magic":
        raw[2:4] = b"\x08\x09"
    elif change == "truncate":
        del raw[-100:]
    elif change == "extra":
        raw += b"\0\0\0"
    elif change == "short-header":
        del raw[6:]
    elif change == "label-12":
        raw[-1] = 12
    path.write_bytes(bytes(raw))
    return path


@pytest.mark.parametrize(
    ("name", "change", "words"),
    [
        ("train-images-idx3-ubyte", "magic", "magic number 2057 is not 2051"),
        ("t10k-labels-idx1-ubyte", "magic", "magic number 2057 is not 2049"),
        ("t10k-images-idx3-ubyte", "truncate", "is truncated: its header promises 5 images"),
        ("train-labels-idx1-ubyte", "extra", "has 3 bytes after its 12 labels"),
        ("train-images-idx3-ubyte", "short-header", "header is cut short"),
        ("t10k-labels-idx1-ubyte", "label-12", "label 12 at item 5 is outside 0-9"),
    ],
)
def test_idx_faults_name_the_file(tmp_path: Path, name: str, change: str, words: str) -> None:
    folder = tmp_path / "mnist"
    make_idx_folder(folder, gz=False)
    path = corrupt(folder, name, change)
    message = one_line_error(f"idx:{folder}")
    assert str(path) in message and words in message


def test_idx_missing_file_folder_and_mismatch(tmp_path: Path) -> None:
    folder = tmp_path / "mnist"
    make_idx_folder(folder, gz=True)
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    message = one_line_error(f"idx:{folder}")
    assert f"{folder} has no t10k-labels-idx1-ubyte (or t10k-labels-idx1-ubyte.gz)" in message
    assert one_line_error(f"idx:{tmp_path / 'nope'}").startswith(f"no such folder: {tmp_path}")

    write_idx(folder / "t10k-labels-idx1-ubyte", np.zeros(4, np.uint8), 2049, gz=False)
    assert "holds 4 labels but t10k-images-idx3-ubyte.gz holds 5 images" in one_line_error(
        f"idx:{folder}"
    )


def test_idx_bad_gzip_and_wrong_image_size(tmp_path: Path) -> None:
    folder = tmp_path / "mnist"
    make_idx_folder(folder, gz=True)
    broken = folder / "train-labels-idx1-ubyte.gz"
    broken.write_bytes(b"not gzip at all")
    assert f"{broken} is not a valid gzip file" in one_line_error(f"idx:{folder}")
    make_idx_folder(folder, gz=True)
    cut = folder / "train-images-idx3-ubyte.gz"
    cut.write_bytes(cut.read_bytes()[:-40])
    assert f"{cut} is truncated" in one_line_error(f"idx:{folder}")
    write_idx(folder / "t10k-images-idx3-ubyte", np.zeros((5, 32, 32), np.uint8), 2051, gz=False)
    make_idx_folder(folder / "unused", gz=False)
    (folder / "train-images-idx3-ubyte.gz").write_bytes(
        gzip.compress((folder / "unused" / "train-images-idx3-ubyte").read_bytes())
    )
    assert "images are 32x32; the tutor needs 28x28 images" in one_line_error(f"idx:{folder}")


@needs_fashion
def test_real_fashion_mnist_loads() -> None:
    fashion = load(f"idx:{FASHION}")
    assert fashion.images.shape == (70000, 28, 28) and fashion.images.dtype == np.uint8
    assert fashion.labels.shape == (70000,) and fashion.labels.dtype == np.int64
    assert np.bincount(fashion.labels).tolist() == [7000] * 10
    assert fashion.images.max() == 255


# --- rgb ------------------------------------------------------------------------------


def test_rgb_is_cifar_shaped_and_deterministic() -> None:
    first, second = load("rgb"), load("rgb")
    assert first.images.shape[1:] == (32, 32, 3) and 1500 <= len(first) <= 3000
    assert first.images.dtype == np.uint8 and first.labels.dtype == np.int64
    assert first.is_rgb and len(first.class_names) == 10 and first.name == "rgb"
    assert np.bincount(first.labels).min() >= len(first) // 10 - 1
    assert first.images.tobytes() == second.images.tobytes()
    assert np.array_equal(first.labels, second.labels)


def test_rgb_classes_are_learnable_far_above_chance() -> None:
    from sklearn.neighbors import NearestCentroid

    rgb = load("rgb")
    features = rgb.images.reshape(len(rgb), -1).astype(np.float32) / 255
    split = len(rgb) * 3 // 4
    model = NearestCentroid().fit(features[:split], rgb.labels[:split])
    assert model.score(features[split:], rgb.labels[split:]) > 0.5


# --- prepared CSV cache ---------------------------------------------------------------


def test_prepared_csv_is_written_once_and_reused(private_cache: Path, digits: Dataset) -> None:
    path = prepared_csv("digits")
    assert path.name == "mnist_small.csv" and private_cache in path.parents
    written = path.stat().st_mtime_ns
    assert prepared_csv() == path and path.stat().st_mtime_ns == written
    back = load(f"csv:{path}")
    assert np.array_equal(back.images, digits.images)
    assert not [p for p in path.parent.iterdir() if p.name != "mnist_small.csv"]


def test_prepared_csv_follows_an_edited_source(tmp_path: Path) -> None:
    source = write_rows(tmp_path / "mine.csv", [GOOD])
    first = prepared_csv(f"csv:{source}")
    assert load(f"csv:{first}").labels.tolist() == [3]
    write_rows(source, [GOOD, with_cell(0, "8")])
    os.utime(source, ns=(source.stat().st_atime_ns, source.stat().st_mtime_ns + 10**9))
    second = prepared_csv(f"csv:{source}")
    assert second != first and not first.exists()
    assert load(f"csv:{second}").labels.tolist() == [3, 8]


def test_prepared_csv_for_idx_and_its_errors(tmp_path: Path) -> None:
    expected = make_idx_folder(tmp_path / "mnist", gz=True)
    path = prepared_csv(f"idx:{tmp_path / 'mnist'}")
    assert np.array_equal(load(f"csv:{path}").images, expected.images)
    with pytest.raises(UsageError, match="grey 28x28 images only"):
        prepared_csv("rgb")
    with pytest.raises(UsageError, match="no such file"):
        prepared_csv(f"csv:{tmp_path / 'nope.csv'}")


def run_python(code: str, cache: Path) -> str:
    env = {**os.environ, data.CACHE_ENV: str(cache), "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    return done.stdout.strip()


def test_prepared_csv_hit_in_a_new_process_loads_no_numpy_or_pandas(private_cache: Path) -> None:
    made = prepared_csv("digits")
    code = (
        "import sys\nfrom tutor.data import prepared_csv\np = prepared_csv('digits')\n"
        "print(p, sorted(m for m in ('numpy', 'pandas', 'sklearn') if m in sys.modules))"
    )
    assert run_python(code, private_cache) == f"{made} []"


def test_importing_the_package_is_cheap(private_cache: Path) -> None:
    code = (
        "import sys, tutor.data\n"
        "print(sorted(m for m in ('torch', 'pandas', 'numpy', 'sklearn', 'textual')"
        " if m in sys.modules))"
    )
    assert run_python(code, private_cache) == "[]"


def test_no_module_of_the_package_imports_torch(private_cache: Path) -> None:
    code = (
        "import sys\nfrom tutor.data import load, prepared_csv\n"
        "load('digits'); load('rgb'); prepared_csv('digits')\n"
        "print('torch' in sys.modules, 'textual' in sys.modules)"
    )
    assert run_python(code, private_cache) == "False False"
