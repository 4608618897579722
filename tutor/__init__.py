"""cnn-tutor: a terminal tutor for convolutional neural networks in PyTorch."""

__version__ = "0.1.0"
