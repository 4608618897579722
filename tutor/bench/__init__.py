"""`make bench`: each section measures one part of the tutor against a baseline run beside it."""
