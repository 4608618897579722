# Exercise 5: conv2 is declared and even called, but its result never reaches fc.
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
        x = self.pool(self.relu(self.conv1(x)))  # (B, 16, 14, 14)
        features = self.pool(self.relu(self.conv2(x)))  # computed ...
        x = self.pool(torch.cat([x, x], dim=1))  # ... but fc gets conv1's maps, doubled
        x = torch.flatten(x, start_dim=1)
        return self.fc(x)
