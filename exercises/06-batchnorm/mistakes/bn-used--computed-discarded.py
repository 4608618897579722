# Exercise 6: each BatchNorm is called in the right place, but its output is thrown away.
import torch
import torch.nn as nn


class SimpleCNN(nn.Module):
    """Exercise 5's model, finished: the plain baseline for the comparison."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, kernel_size=3, padding=1)
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(32 * 7 * 7, 10)

    def forward(self, x):
        x = self.pool(self.relu(self.conv1(x)))
        x = self.pool(self.relu(self.conv2(x)))
        x = torch.flatten(x, start_dim=1)
        return self.fc(x)


class SimpleCNNBN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, kernel_size=3, padding=1)
        self.bn1 = nn.BatchNorm2d(16)
        self.conv2 = nn.Conv2d(16, 32, kernel_size=3, padding=1)
        self.bn2 = nn.BatchNorm2d(32)
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(32 * 7 * 7, 10)

    def forward(self, x):
        x = self.conv1(x)
        normalised = self.bn1(x)  # computed, then never used
        x = self.pool(self.relu(x))
        x = self.conv2(x)
        normalised = self.bn2(x)
        x = self.pool(self.relu(x))
        x = torch.flatten(x, start_dim=1)
        return self.fc(x)


observation = (
    "With BatchNorm the loss should fall faster and more smoothly at the same learning "
    "rate, and the test accuracy after a few epochs should be higher."
)
