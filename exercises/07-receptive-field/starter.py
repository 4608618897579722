# Exercise 7: receptive field of
# Conv(3) -> MaxPool(2) -> Conv(3) -> MaxPool(2) -> Conv(3)

receptive_field = None  # TODO: side of the patch one last-layer unit sees, in input pixels
covers_whole_image = None  # TODO: True or False, for a 28x28 image
