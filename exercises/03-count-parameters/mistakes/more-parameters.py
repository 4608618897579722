cnn_params = 31530
mlp_params = 79510
more_parameters = "cnn"
generalises_better = "cnn"
