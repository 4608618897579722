cnn_params = 3 * 3 + 1 + 3136 * 10 + 10  # one filter counted instead of sixteen
mlp_params = 784 * 100 + 100 + 100 * 10 + 10
more_parameters = "mlp"
generalises_better = "cnn"
