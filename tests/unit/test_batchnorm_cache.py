"""Exercise 6 keeps the plain model's curve per machine: the key follows what the curve
depends on, and the kept file is read with bounds."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from tutor.checks.curve_cache import keep_results, read_cache
from tutor.course import find_exercise

SETTINGS = {"epochs": 3, "n_train": 384, "n_test": 192, "lr": 0.05, "seed": 0}


def checker(name: str = "check.py"):
    path = find_exercise("6").folder / name
    spec = importlib.util.spec_from_file_location(f"batchnorm_{name[:-3]}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_key_changes_with_the_seed_the_settings_and_the_model() -> None:
    probe = checker("probe.py")  # the key is made in the sandbox, beside the answer
    solution: dict[str, object] = {}
    exec(find_exercise("6").solution, solution)
    plain = solution["SimpleCNN"]
    key = probe._plain_key(plain, SETTINGS)
    assert key and key == probe._plain_key(plain, dict(SETTINGS))
    assert key != probe._plain_key(plain, {**SETTINGS, "seed": 1})
    assert key != probe._plain_key(plain, {**SETTINGS, "n_train": 256})
    # The plain baseline the probe makes itself (the answer's model, BatchNorm taken out)
    # is the same model, with the same first weights: the same key.
    assert key == probe._plain_key(probe._without_batchnorm(solution["SimpleCNNBN"]), SETTINGS)

    import torch.nn as nn

    class Wider(plain):  # type: ignore[misc, valid-type]
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(32 * 7 * 7, 10, bias=False)

    assert key != probe._plain_key(Wider, SETTINGS)


def test_kept_results_are_bounded_and_checked(tmp_path: Path) -> None:
    good = {"loss": [1.0, 0.5], "accuracy": [0.5, 0.7], "batches": [1.2, 0.9]}
    keep_results(tmp_path, "batchnorm", {"a" * 32: good})
    assert read_cache(tmp_path, "batchnorm") == {"a" * 32: good}
    keep_results(tmp_path, "batchnorm", {"b": {"loss": ["nan"]}})  # not numbers: refused
    keep_results(tmp_path, "batchnorm", {"c": {"loss": [1.0] * 10_000}})  # too long: refused
    keep_results(tmp_path, "batchnorm", {"d": good, "e": good})  # one entry per check only
    assert list(read_cache(tmp_path, "batchnorm")) == ["a" * 32]
    for i in range(20):
        keep_results(tmp_path, "batchnorm", {f"k{i}": good})
    assert len(read_cache(tmp_path, "batchnorm")) == 8
    (tmp_path / "batchnorm.json").write_bytes(b"\xff{not json")
    assert read_cache(tmp_path, "batchnorm") == {}


def test_the_starter_gets_one_diagnosis_not_two() -> None:
    check = checker()
    layers = [{"type": "Conv2d", "name": "conv1"}, {"type": "Conv2d", "name": "conv2"}]
    counted = {"params": 20_490}  # what the referee counted from the weights
    part = check._judge_params(20_490, layers, counted)
    assert not part.passed and "affine" not in part.message and "20,586" in part.message
    with_bn = [*layers, {"type": "BatchNorm2d", "name": "bn1"}, {"type": "BatchNorm2d"}]
    assert "affine=False" in check._judge_params(20_490, with_bn, counted).message
