max_pools = 6
linear_in_features = 8 * 8  # channels forgotten
