max_pools = 7  # one pool too many
linear_in_features = 128 * 8 * 8
