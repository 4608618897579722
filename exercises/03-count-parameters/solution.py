# Exercise 3: counting parameters, worked.

# Conv2d(1, 16, 3): 16 filters of 1 x 3 x 3 weights, plus 16 biases = 160.
# Linear(3136, 10): 3136 x 10 weights, plus 10 biases = 31,370.
cnn_params = (16 * 1 * 3 * 3 + 16) + (3136 * 10 + 10)  # 31,530

# Linear(784, 100): 78,400 weights + 100 biases; Linear(100, 10): 1,000 + 10.
mlp_params = (784 * 100 + 100) + (100 * 10 + 10)  # 79,510

more_parameters = "mlp"

# Weight sharing and locality: the CNN reuses one small filter everywhere.
generalises_better = "cnn"
