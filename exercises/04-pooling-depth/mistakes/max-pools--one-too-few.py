max_pools = 5  # stops at 2x2
linear_in_features = 128 * 8 * 8
