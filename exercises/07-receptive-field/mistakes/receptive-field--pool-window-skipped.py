receptive_field = 15  # the pools double the jump, but their own window is not counted
covers_whole_image = False
