cnn_params = 16 * 3 * 3 + 3136 * 10  # weights only
mlp_params = 784 * 100 + 100 + 100 * 10 + 10
more_parameters = "mlp"
generalises_better = "cnn"
