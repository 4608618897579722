cnn_params = 16 * 3 * 3 + 16 + 3136 * 10 + 10
mlp_params = 784 * 100 + 100 * 10  # weights only
more_parameters = "mlp"
generalises_better = "cnn"
