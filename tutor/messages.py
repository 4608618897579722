"""Messages that cross screens: a screen asks the app to take the learner somewhere."""

from __future__ import annotations

from textual.message import Message

HOME = "home"


class OpenPlace(Message):
    """Take the learner to a place of the course: "home", "lesson-03" or "exercise-01"."""

    def __init__(self, place: str) -> None:
        super().__init__()
        self.place = place


class OpenPlayground(Message):
    """Open the playground on `code` (from `origin`, kept as `<home>/playground/<slug>.py`)."""

    def __init__(self, code: str, origin: str, slug: str) -> None:
        super().__init__()
        self.code = code
        self.origin = origin
        self.slug = slug
