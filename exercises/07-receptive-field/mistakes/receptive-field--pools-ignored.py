receptive_field = 7  # pools left out: three convs of 3x3
covers_whole_image = False
