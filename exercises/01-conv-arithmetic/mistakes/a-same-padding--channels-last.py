a = (32, 32, 16)  # channels written last
b = (16, 28, 28)
c = (16, 16, 16)
d = (3, 16, 16)
