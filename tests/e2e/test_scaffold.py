"""Adding an exercise takes only its own files: scaffold one into a copy of the course, fill it
in as a developer would, and run the content suite there (a real subprocess, the real sandbox).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tutor.course import load_exercises

REPO = Path(__file__).resolve().parents[2]
SLUG = "stride-side"
COPIED = ("lessons", "exercises", "tutor", "tests/content", "tests/conftest.py", "pyproject.toml")
JUNK = {"__pycache__", ".pytest_cache"}


def copy_of_the_course(target: Path) -> Path:
    for name in COPIED:
        source, dest = REPO / name, target / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, dest, ignore=shutil.ignore_patterns(*JUNK))
        else:
            shutil.copyfile(source, dest)
    return target


def digests(root: Path) -> dict[str, str]:
    """Every file under root (caches aside) and the hash of its bytes."""
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in root.rglob("*")
        if path.is_file() and not JUNK & set(path.relative_to(root).parts)
    }


def python(*args: str, cwd: Path, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


def fill_in(folder: Path) -> None:
    """What a developer writes over the scaffold's TODOs for a small numeric exercise."""
    check = (folder / "check.py").read_text()
    check = check.replace(
        "ANSWER = 1  # TODO (developer): compute the right value here, e.g. with tutor.shapes",
        "ANSWER = conv_out(27, kernel=5, stride=3, padding=1)",
    ).replace("from tutor.checks import Part\n", "from tutor.checks import Part\n"
              "from tutor.shapes import conv_out\n")  # fmt: skip
    assert "conv_out(27" in check and "import conv_out" in check
    (folder / "check.py").write_text(check)
    (folder / "solution.py").write_text("# floor((27 - 5 + 2*1) / 3) + 1 = 8 + 1 = 9\nanswer = 9\n")
    (folder / "mistakes" / "answer--off-by-one.py").unlink()
    (folder / "mistakes" / "answer--rounded-up.py").write_text("answer = 10\n")


@pytest.mark.slow
def test_a_scaffolded_exercise_joins_the_content_suite_with_only_its_own_files(
    tmp_path: Path,
) -> None:
    course = copy_of_the_course(tmp_path / "course")
    before = digests(course)
    number = len(load_exercises()) + 1
    made = python(
        "-m", "tutor.scaffold", "exercise", SLUG, "--title", "Stride: one more side",
        "--lesson", "3", cwd=course,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    folder = course / "exercises" / f"{number:02d}-{SLUG}"
    assert folder.is_dir(), made.stdout
    fill_in(folder)

    after = digests(course)
    changed = {name for name in before.keys() | after.keys() if before.get(name) != after.get(name)}
    assert changed and all(name.startswith(f"exercises/{folder.name}/") for name in changed), (
        sorted(changed)
    )

    # The content suite of the copy: every course-wide test, and every test of the new
    # exercise (the other exercises' own answers are untouched and checked in this tree).
    report = tmp_path / "report.xml"
    chosen = f"{SLUG} or parse_numbered or not test_exercises"
    suite = python(
        "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", "-m", "not slow",
        "-k", chosen, f"--junitxml={report}", "tests/content", cwd=course, timeout=600,
    )  # fmt: skip
    assert suite.returncode == 0, suite.stdout[-4000:] + suite.stderr[-2000:]
    cases = ET.parse(report).getroot().iter("testcase")
    names = [case.get("name", "") for case in cases]
    ours = [name for name in names if SLUG in name]
    # its folder, statement, answer fields, starter, solution, mistake, torch-free probe ...
    assert len(ours) >= 7, ours
    assert any(f"{folder.name}/solution" in name for name in ours), ours
    assert any(f"{folder.name}/mistakes/answer--rounded-up" in name for name in ours), ours
    assert any("parse_numbered" in name for name in names), names
    assert any("every_picture_a_lesson_names_exists" in name for name in names), names


def test_the_scaffold_refuses_a_bad_request_in_one_line(tmp_path: Path) -> None:
    course = copy_of_the_course(tmp_path / "course")
    before = digests(course)
    for args, says in (
        (["Not_A_Slug", "--lesson", "3"], "is not a slug"),
        (["conv-arithmetic", "--lesson", "3"], "exists already"),
        (["new-one", "--lesson", "99"], "there is no lesson 99"),
    ):
        done = python("-m", "tutor.scaffold", "exercise", *args, "--title", "T", cwd=course)
        assert done.returncode == 2, done.stdout
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and says in lines[0], done.stderr
    assert digests(course) == before
