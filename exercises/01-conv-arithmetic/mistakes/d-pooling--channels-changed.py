a = (16, 32, 32)
b = (16, 28, 28)
c = (16, 16, 16)
d = (16, 16, 16)  # channels changed by the pool
