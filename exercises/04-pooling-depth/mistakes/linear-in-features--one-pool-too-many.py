max_pools = 6
linear_in_features = 128 * 4 * 4  # one pool too many
