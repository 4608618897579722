# Exercise 1: conv arithmetic.
# Each layer is applied on its own to one (3, 32, 32) image.
# Write each output shape as a tuple (channels, height, width).

# (a) nn.Conv2d(3, 16, kernel_size=3, padding=1, stride=1)
a = None  # TODO

# (b) nn.Conv2d(3, 16, kernel_size=5, padding=0, stride=1)
b = None  # TODO

# (c) nn.Conv2d(3, 16, kernel_size=3, padding=1, stride=2)
c = None  # TODO

# (d) nn.MaxPool2d(2)
d = None  # TODO
