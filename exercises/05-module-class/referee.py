"""Referee for exercise 5: the learner's weights in the reference SimpleCNN, same outputs.

Runs in the referee process, never beside the answer. The reference below is the model the
exercise asks for; the learner's layers may have any names.
"""

from __future__ import annotations

from typing import Any

BATCH = (8, 1, 28, 28)


def reference() -> Any:
    import torch
    import torch.nn as nn

    class Reference(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(1, 16, kernel_size=3, padding=1)
            self.conv2 = nn.Conv2d(16, 32, kernel_size=3, padding=1)
            self.fc = nn.Linear(32 * 7 * 7, 10)

        def forward(self, x: Any) -> Any:
            x = torch.max_pool2d(torch.relu(self.conv1(x)), 2)
            x = torch.max_pool2d(torch.relu(self.conv2(x)), 2)
            return self.fc(torch.flatten(x, start_dim=1))

    return Reference()


def referee(evidence: Any, seed: int | None, params: dict[str, Any]) -> dict[str, Any]:
    from tutor.checks.referee import check_model

    return check_model(evidence, seed, reference(), BATCH)
