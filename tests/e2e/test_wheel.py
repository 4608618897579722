"""The wheel carries everything: a non-editable install runs with no checkout beside it."""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

import pytest

from tutor.course import load_exercises, load_lessons

REPO = Path(__file__).resolve().parents[2]

SHOW = """
import tutor, tutor.course as course
print(tutor.__file__)
print(len(course.load_lessons()), len(course.load_exercises()))
print(course.load_lessons()[0].title)
"""

START_APP = """
import asyncio, sys
from pathlib import Path
from tutor.app import TutorApp

async def visit() -> None:
    app = TutorApp(Path(sys.argv[1]))
    async with app.run_test(size=(80, 24)) as pilot:
        app.go("lesson-03")
        await pilot.pause()
        print(type(app.screen).__name__)

asyncio.run(visit())
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with the built wheel installed, not the checkout."""
    work = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(work / "dist"),
            str(REPO),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    wheel = next((work / "dist").glob("cnn_tutor-*.whl"))
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(venv / "bin" / "python"),
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            str(wheel),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    # Borrow the dependencies (torch, textual ...) from this environment, but not its
    # editable link to the checkout: a path listed in a .pth file is added as it is, and
    # .pth files inside it are not read.
    target = next((venv / "lib").glob("python3*/site-packages"))
    (target / "borrowed_dependencies.pth").write_text(site.getsitepackages()[0] + "\n")
    return venv


def run(venv: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run(list(args), cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_the_installed_package_is_the_wheel_with_its_content(
    installed: Path, tmp_path: Path
) -> None:
    done = run(installed, str(installed / "bin" / "python"), "-c", SHOW, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    location, counts, title = done.stdout.strip().splitlines()
    assert location.startswith(str(installed))
    assert (
        counts == f"{len(load_lessons(REPO / 'lessons'))} {len(load_exercises(REPO / 'exercises'))}"
    )
    assert title


def test_the_console_script_runs_commands(installed: Path, tmp_path: Path) -> None:
    tutor = str(installed / "bin" / "cnn-tutor")
    assert run(installed, tutor, "--version", cwd=tmp_path).returncode == 0
    listed = run(installed, tutor, "list", cwd=tmp_path)
    assert listed.returncode == 0 and "conv-arithmetic" in listed.stdout
    answer = tmp_path / "answer.py"
    shutil.copyfile(REPO / "exercises" / "01-conv-arithmetic" / "solution.py", answer)
    checked = run(installed, tutor, "check", "1", str(answer), cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_packages_exercises_are_hidden_from_a_run(installed: Path, tmp_path: Path) -> None:
    """Under bubblewrap, a script sees the installed package's exercises folder empty."""
    script = tmp_path / "look.py"
    script.write_text(
        "import os\nfrom tutor.paths import exercises_dir\n"
        "print('in', exercises_dir())\nprint('seen', sorted(os.listdir(exercises_dir())))\n"
    )
    done = run(installed, str(installed / "bin" / "cnn-tutor"), "run", str(script), cwd=tmp_path)
    if "full isolation (bubblewrap)" not in done.stdout + done.stderr:
        pytest.skip("bubblewrap is not in use here: the weaker levels cannot hide files")
    assert f"in {installed}" in done.stdout, done.stdout
    assert "seen []" in done.stdout, done.stdout


def test_the_app_starts_from_the_wheel(installed: Path, tmp_path: Path) -> None:
    done = run(
        installed, str(installed / "bin" / "python"), "-c", START_APP, str(tmp_path), cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "LessonScreen"
