"""Referee for exercise 6: the learner's weights in the reference SimpleCNNBN, same outputs.

Runs in the referee process, never beside the answer. BatchNorm's scales, shifts and
running statistics arrive filled from the challenge seed, so the outputs are compared in
eval mode (running statistics) and in train mode (the batch's own). When they differ, the
same weights go into the reference with one BatchNorm, or both, left out of forward: a
match there means a BatchNorm is computed but its output not used.
"""

from __future__ import annotations

from typing import Any

BATCH = (8, 1, 28, 28)


def reference(skip: frozenset[int] = frozenset()) -> Any:
    import torch
    import torch.nn as nn

    class Reference(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(1, 16, kernel_size=3, padding=1)
            self.bn1 = nn.BatchNorm2d(16)
            self.conv2 = nn.Conv2d(16, 32, kernel_size=3, padding=1)
            self.bn2 = nn.BatchNorm2d(32)
            self.fc = nn.Linear(32 * 7 * 7, 10)

        def forward(self, x: Any) -> Any:
            x = self.conv1(x)
            x = x if 1 in skip else self.bn1(x)
            x = torch.max_pool2d(torch.relu(x), 2)
            x = self.conv2(x)
            x = x if 2 in skip else self.bn2(x)
            x = torch.max_pool2d(torch.relu(x), 2)
            return self.fc(torch.flatten(x, start_dim=1))

    return Reference()


def referee(evidence: Any, seed: int | None, params: dict[str, Any]) -> dict[str, Any]:
    from tutor.checks.referee import check_model

    variants = {
        "the first BatchNorm": reference(frozenset({1})),
        "the second BatchNorm": reference(frozenset({2})),
        "either BatchNorm": reference(frozenset({1, 2})),
    }
    return check_model(evidence, seed, reference(), BATCH, variants)
