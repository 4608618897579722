"""Command-line entry point: parse arguments, then start the TUI or run one command."""

from __future__ import annotations

import argparse
import math
import os
import signal
import sys
from collections.abc import Sequence

from tutor import __version__
from tutor.course import exercise_numbers
from tutor.errors import UsageError

DEVICES = ("auto", "cpu", "cuda")


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line and exit 2, as the contract asks."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: {message} (see '{self.prog} --help')\n")


def _limit(what: str, unit: str, example: str, least: float = 0.0) -> object:
    """An argparse type for a limit: a finite number above `least` (nan, inf, 0, -1 refused)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value <= 0 or value < least:
            floor = f"at least {least:g} " if least else "a positive number of "
            raise argparse.ArgumentTypeError(
                f"{what} must be {floor}{unit}, not {text!r}; e.g. {example}"
            )
        return value

    parse.__name__ = what  # argparse names the type in its messages
    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="cnn-tutor",
        description="A terminal tutor for convolutional neural networks in PyTorch.",
    )
    parser.add_argument("--version", action="version", version=f"cnn-tutor {__version__}")
    parser.add_argument(
        "--home",
        metavar="DIR",
        help="keep progress and answers in DIR (default: $CNN_TUTOR_HOME or the XDG data folder)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    sub.add_parser("tui", help="start the tutor (the default)")

    run = sub.add_parser("run", help="run a script in the sandbox with shape and loss tracing")
    run.add_argument("file", help="the Python script to run")
    _add_job_options(run)
    run.add_argument(
        "--data",
        default="digits",
        metavar="SPEC",
        help="digits (default), csv:PATH, idx:DIR or rgb",
    )

    check = sub.add_parser("check", help="check an exercise answer")
    check.add_argument(
        "exercise", metavar="EX", help=f"exercise number ({exercise_numbers()}) or slug"
    )
    check.add_argument("file", nargs="?", help="answer file (default: your workspace copy)")
    _add_job_options(check)

    grade = sub.add_parser("grade", help="grade a class: every answer in a folder")
    grade.add_argument(
        "exercise", metavar="EX", help=f"exercise number ({exercise_numbers()}) or slug"
    )
    grade.add_argument("folder", metavar="DIR", help="one .py per student, or a folder each")
    grade.add_argument("--out", metavar="FILE", help="also write FILE.csv or FILE.json")
    grade.add_argument("--jobs", type=int, metavar="N", help="at once (default: the cores)")
    grade.add_argument(
        "--timeout",
        type=_limit("--timeout", "seconds", "--timeout 60"),
        metavar="S",
        help="limit per submission",
    )
    grade.add_argument("--device", choices=DEVICES, default="auto", help="default: auto")

    sub.add_parser("list", help="every exercise of the course and its state")

    watch = sub.add_parser("watch", help="re-check an answer on every save")
    watch.add_argument("exercise", metavar="EX", nargs="?", help="exercise number or slug")
    watch.add_argument("file", nargs="?", help="answer file (default: your workspace copy)")
    _add_job_options(watch)

    data = sub.add_parser("data", help="datasets")
    data_sub = data.add_subparsers(dest="data_command", metavar="ACTION", parser_class=_Parser)
    export = data_sub.add_parser("export", help="write a dataset as an MNIST-layout CSV")
    export.add_argument("path", help="the CSV file to write")
    export.add_argument(
        "--source",
        default="digits",
        metavar="SPEC",
        help="digits (default), csv:PATH, idx:DIR or rgb",
    )
    return parser


def _add_job_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--device", choices=DEVICES, default="auto", help="where learner code runs (default: auto)"
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument(
        "--timeout",
        type=_limit("--timeout", "seconds", "--timeout 60"),
        default=None,
        metavar="S",
        help="wall-clock limit in seconds (default: 120 for run, the exercise's own for check)",
    )
    parser.add_argument(
        "--memory",
        type=_limit("--memory", "MB", "--memory 2048", least=64),
        default=None,
        metavar="MB",
        help="memory limit in MB, /tmp and /dev/shm included (default: 4096 for run)",
    )
    parser.add_argument(
        "--disk",
        type=_limit("--disk", "MB", "--disk 1024"),
        default=None,
        metavar="MB",
        help="limit on the files a run keeps in its folder, in MB (default: 512)",
    )


_stopping: list[int] = []


def _terminated(signum: int, frame: object) -> None:
    """SIGTERM ends a command as ctrl+c does: cleanly, workers stopped, no traceback."""
    _stopping.append(signum)
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    command = args.command or "tui"
    if args.home:
        # Everything, the sandbox's list of folders to hide included, finds it here.
        from tutor.paths import HOME_ENV

        os.environ[HOME_ENV] = os.path.abspath(os.path.expanduser(args.home))
    if command != "tui":
        signal.signal(signal.SIGTERM, _terminated)
    try:
        if command == "tui":
            from tutor.app import run_app

            return run_app(home=args.home)
        if command == "list":
            from tutor.commands.listing import list_exercises

            return list_exercises(args)
        if command == "run":
            from tutor.commands.run import run_script

            return run_script(args)
        if command == "check":
            from tutor.commands.check import check_exercise

            return check_exercise(args)
        if command == "grade":
            from tutor.commands.grade import grade_folder

            return grade_folder(args)
        if command == "watch":
            from tutor.commands.watch import watch_exercise

            return watch_exercise(args)
        if command == "data":
            if args.data_command != "export":
                raise UsageError("say what to do with data: cnn-tutor data export PATH")
            from tutor.commands.data import export_data

            return export_data(args)
    except UsageError as exc:
        print(f"cnn-tutor: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception:
        # Interrupted mid-import, C code can turn the KeyboardInterrupt into another error
        # (numpy's "could not import datetime"): after a SIGTERM, it is still just a stop.
        if _stopping:
            return 130
        raise
    except BrokenPipeError:  # the reader went away (`| head`): nothing more to say
        sys.stderr.close()
        return 1
    parser.error(f"unknown command {command}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
