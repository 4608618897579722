# Exercise 1: conv arithmetic, worked.
# H_out = floor((H - K + 2P) / S) + 1 with H = 32.

# (a) K=3, P=1, S=1: (32 - 3 + 2) / 1 + 1 = 32. "Same" padding keeps the size.
a = (16, 32, 32)

# (b) K=5, P=0, S=1: (32 - 5 + 0) / 1 + 1 = 28. Without padding a 5x5 kernel loses 4.
b = (16, 28, 28)

# (c) K=3, P=1, S=2: floor((32 - 3 + 2) / 2) + 1 = 15 + 1 = 16. Stride 2 about halves.
c = (16, 16, 16)

# (d) A 2x2 pool with stride 2 halves height and width and keeps the 3 channels.
d = (3, 16, 16)
