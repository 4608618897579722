# Exercise 6: BatchNorm2d after each conv, before its ReLU (worked).
import torch.nn as nn


class SimpleCNN(nn.Module):
    """The same model without BatchNorm: the plain side of the comparison (optional; the
    checker brings its own copy when there is none)."""

    def __init__(self):
        super().__init__()
        self.block1 = nn.Sequential(
            nn.Conv2d(1, 16, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2)
        )
        self.block2 = nn.Sequential(
            nn.Conv2d(16, 32, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2)
        )
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(32 * 7 * 7, 10))

    def forward(self, x):
        return self.head(self.block2(self.block1(x)))


class SimpleCNNBN(nn.Module):
    """Lesson 9's two-conv model as a class: one nn.Sequential per conv block."""

    def __init__(self):
        super().__init__()
        self.block1 = nn.Sequential(
            nn.Conv2d(1, 16, kernel_size=3, padding=1),
            nn.BatchNorm2d(16),  # as many channels as the conv gives
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.block2 = nn.Sequential(
            nn.Conv2d(16, 32, kernel_size=3, padding=1),
            nn.BatchNorm2d(32),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(32 * 7 * 7, 10))

    def forward(self, x):
        return self.head(self.block2(self.block1(x)))


observation = (
    "With BatchNorm the loss should fall faster and more smoothly at the same learning "
    "rate, and the test accuracy after a few epochs should be higher."
)
