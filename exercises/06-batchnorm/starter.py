# Exercise 6: BatchNorm2d after each conv, before its ReLU.
import torch.nn as nn


class SimpleCNNBN(nn.Module):
    """Lesson 9's two-conv model as a class: one nn.Sequential per conv block."""

    def __init__(self):
        super().__init__()
        self.block1 = nn.Sequential(
            nn.Conv2d(1, 16, kernel_size=3, padding=1),
            # TODO: a BatchNorm2d for the 16 channels of the conv above
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.block2 = nn.Sequential(
            nn.Conv2d(16, 32, kernel_size=3, padding=1),
            # TODO: a BatchNorm2d for the 32 channels of the conv above
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(32 * 7 * 7, 10))

    def forward(self, x):
        return self.head(self.block2(self.block1(x)))


observation = ""  # optional: what do you expect BatchNorm to change? (not graded)
