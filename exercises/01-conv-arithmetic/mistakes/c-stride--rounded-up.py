a = (16, 32, 32)
b = (16, 28, 28)
c = (16, 17, 17)  # the division rounded up
d = (3, 16, 16)
