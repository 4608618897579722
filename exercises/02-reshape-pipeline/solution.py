# Exercise 2: from flat CSV rows to a DataLoader of (B, 1, 28, 28) images.
import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

try:
    X, y  # given by the checker: X (N, 784) ints 0-255, y (N,) ints 0-9
except NameError:  # running the file yourself: read them from the lesson's CSV
    import pandas as pd

    frame = pd.read_csv("mnist_small.csv")
    y = frame["label"].to_numpy()
    X = frame.drop(columns="label").to_numpy()

images = X.reshape(-1, 28, 28)  # (N, 28, 28): each row of 784 becomes 28 rows of 28

X_t = torch.from_numpy(images / 255.0).float()  # scale into [0, 1], then float32
X_t = X_t.unsqueeze(1)  # (N, 1, 28, 28): one grey channel, in second place

y_t = torch.from_numpy(y).long()  # class indices for nn.CrossEntropyLoss

loader = DataLoader(TensorDataset(X_t, y_t), batch_size=32, shuffle=True)
