"""The hints of an exercise, revealed one at a time, each in a box of its own."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Markdown


class HintPanel(Vertical):
    """The hints shown so far; `reveal_next` adds the next one."""

    def __init__(self, hints: Sequence[str], shown: int, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.hints = list(hints)
        self.shown = max(0, min(shown, len(self.hints)))

    def compose(self) -> ComposeResult:
        for number in range(self.shown):
            yield self._box(number)

    def _box(self, number: int) -> Markdown:
        box = Markdown(self.hints[number], classes="hint", open_links=False)
        box.border_title = f"Hint {number + 1} of {len(self.hints)}"
        return box

    @property
    def all_shown(self) -> bool:
        return self.shown >= len(self.hints)

    async def reveal_next(self) -> Markdown | None:
        """Show the next hint and return its box once drawn; None when all are shown."""
        if self.all_shown:
            return None
        box = self._box(self.shown)
        self.shown += 1
        await self.mount(box)
        return box
