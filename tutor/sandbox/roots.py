"""Where sandboxes live on disk: one root folder per tutor, locked while it lives.

A root is made closed to other users (0700) and holds a lock file that the tutor and its
worker keep locked; a root whose lock can be taken belongs to a tutor that is gone.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
import time
from pathlib import Path

ROOT_PREFIX = "cnn-tutor-sandbox-"
LOCK_NAME = "alive.lock"
# A root folder with no lock yet is another tutor starting up, unless it is this old.
# (Tutors from before the lock made none: theirs are left a day.)
UNLOCKED_GRACE_S = 24 * 3600.0


def remove_stale_roots(folder: str | None = None) -> list[Path]:
    """Remove the root folders of sandboxes whose tutor is gone (killed, crashed).

    A live tutor or worker holds its root's lock; a folder whose lock can be taken is
    stale. Only this user's folders are touched. Returns what was removed.
    """
    removed: list[Path] = []
    base = Path(folder or tempfile.gettempdir())
    try:
        candidates = list(base.glob(ROOT_PREFIX + "*"))
    except OSError:
        return removed
    for root in candidates:
        try:
            st = root.lstat()
            if not root.is_dir() or root.is_symlink() or st.st_uid != os.getuid():
                continue
            lock_path = root / LOCK_NAME
            if not lock_path.exists():
                if time.time() - st.st_mtime < UNLOCKED_GRACE_S:
                    continue  # another tutor is making it right now
                shutil.rmtree(root, ignore_errors=True)
                removed.append(root)
                continue
            fd = os.open(lock_path, os.O_RDWR | os.O_CLOEXEC | os.O_NOFOLLOW)
        except OSError:
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # alive
            shutil.rmtree(root, ignore_errors=True)
            removed.append(root)
        finally:
            with contextlib.suppress(OSError):
                os.close(fd)
    return removed


def default_hidden() -> list[str]:
    """Folders a job must not see: the user's home, the learner's tutor folder, and the
    exercises (their judges, referees and solutions), in the checkout or the package."""
    from tutor.paths import HOME_ENV, exercises_dir, learner_home

    hidden = [os.path.expanduser("~"), str(exercises_dir())]
    try:
        hidden.append(str(learner_home()))
    except (OSError, RuntimeError):
        # It cannot be resolved (a loop of links, say): hide it as it was given, never
        # drop it. (The default folder is under the home, hidden above.)
        chosen = os.environ.get(HOME_ENV, "")
        if chosen:
            hidden.append(os.path.abspath(os.path.expanduser(chosen)))
    return hidden
