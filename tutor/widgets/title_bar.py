"""The header line: Textual's Header, safe when its screen is replaced mid-update."""

from __future__ import annotations

from textual.css.query import NoMatches
from textual.events import Mount
from textual.widget import Widget
from textual.widgets import Header
from textual.widgets._header import HeaderTitle


class TitleBar(Header):
    """Header that skips a title update arriving after its title widget was removed.

    Textual's Header updates its title from an async watcher; when the learner moves on
    quickly (a link, then another), the update can land while the old screen is being
    taken down, and the stock widget raises NoMatches there.
    """

    def _on_mount(self, event: Mount) -> None:
        event.prevent_default()  # replaces Header's own handler, which would watch as well
        Widget._on_mount(self, event)

        async def set_title() -> None:
            try:
                self.query_one(HeaderTitle).update(self.format_title())
            except NoMatches:
                pass
            except Exception as exc:  # NoScreen, which Textual does not export publicly
                if type(exc).__name__ != "NoScreen":
                    raise

        self.watch(self.app, "title", set_title)
        self.watch(self.app, "sub_title", set_title)
        self.watch(self.screen, "title", set_title)
        self.watch(self.screen, "sub_title", set_title)
