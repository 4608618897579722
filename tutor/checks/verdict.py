"""Parts and verdicts, and how sandbox events become a verdict (no textual, no torch)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tutor import events
from tutor.checks.refdiff import ReferenceDiff, reference_diff
from tutor.events import Event

if TYPE_CHECKING:
    from tutor.course import Exercise

# Parts that a verdict can hold whatever the exercise: the learner's file did not parse,
# it raised or was stopped, or the checker itself could not look at the answer.
PARSES = "parses"
RUNS = "runs"
CHECKER = "checker"
# The referee's own verdict, where no part of the judge already names what it rejected.
REFEREE = "referee"
REFEREE_DISAGREES = (
    "The tutor's own check of your model's weights and outputs did not agree with the "
    "other parts; check that every layer you declare is used in forward, on the input."
)


@dataclass(frozen=True)
class Part:
    """One thing a check confirms: its id, whether it passed, and a sentence for the learner."""

    id: str
    passed: bool
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "passed": self.passed, "message": self.message}


@dataclass
class Verdict:
    """The outcome of checking one answer: the `check --json` object, plus what the UI plots."""

    exercise: int
    slug: str
    passed: bool
    elapsed_s: float
    parts: list[Part]
    facts: dict[str, Any] | None = field(default=None, repr=False)
    output: str = field(default="", repr=False)
    reference_diff: ReferenceDiff | None = field(default=None, repr=False)

    def to_json(self) -> dict[str, Any]:
        """Exactly the object the command-line contract promises; for a model exercise whose
        answer ran, also `reference_diff` (rows) and `first_difference` (an index or null)."""
        data: dict[str, Any] = {
            "exercise": self.exercise,
            "slug": self.slug,
            "passed": self.passed,
            "elapsed_s": round(self.elapsed_s, 3),
            "parts": [p.to_json() for p in self.parts],
        }
        if self.reference_diff is not None:
            data["reference_diff"] = self.reference_diff.to_json()
            data["first_difference"] = self.reference_diff.first_difference
        return data

    @property
    def failed(self) -> list[Part]:
        return [p for p in self.parts if not p.passed]


def make_verdict(
    ex: Exercise,
    parts: list[Part],
    elapsed_s: float,
    facts: dict[str, Any] | None = None,
    output: str = "",
) -> Verdict:
    """A verdict that passes only if it has parts and every one of them passed."""
    passed = bool(parts) and all(p.passed for p in parts)
    return Verdict(ex.number, ex.slug, passed, elapsed_s, list(parts), facts, output)


def parse_failure(ex: Exercise, detail: str, elapsed_s: float = 0.0) -> Verdict:
    """The verdict for an answer file that is not valid Python."""
    message = (
        f"Your file is not valid Python ({detail}). Fix that line (look for a missing "
        "bracket, colon or quote, or a wrong indent) and check again."
    )
    return make_verdict(ex, [Part(PARSES, False, message)], elapsed_s)


def error_part(event: events.Error) -> Part:
    """A failing part for an `error` event: the sandbox's plain-words explanation, and where."""
    kind = event.kind
    phase = event.phase or "learner"
    message = event.message.strip()
    explanation = event.explanation.strip()
    line = event.line
    where = f" (line {line})" if line is not None and phase == "learner" else ""
    if kind == "sandbox" and message.startswith(events.CHANNEL_VIOLATION):
        return Part(
            RUNS,
            False,
            f"Your code was stopped: {message}. {explanation}".rstrip(),
        )
    if phase in ("setup", "probe") or kind == "sandbox":
        text = explanation or message or "no details"
        return Part(
            CHECKER,
            False,
            f"The checker could not look at your answer{where}: {text}. This is not your "
            "mistake if your file runs on its own; run the check again, and report it if "
            "it keeps happening.",
        )
    if message.startswith("SyntaxError") or message.startswith("IndentationError"):
        return Part(PARSES, False, f"Your file is not valid Python{where}: {message}.")
    lead = {
        "timeout": "Your code ran out of time",
        "memory": "Your code ran out of memory",
        "crash": "Your code crashed the Python process",
        "output-limit": "Your code printed too much",
        "shape": "Your code stopped on a shape mismatch",
    }.get(kind, "Your code raised an error")
    body = explanation or message or "no details were reported"
    if message and explanation and message not in explanation and kind != "timeout":
        body = f"{message}. {explanation}"  # a timeout's explanation already says it all
    return Part(RUNS, False, f"{lead}{where}: {body}")


