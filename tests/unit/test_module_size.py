"""No module in the package grows past a size a newcomer can read in one sitting.

A module over the limit does several jobs; split it by job (the trace's loss capture from
its shape recording, the error recognisers from the explanation table) rather than raising
the limit.
"""

from __future__ import annotations

from pathlib import Path

import tutor

MAX_LINES = 500
PACKAGE = Path(tutor.__file__).parent


def line_counts() -> dict[str, int]:
    """Lines per module under tutor/, by path from the repository root."""
    return {
        path.relative_to(PACKAGE.parent).as_posix(): len(path.read_text().splitlines())
        for path in sorted(PACKAGE.rglob("*.py"))
    }


def test_the_walk_sees_the_whole_package() -> None:
    counts = line_counts()
    assert "tutor/app.py" in counts and "tutor/sandbox/worker.py" in counts
    assert all(n > 0 for name, n in counts.items() if not name.endswith("__init__.py"))


def test_no_module_in_the_package_is_over_500_lines() -> None:
    over = {name: n for name, n in line_counts().items() if n > MAX_LINES}
    listing = ", ".join(f"{name} ({n} lines)" for name, n in sorted(over.items()))
    assert not over, f"over {MAX_LINES} lines: {listing}; split each by job"
