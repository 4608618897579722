receptive_field = 18
covers_whole_image = True
