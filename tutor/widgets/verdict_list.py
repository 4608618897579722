"""The outcome of a check: one row per part, ✓ or ✗ with the part's sentence, then a summary."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Static

from tutor.checks.verdict import Part, Verdict, parts_passed
from tutor.widgets.reference_diff import ReferenceDiffView


class PartRow(Horizontal):
    """One part: its mark in a column of its own, then its id and message, wrapped."""

    def __init__(self, part: Part) -> None:
        super().__init__(classes="-passed" if part.passed else "-failed")
        self.part = part

    def compose(self) -> ComposeResult:
        yield Static("✓" if self.part.passed else "✗", classes="part-mark")
        text = Content.assemble((self.part.id, "bold"), "  ", self.part.message)
        yield Static(text, classes="part-message")


def summary(verdict: Verdict) -> str:
    passed = sum(p.passed for p in verdict.parts)
    took = f"in {verdict.elapsed_s:.2f} s"
    said = parts_passed(passed, len(verdict.parts))
    if verdict.passed:
        return f"{said} {took}. Well done! F3 shows the worked solution."
    return f"{said} {took}. Fix the parts marked ✗ and check again; F2 gives a hint."


class VerdictList(Vertical):
    """The parts of the latest verdict, a summary, the reference diff of a model exercise,
    and a training comparison when there is one."""

    async def show(self, verdict: Verdict) -> None:
        """Replace what is shown with `verdict`, and scroll to its first failing part."""
        await self.remove_children()
        self.set_class(verdict.passed, "-passed")
        rows: list[Widget] = [PartRow(p) for p in verdict.parts]
        rows.append(Static(summary(verdict), classes="verdict-summary"))
        if verdict.reference_diff is not None:
            rows.append(ReferenceDiffView(verdict.reference_diff, id="reference-diff"))
        if "training" in (verdict.facts or {}):
            from tutor.widgets.comparison_chart import ComparisonChart  # plotext, when needed

            rows.insert(0, ComparisonChart(id="comparison"))  # first: in view without scrolling
        await self.mount_all(rows)
        for chart in self.query("#comparison"):
            chart.show(verdict.facts)  # type: ignore[attr-defined]
        self.call_after_refresh(self._reveal_first_failure)

    def _reveal_first_failure(self) -> None:
        failed = self.query("PartRow.-failed")
        if failed:
            failed.first().scroll_visible(top=True, animate=False)
        elif self.parent is not None:
            self.parent.scroll_to(y=0, animate=False)  # type: ignore[attr-defined]

    async def clear(self) -> None:
        await self.remove_children()
        self.remove_class("-passed")
