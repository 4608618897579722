"""Where a relative link in a lesson or an exercise statement leads inside the course."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tutor.course import Exercise, Lesson


def link_target(
    href: str, origin: Path, lessons: Sequence[Lesson], exercises: Sequence[Exercise]
) -> str | None:
    """The place key a link from the file `origin` points to, or None if it leaves the course."""
    path = href.split("#", 1)[0]
    if not path or "://" in path or path.startswith("mailto:"):
        return None
    target = (origin.parent / path).resolve()
    for lesson in lessons:
        if lesson.path.resolve() == target:
            return lesson.key
    for exercise in exercises:
        folder = exercise.folder.resolve()
        if target in (folder, folder / "README.md"):
            return exercise.key
    return None
