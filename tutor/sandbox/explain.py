"""Plain-words explanations of the errors a learner's CNN script raises.

``explain`` turns an exception from the learner's code into the ``error`` event's fields:
``kind`` (``shape`` for shape, channel and feature mismatches, ``memory`` for running out
of memory, ``sandbox`` for what the sandbox itself stopped, ``exception`` otherwise),
``message`` (the exception's type and first line), ``explanation`` (what went wrong, in
which layer, with this failure's shapes, and the fix), ``line`` (the innermost line of the
learner's file) and ``layer`` (the dotted name of the module whose call raised, as in the
``shape`` events, or null).

The explanation comes from the first recogniser in ``RECOGNISERS`` that knows the error;
each is a function ``Context -> Found`` (``tutor.sandbox.clues``). The order matters where
two could claim one message, and is:

1. ``workers``: a DataLoader worker process failing (a PermissionError there is about
   processes, not files, so it comes before anything that reads OS errors);
2. ``memory``: out of memory, whatever raised it;
3. shape errors (``shape_errors``): ``linear_features`` (also a missing pool, a batch size
   written into a reshape), ``conv_channels``, ``conv_rank``, ``batchnorm_features``,
   ``too_small`` (maps smaller than a kernel), ``view_size``, ``cat_sizes``,
   ``state_dict`` (a saved model's sizes);
4. the labels: ``target_dtype`` (one-hot rows, float labels) before ``target_shape``
   (out-of-range classes, batch mismatches), since a wrong dtype also shows as a shape;
5. ``devices`` before ``dtypes`` (torch's "Input type (cuda...) and weight type" is about
   devices);
6. code errors: ``module_init`` (no super().__init__()), ``old_idioms`` (``loss.data[0]``,
   ``it.next()``), ``non_contiguous`` (a view after a permute), ``name_error``.

When none matches, the fallback says what the trace knows: the failing layer, its input
shapes and the last layer that ran before it. A recogniser that raises is a bug: under
tests (``STRICT``, set by ``CNN_TUTOR_STRICT_EXPLAIN=1`` or when pytest is loaded) the
error propagates; otherwise the next recogniser (or the fallback) explains it, and the
explanation ends by saying which rule failed and how (also in ``recogniser_error``).
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable
from typing import Any

from tutor.sandbox import code_errors as code
from tutor.sandbox import shape_errors as shapes
from tutor.sandbox.clues import Context, Found, earlier, fmt_shape, one_line
from tutor.sandbox.trace import Tracer

RECOGNISERS: list[Callable[[Context], Found]] = [
    code.workers,
    code.memory,
    shapes.linear_features,
    shapes.conv_channels,
    shapes.conv_rank,
    shapes.batchnorm_features,
    shapes.too_small,
    shapes.view_size,
    shapes.cat_sizes,
    shapes.state_dict,
    code.target_dtype,
    shapes.target_shape,
    code.devices,
    code.dtypes,
    code.module_init,
    code.old_idioms,
    code.non_contiguous,
    code.name_error,
]


def strict() -> bool:
    """Whether a recogniser that raises should fail loudly (under tests)."""
    return os.environ.get("CNN_TUTOR_STRICT_EXPLAIN") == "1" or "pytest" in sys.modules


def explain(
    exc: BaseException, *, tracer: Tracer | None, source: str, filename: str
) -> dict[str, Any]:
    """The ``error`` event fields for an exception raised by the learner's code."""
    message = one_line(exc)
    source_lines = source.splitlines()
    if isinstance(exc, SyntaxError) and exc.filename in (filename, None, "<string>"):
        return {
            "kind": "exception",
            "message": message,
            "explanation": _syntax(exc, source_lines),
            "line": exc.lineno,
            "layer": None,
        }
    failure = tracer.failure_for(exc) if tracer is not None else None
    context = Context(exc, str(exc), failure, learner_line(exc, filename), source_lines)
    found: Found = None
    broken: list[str] = []
    for recognise in RECOGNISERS:
        try:
            found = recognise(context)
        except Exception as bug:
            if strict():
                raise
            found = None
            broken.append(f"{recognise.__name__}: {one_line(bug)}")
        if found is not None:
            break
    kind, explanation = found or ("exception", _generic(context))
    error: dict[str, Any] = {
        "kind": kind,
        "message": message,
        "explanation": explanation,
        "line": context.line,
        "layer": failure.name if failure is not None else None,
    }
    if broken:
        error["recogniser_error"] = "; ".join(broken)
        error["explanation"] += (
            f" (One of the tutor's explanation rules failed here: {error['recogniser_error']}."
            " The words above come from the rules after it; please report this.)"
        )
    return error


def learner_line(exc: BaseException, filename: str) -> int | None:
    """The line of the innermost frame of the learner's file in the traceback."""
    line = None
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        if frame.f_code.co_filename == filename:
            line = lineno
    return line


def _generic(c: Context) -> str:
    """Type, message and line, with what the trace knows: the failing layer, its inputs, the
    last layer that ran before it."""
    at = f" on line {c.line}" if c.line else ""
    code = ""
    if c.line and 0 < c.line <= len(c.source_lines):
        code = f" ({c.source_lines[c.line - 1].strip()})"
    text = one_line(c.exc).partition(": ")[2] or "no message"
    parts = [f"Python raised {type(c.exc).__name__}{at}{code}: {text}."]
    if c.failure is not None:
        given = ", ".join(fmt_shape(s) for s in c.failure.inputs if s is not None)
        got = f" with input {given}" if given else ""
        parts.append(f"It happened inside {c.where}{got}.")
        last = next((r for r in earlier(c.failure) if r.done), None)
        if last is not None:
            parts.append(
                f"The last layer that ran before it was {last.module} ({last.layer}), "
                f"giving {fmt_shape(last.out) if last.out else 'no tensor'}."
            )
    return " ".join(parts)


_SYNTAX_WORDS = (
    (
        "expected ':'",
        "a line that opens a block (def, class, if, for, while, with) must end with a colon",
    ),
    ("was never closed", "a bracket opened here is never closed"),
    ("unmatched", "there is a closing bracket with no opening one"),
    ("does not match opening", "the closing bracket does not match the opening one"),
    ("unterminated string", "a string is missing its closing quote"),
    ("expected an indented block", "the line after a colon must be indented"),
    ("unexpected indent", "this line is indented more than the code around it"),
    ("unindent does not match", "this line's indentation matches no outer block"),
    ("inconsistent use of tabs", "tabs and spaces are mixed; indent with spaces only"),
)


def _syntax(exc: SyntaxError, source_lines: list[str]) -> str:
    """Where Python stopped reading, the line with a caret under it, and what it means."""
    lineno = exc.lineno or 0
    column = exc.offset or 1
    text = exc.text
    if text is None and 0 < lineno <= len(source_lines):
        text = source_lines[lineno - 1]
    msg = exc.msg or "invalid syntax"
    plain = next((words for key, words in _SYNTAX_WORDS if key in msg), None)
    if plain is None:
        plain = "something here is not valid Python; look at the caret and just before it"
    code = ""
    if text:
        line = text.rstrip("\n").expandtabs()
        stripped = line.lstrip()
        indent = len(line) - len(stripped)
        caret = max(column - 1 - indent, 0)
        width = 1
        if exc.end_lineno == exc.lineno and exc.end_offset and exc.end_offset > column:
            width = exc.end_offset - column
        code = f"\n    {stripped}\n    {' ' * caret}{'^' * width}"
    return (
        f"Python could not read line {lineno}, column {column}: {plain} (Python says: {msg}).{code}"
    )
