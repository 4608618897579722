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

images = None  # TODO: the rows of X as (N, 28, 28) pictures
X_t = None  # TODO: float32 tensor (N, 1, 28, 28), pixels scaled into [0, 1]
y_t = None  # TODO: torch.long tensor (N,)
loader = None  # TODO: a DataLoader over X_t and y_t, batch size 32
