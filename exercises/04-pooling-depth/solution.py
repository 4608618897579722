# Exercise 4: pooling depth, worked.

# 64 -> 32 -> 16 -> 8 -> 4 -> 2 -> 1: six halvings (2 ** 6 = 64).
max_pools = 6

# Three pools: 64 -> 32 -> 16 -> 8, and the last conv has 128 channels.
# Flatten gives channels x height x width values per image.
linear_in_features = 128 * 8 * 8  # 8,192
