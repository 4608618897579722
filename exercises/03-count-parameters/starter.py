# Exercise 3: counting parameters.
# Weights and biases of every layer; ReLU, pooling and Flatten have none.

# The CNN: Conv2d(1, 16, 3, padding=1) -> ReLU -> MaxPool2d(2) -> Flatten -> Linear(3136, 10)
cnn_params = None  # TODO: a whole number

# The MLP: Flatten -> Linear(784, 100) -> ReLU -> Linear(100, 10)
mlp_params = None  # TODO: a whole number

more_parameters = None  # TODO: "cnn" or "mlp"
generalises_better = None  # TODO: "cnn" or "mlp"
