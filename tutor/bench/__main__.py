"""Run every benchmark section that exists and print one table of figures."""

from __future__ import annotations

import importlib
import importlib.util
import sys

SECTIONS = ["ui", "sandbox", "realworld", "checks", "playground", "grade"]

Row = tuple[str, str, str]


def table(rows: list[tuple[str, str, str, str]]) -> str:
    """Rows as aligned columns under a header."""
    header = ("section", "figure", "value", "against the baseline")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(3)]
    lines = []
    for row in [header, *rows]:
        cells = [cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True)]
        lines.append("  ".join([*cells, row[3]]).rstrip())
    lines.insert(1, "-" * max(len(line) for line in lines))
    return "\n".join(lines)


def main() -> int:
    rows: list[tuple[str, str, str, str]] = []
    for name in SECTIONS:
        module_name = f"tutor.bench.{name}"
        if importlib.util.find_spec(module_name) is None:
            print(f"({name}: no benchmark yet, skipped)", file=sys.stderr)
            continue
        print(f"measuring {name} ...", file=sys.stderr, flush=True)
        section = importlib.import_module(module_name)
        try:
            section_rows: list[Row] = section.run()
        except Exception as exc:  # one broken section must not hide the others' figures
            print(f"{name}: could not be measured: {exc}", file=sys.stderr)
            rows.append((name, "could not be measured", "-", str(exc)[:120]))
            continue
        rows += [(name, *row) for row in section_rows]
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
