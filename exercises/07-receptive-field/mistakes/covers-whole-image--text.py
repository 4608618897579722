receptive_field = 18
covers_whole_image = "no"  # a string, not a bool
