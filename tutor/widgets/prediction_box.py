"""An inline prediction: the learner types an answer, and only then sees the explanation."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Input, Markdown, Static

from tutor.predictions import Prediction, PredictionError, Verdict


class PredictionBox(Vertical):
    """A question, a field for the answer, and the explanation once the answer is in."""

    DEFAULT_CSS = """
    PredictionBox {
        height: auto;
        max-width: 92;
        margin: 0 0 1 0;
        padding: 0 1;
        border: round $accent;
        border-title-color: $accent;
    }
    PredictionBox:focus-within { border: round $accent-lighten-2; }
    PredictionBox .predict-question, PredictionBox .predict-how { height: auto; }
    PredictionBox .predict-how { color: $text-muted; }
    PredictionBox .predict-how.-error { color: $error; }
    PredictionBox Input { width: 40; margin: 0 0 0 0; }
    PredictionBox .predict-verdict { height: auto; text-style: bold; }
    PredictionBox .predict-verdict.-right { color: $success; }
    PredictionBox .predict-verdict.-wrong { color: $warning; }
    PredictionBox .predict-reveal { margin: 0; padding: 0; }
    PredictionBox.-open .predict-verdict, PredictionBox.-open .predict-reveal { display: none; }
    PredictionBox.-answered Input, PredictionBox.-answered .predict-how { display: none; }
    """

    class Answered(Message):
        """The learner committed to an answer (posted once per prediction)."""

        def __init__(self, prediction: Prediction, verdict: Verdict) -> None:
            super().__init__()
            self.prediction = prediction
            self.verdict = verdict

    TITLE = "Predict, then see"

    verdict: reactive[Verdict | None] = reactive(None, init=False)

    def __init__(self, prediction: Prediction, verdict: Verdict | None = None) -> None:
        super().__init__(classes="lesson-prediction -open")
        self.prediction = prediction
        self.border_title = self.TITLE
        self._recorded = verdict

    def compose(self) -> ComposeResult:
        prediction = self.prediction
        question = prediction.question
        if prediction.choices:
            letters = (f"({chr(ord('a') + i)}) {c}" for i, c in enumerate(prediction.choices))
            question += "\n" + "   ".join(letters)
        yield Static(question, classes="predict-question", markup=False)
        field = Input(placeholder="your prediction", compact=True, classes="predict-input")
        field.cursor_blink = False
        yield field
        yield Static(prediction.how_to_answer, classes="predict-how", markup=False)
        yield Static("", classes="predict-verdict", markup=False)
        yield Markdown(prediction.reveal, classes="predict-reveal", open_links=False)

    def check_consume_key(self, key: str, character: str | None) -> bool:
        """While the answer is typed, the arrows move the cursor, not to the next lesson."""
        return key in ("left", "right", "home", "end")

    def on_mount(self) -> None:
        if self._recorded is not None:
            self.verdict = self._recorded

    def watch_verdict(self, verdict: Verdict | None) -> None:
        if verdict is None:
            return
        self.set_class(False, "-open")
        self.set_class(True, "-answered")
        line = self.query_one(".predict-verdict", Static)
        answer = self.prediction.shown_answer
        if verdict.correct:
            line.update(f"✓ You predicted {verdict.given}: right. The answer is {answer}.")
        else:
            line.update(f"✗ You predicted {verdict.given}; the answer is {answer}.")
        line.set_class(verdict.correct, "-right")
        line.set_class(not verdict.correct, "-wrong")

    @on(Input.Submitted, ".predict-input")
    def commit(self, event: Input.Submitted) -> None:
        event.stop()
        how = self.query_one(".predict-how", Static)
        try:
            verdict = self.prediction.check(event.value)
        except PredictionError as exc:
            how.update(str(exc))
            how.add_class("-error")
            return
        how.remove_class("-error")
        self.verdict = verdict
        self.post_message(self.Answered(self.prediction, verdict))
        self.focus_next_away()

    def focus_next_away(self) -> None:
        """Hand focus back to the lesson, so the page keys work again, and keep the verdict
        and the start of the explanation in view."""
        scroll = self.screen.query("#lesson-scroll")
        if scroll:
            scroll.first().focus(scroll_visible=False)
        line = self.query_one(".predict-verdict", Static)
        self.call_after_refresh(line.scroll_visible, animate=False, top=True)
