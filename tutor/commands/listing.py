"""`cnn-tutor list`: the exercises and the learner's state for each."""

from __future__ import annotations

import argparse

from tutor.course import load_exercises
from tutor.paths import learner_home
from tutor.progress import Progress


def list_exercises(args: argparse.Namespace) -> int:
    progress = Progress.load(learner_home(args.home))
    if progress.notice:
        print(f"note: {progress.notice}")
    for ex in load_exercises():
        state = progress.exercise(ex.slug)
        tries = {0: "", 1: "1 try"}.get(state.tries, f"{state.tries} tries")
        print(f"{ex.number}  {ex.slug:<18} {state.summary:<27} {tries:<9} {ex.title}")
    return 0
