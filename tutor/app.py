"""TutorApp: the global keys, the command palette's places, and moving between screens."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from textual.app import App
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.screen import Screen

from tutor.course import ContentError, Exercise, Lesson, load_exercises, load_lessons
from tutor.messages import HOME, OpenPlace, OpenPlayground
from tutor.paths import learner_home
from tutor.progress import Progress
from tutor.sandbox.pool import WarmSandboxes
from tutor.screens.help import HelpScreen, binding_sections
from tutor.screens.home import HomeScreen
from tutor.screens.lesson import LessonScreen


class CoursePlaces(Provider):
    """Palette entries: "Home", "Playground", "Go to lesson N: Title", "Go to exercise N: ..."."""

    def _entries(self) -> list[tuple[str, Callable[[], object]]]:
        app = self.app
        assert isinstance(app, TutorApp)
        places = [("Home: the course map", HOME)]
        places += [(f"Go to lesson {le.number}: {le.title}", le.key) for le in app.lessons]
        places += [(f"Go to exercise {ex.number}: {ex.title}", ex.key) for ex in app.exercises]
        entries: list[tuple[str, Callable[[], object]]] = [
            (text, partial(app.post_message, OpenPlace(place))) for text, place in places
        ]
        entries.insert(1, ("Playground: try your own model", app.action_playground))
        return entries

    async def discover(self) -> Hits:
        for text, command in self._entries():
            yield DiscoveryHit(text, command)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        wanted = " ".join(query.lower().split())
        for text, command in self._entries():
            score = matcher.match(text)
            if score > 0:
                # "lesson 5" typed in full beats a scattered fuzzy match such as "lesson 1...5".
                score = 1.0 if wanted in text.lower() else min(score, 0.9)
                yield Hit(score, matcher.highlight(text), command, text=text)


class TutorApp(App[None]):
    """The tutor: home, lessons and exercises, resumed where the learner left off."""

    CSS_PATH = "tutor.tcss"
    TITLE = "cnn-tutor"
    COMMANDS = App.COMMANDS | {CoursePlaces}
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", priority=True),
        Binding("question_mark", "help", "Help"),
        Binding("h", "go('home')", "Home", show=False),
        Binding("y", "playground", "Playground"),
    ]

    def __init__(self, home: Path, *, prewarm: bool = False) -> None:
        super().__init__()
        self.prewarm = prewarm
        self.sandboxes = WarmSandboxes()
        self.progress = Progress.load(home)
        self.notices = [self.progress.notice] if self.progress.notice else []
        try:
            self.lessons: tuple[Lesson, ...] = load_lessons()
            self.exercises: tuple[Exercise, ...] = load_exercises()
        except ContentError as exc:
            self.lessons, self.exercises = (), ()
            self.notices.append(f"The course content could not be read: {exc}")
        items: list[Lesson | Exercise] = [*self.lessons, *self.exercises]
        self.places: dict[str, Lesson | Exercise] = {item.key: item for item in items}

    def on_mount(self) -> None:
        for notice in self.notices:
            self.notify(notice, title="Note", severity="warning", timeout=15, markup=False)
        # After the start-up batch, so the first frame of that screen is drawn at once.
        self.call_later(self.go, self.progress.last_screen)
        if self.prewarm:  # torch starts loading in a worker once the first frame is up
            self.call_after_refresh(self.sandboxes.prewarm, self._first_warm())

    def _first_warm(self) -> tuple[str, ...]:
        """What the first sandbox imports while idle: an exercise's needs when the tutor
        opens on one, else everything (the playground may come next)."""
        from tutor.sandbox.warmup import ALL_WARM

        item = self.places.get(self.progress.last_screen)
        return item.warm if isinstance(item, Exercise) else ALL_WARM

    async def on_unmount(self) -> None:
        await self.sandboxes.close()

    def on_open_place(self, message: OpenPlace) -> None:
        self.go(message.place)

    def on_open_playground(self, message: OpenPlayground) -> None:
        from tutor.screens.playground import PlaygroundScreen  # TextArea: import on demand

        home, pool = self.progress.home, self.sandboxes
        self.push_screen(
            PlaygroundScreen(message.code, message.origin, message.slug, home=home, sandboxes=pool)
        )

    def action_go(self, place: str) -> None:
        self.go(place)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # y opens the playground from the course map only; elsewhere the palette does.
        return isinstance(self.screen, HomeScreen) if action == "playground" else True

    def action_playground(self) -> None:
        """Open the playground on the built-in example, over the screen the learner is on."""
        from tutor.playground_harness import DEFAULT_EXAMPLE
        from tutor.screens.playground import PlaygroundScreen  # TextArea: import on demand

        if not isinstance(self.screen, PlaygroundScreen):
            home, pool = self.progress.home, self.sandboxes
            example = "the built-in example"  # a small CNN on the digits
            self.push_screen(PlaygroundScreen(DEFAULT_EXAMPLE, example, home=home, sandboxes=pool))

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(binding_sections(self.screen)))

    def go(self, place: str) -> None:
        """Show `place` (the only place on the stack) and remember it as the place to resume."""
        item = self.places.get(place)
        if item is None:
            place = HOME
        came_from = self.progress.last_screen
        try:
            with self.progress.changing():
                if isinstance(item, Lesson):
                    self.progress.mark_read(place)
                self.progress.last_screen = place
        except OSError as exc:
            self.notify(
                f"Your progress could not be saved to {self.progress.path}: {exc.strerror}",
                severity="error",
                markup=False,
            )
        while len(self.screen_stack) > 2:
            self.pop_screen()
        screen = self._screen_for(item, came_from)
        if len(self.screen_stack) > 1:
            self.switch_screen(screen)
        else:
            self.push_screen(screen)

    def _screen_for(self, item: Lesson | Exercise | None, came_from: str) -> Screen[None]:
        if isinstance(item, Lesson):
            return LessonScreen(item, self.lessons, self.exercises, self.progress)
        if isinstance(item, Exercise):
            from tutor.screens.exercise import ExerciseScreen  # the checking side: on demand

            back = came_from if came_from.startswith("lesson-") else HOME
            return ExerciseScreen(
                item, self.lessons, self.exercises, back, self.progress, self.sandboxes
            )
        return HomeScreen(self.lessons, self.exercises, self.progress)


def run_app(home: str | None = None) -> int:
    """Start the tutor with the learner's data in `home` (or the default place)."""
    app = TutorApp(learner_home(home), prewarm=True)
    app.run()
    return app.return_code or 0
