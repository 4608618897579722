"""The referee's own checks, on evidence made here with real torch (no sandbox)."""

from __future__ import annotations

import io
import os
import pickle
from typing import Any

import pytest
import torch
import torch.nn as nn

from tutor.checks import evidence, referee
from tutor.course import find_exercise

SEED = 424242
BATCH = (8, 1, 28, 28)


def exercise_referee(number: int) -> dict[str, Any]:
    namespace: dict[str, Any] = {}
    exec(find_exercise(str(number)).referee_source or "", namespace)
    return namespace


class Renamed(nn.Module):
    """Exercise 5's model with other names, other declaration order and functional ops."""

    def __init__(self) -> None:
        super().__init__()
        self.head = nn.Linear(32 * 7 * 7, 10)
        self.body = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.second = nn.Conv2d(16, 32, 3, padding=1)

    def forward(self, x: Any) -> Any:
        x = torch.max_pool2d(self.second(self.body(x)).relu(), 2)
        return self.head(x.reshape(x.shape[0], -1))


def roundtrip(found: dict[str, Any]) -> dict[str, Any] | None:
    buffer = io.BytesIO()
    torch.save(found, buffer)
    return referee.load_evidence(buffer.getvalue())


def test_any_names_and_declaration_order_pass() -> None:
    handed = roundtrip(evidence.model_evidence(Renamed(), SEED, BATCH))
    found = exercise_referee(5)["referee"](handed, SEED, {})
    assert found["agrees"], found
    assert found["params"] == 20490


def test_evidence_from_another_challenge_is_refused() -> None:
    handed = roundtrip(evidence.model_evidence(Renamed(), SEED + 1, BATCH))
    found = exercise_referee(5)["referee"](handed, SEED, {})
    assert not found["agrees"] and "challenge" in found["evidence"]


def test_weights_that_are_not_the_seeded_ones_are_caught() -> None:
    made = evidence.model_evidence(Renamed(), SEED, BATCH)
    made["tensors"][0] = torch.zeros_like(made["tensors"][0])
    found = exercise_referee(5)["referee"](roundtrip(made), SEED, {})
    assert found["seeded"] is False and not found["agrees"]


def test_a_discarded_batchnorm_is_named() -> None:
    class Discarding(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
            self.bn1 = nn.BatchNorm2d(16)
            self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
            self.bn2 = nn.BatchNorm2d(32)
            self.fc = nn.Linear(32 * 7 * 7, 10)

        def forward(self, x: Any) -> Any:
            x = torch.max_pool2d(torch.relu(self.bn1(self.conv1(x))), 2)
            x = self.conv2(x)
            self.bn2(x)  # computed, then thrown away
            return self.fc(torch.flatten(torch.max_pool2d(torch.relu(x), 2), 1))

    handed = roundtrip(evidence.model_evidence(Discarding(), SEED, BATCH))
    found = exercise_referee(6)["referee"](handed, SEED, {})
    assert not found["agrees"] and found["variant"] == "the second BatchNorm"


def test_a_pickle_that_is_not_plain_data_is_not_loaded() -> None:
    class Payload:
        def __reduce__(self) -> Any:
            return (os.system, ("echo never",))

    found = referee.load_evidence(pickle.dumps({"names": Payload()}))
    assert found is not None and "unreadable" in found


def test_an_oversized_frame_is_refused_before_it_is_read() -> None:
    read, write = os.pipe()
    try:
        os.write(write, (referee.MAX_REQUEST_BYTES + 1).to_bytes(8, "big"))
        with pytest.raises(ValueError):
            referee.read_frame(read)
    finally:
        os.close(read)
        os.close(write)
