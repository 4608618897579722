"""Help: every key that works where the learner is, read from the bindings themselves."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.keys import format_key
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

Section = tuple[str, list[tuple[str, str]]]

CLI = (
    "[b]From a shell[/b]\n"
    "  cnn-tutor list · check N · watch N · run FILE\n"
    "  cnn-tutor data export PATH · cnn-tutor --help"
)
_SCREEN_DEFAULTS = {b.action for b in Screen.BINDINGS if isinstance(b, Binding)}


def key_name(binding: Binding) -> str:
    """A key as a learner types it: "ctrl+q", "?", "esc", "→"."""
    if binding.key_display:
        return binding.key_display
    modifiers, key = binding.parse_key()
    return "+".join([*modifiers, format_key(key)])


def _typed_last(key: str) -> bool:
    """Sort letters before arrows and named keys, so "n, →" rather than "→, n"."""
    return len(key) > 1 or not key.isascii()


def binding_sections(screen: Screen[object]) -> list[Section]:
    """The active bindings of `screen`, grouped: this screen, everywhere, the focused widget."""
    groups: dict[str, dict[str, list[str]]] = {
        "On this screen": {},
        "Everywhere": {},
        "Moving around": {},
    }
    for active in screen.active_bindings.values():
        binding = active.binding
        if not binding.description:
            continue
        if isinstance(active.node, App) or binding.action in _SCREEN_DEFAULTS:
            title = "Everywhere"
        elif active.node is screen:
            title = "On this screen"
        else:
            title = "Moving around"
        description = binding.description[:1].upper() + binding.description[1:]
        keys = groups[title].setdefault(description, [])
        name = key_name(binding)
        if name not in keys:
            keys.append(name)
    return [
        (title, [(", ".join(sorted(keys, key=_typed_last)), text) for text, keys in rows.items()])
        for title, rows in groups.items()
        if rows
    ]


def render_sections(sections: list[Section]) -> Content:
    """The sections as aligned lines of keys and what they do."""
    width = max((len(keys) for _, rows in sections for keys, _ in rows), default=0)
    lines: list[Content] = []
    for title, rows in sections:
        lines.append(Content.styled(title, "bold"))
        lines += [
            Content.assemble(("  " + keys.ljust(width + 2), "$accent"), description)
            for keys, description in rows
        ]
        lines.append(Content(""))
    return Content("\n").join(lines)


class HelpScreen(ModalScreen[None]):
    """A modal listing the keys of the app and of the screen beneath it."""

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
    }
    HelpScreen > VerticalScroll {
        width: auto;
        max-width: 90%;
        height: auto;
        max-height: 90%;
        border: round $accent;
        border-title-align: center;
        background: $surface;
        padding: 0 2;
    }
    HelpScreen Static {
        width: auto;
    }
    """

    BINDINGS = [
        Binding("escape", "dismiss", "Close"),
        Binding("question_mark", "dismiss", "Close", show=False),
    ]

    def __init__(self, sections: list[Section]) -> None:
        super().__init__()
        self.sections = sections

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = "Keys"
            scroll.border_subtitle = "Esc closes"
            yield Static(render_sections(self.sections), id="help-keys")
            yield Static(CLI, id="help-cli")