def verdict_from_events(
    ex: Exercise,
    stream: Iterable[Event],
    elapsed_s: float,
    judge: Any = None,
    referee: dict[str, Any] | None = None,
) -> Verdict:
    """Turn one sandbox job's events, and the referee's answer, into a verdict.

    The worker's `done` decides whether the job ran to a clean end; only then is a `facts`
    event judged, by the exercise's checker, here outside the sandbox. An `error` event
    becomes a failing `runs` (or `parses`, or `checker`) part with the sandbox's explanation.
    Facts a judge cannot read are a failing `checker` part, never a crash. For an exercise
    with a referee, the judge also gets the referee's findings (None when there are none),
    and the verdict cannot pass unless the referee agrees. Where the referee recorded a
    reference model's forward pass, the verdict carries the reference diff.
    """
    facts: dict[str, Any] | None = None
    errors: list[events.Error] = []
    output: list[str] = []
    done: events.Done | None = None
    for event in stream:
        if isinstance(event, events.Facts):
            facts = event.data
        elif isinstance(event, events.Error):
            errors.append(event)
        elif isinstance(event, events.Output):
            output.append(event.text)
        elif isinstance(event, events.Done):
            done = event
    text = "".join(output)
    if errors:
        return make_verdict(ex, [error_part(errors[0])], elapsed_s, facts, text)
    if facts is None or done is None or done.status != "ok":
        status = done.status if done else "no result"
        part = Part(
            CHECKER,
            False,
            f"The sandbox finished ({status}) without reporting what it found; run the "
            "check again, and report it if it keeps happening.",
        )
        return make_verdict(ex, [part], elapsed_s, None, text)
    if judge is None:
        from tutor.checks.loader import load_check

        judge = load_check(ex).judge
    findings = (referee or {}).get("findings")
    findings = findings if isinstance(findings, dict) else None
    try:
        parts = list(judge(facts, findings) if ex.has_referee else judge(facts))
        if not all(isinstance(p, Part) for p in parts):
            raise TypeError("the judge returned something other than parts")
    except Exception as exc:  # noqa: BLE001 - facts come from the answer's process
        part = Part(
            CHECKER,
            False,
            "The checker could not read what the check found in your answer "
            f"({type(exc).__name__}: {str(exc)[:160]}). If your file runs on its own, make "
            "sure it does not write to the tutor's channel or replace the checker's names.",
        )
        return make_verdict(ex, [part], elapsed_s, facts, text)
    if not ex.has_referee:
        return make_verdict(ex, parts, elapsed_s, facts, text)
    diff = reference_diff(facts, findings)
    if referee and referee.get("error"):
        parts.append(
            Part(
                CHECKER,
                False,
                f"The tutor's referee could not check your answer ({referee['error']}); run "
                "the check again, and report it if it keeps happening.",
            )
        )
    elif not (findings and findings.get("agrees")) and all(p.passed for p in parts):
        parts.append(Part(REFEREE, False, REFEREE_DISAGREES))
    verdict = make_verdict(ex, parts, elapsed_s, facts, text)
    verdict.reference_diff = diff
    return verdict


def parts_passed(passed: int, total: int) -> str:
    """'All 3 parts passed', 'Both parts passed', 'The one part passed', '1 of 3 parts passed'."""
    if passed == total:
        return {1: "The one part passed", 2: "Both parts passed"}.get(
            total, f"All {total} parts passed"
        )
    return f"{passed} of {total} {'part' if total == 1 else 'parts'} passed"
