# Exercise 5: every layer runs, but on a blank picture instead of the input batch.
import torch
import torch.nn as nn


class SimpleCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, kernel_size=3, padding=1)
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(32 * 7 * 7, 10)

    def forward(self, x):
        blank = torch.zeros(x.shape[0], 1, 28, 28)  # x itself is never used
        h = self.pool(self.relu(self.conv1(blank)))
        h = self.pool(self.relu(self.conv2(h)))
        h = torch.flatten(h, start_dim=1)
        return self.fc(h)
