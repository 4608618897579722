# Exercise 4: pooling depth, for a 64x64 grey input and "same"-padded convs.

# How many MaxPool2d(2) layers take 64x64 down to 1x1?
max_pools = None  # TODO: a whole number

# Three blocks Conv2d -> ReLU -> MaxPool2d(2) with 32, 64, 128 channels, then Flatten.
# What is the first Linear's in_features?
linear_in_features = None  # TODO: a whole number
