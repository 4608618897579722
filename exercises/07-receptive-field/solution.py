# Exercise 7: receptive field, worked.
# r = field, j = jump (input pixels between neighbouring units); r += (k - 1) * j; j *= s
# conv 3: r = 1 + 2*1 = 3,   j = 1
# pool 2: r = 3 + 1*1 = 4,   j = 2
# conv 3: r = 4 + 2*2 = 8,   j = 2
# pool 2: r = 8 + 1*2 = 10,  j = 4
# conv 3: r = 10 + 2*4 = 18, j = 4
receptive_field = 18

covers_whole_image = False  # 18 < 28: one unit sees only part of the digit
