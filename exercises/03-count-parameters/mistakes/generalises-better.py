cnn_params = 31530
mlp_params = 79510
more_parameters = "mlp"
generalises_better = "mlp"  # more parameters, so better?
