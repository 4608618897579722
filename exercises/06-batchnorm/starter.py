# Exercise 6: SimpleCNN with BatchNorm2d after each conv, before its ReLU.
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
        # TODO: a BatchNorm2d for conv1's 16 channels
        self.conv2 = nn.Conv2d(16, 32, kernel_size=3, padding=1)
        # TODO: a BatchNorm2d for conv2's 32 channels
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(32 * 7 * 7, 10)

    def forward(self, x):
        x = self.pool(self.relu(self.conv1(x)))  # TODO: BatchNorm between conv1 and ReLU
        x = self.pool(self.relu(self.conv2(x)))  # TODO: BatchNorm between conv2 and ReLU
        x = torch.flatten(x, start_dim=1)
        return self.fc(x)


observation = ""  # optional: what do you expect BatchNorm to change? (not graded)
