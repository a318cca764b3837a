"""The prompt bar: multi-line input, mode selector (completion types and deep research), settings.

``TextArea`` has no submit message, so "send" is a priority binding on Enter; Shift+Enter
needs the Kitty keyboard protocol, so Ctrl+J also inserts a newline everywhere.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Select, TextArea

from apex_tui.services.completion_types import COMPLETION_TYPES as KNOWN_TYPES
from apex_tui.shorten import cell_width, shorten
from apex_tui.ui.messages import ChatSettingsRequested, DraftChanged, PromptSubmitted
from apex_tui.ui.widgets.icon_button import IconButton

COMPLETION_TYPES = tuple(KNOWN_TYPES)
RESEARCH_MODE = "deep-research"
"""Not a completion type: sending in this mode starts a deep-research job instead of a turn."""
MODES = (*COMPLETION_TYPES, RESEARCH_MODE)
PLACEHOLDER = "Ask Apex…  (Enter sends · Ctrl+J new line)"


class PromptInput(TextArea):
    """Where the prompt is typed; Enter sends, Shift+Enter / Ctrl+J break the line."""

    BINDINGS = [
        Binding("enter", "submit", "Send", priority=True, id="prompt.send"),
        Binding("ctrl+j,shift+enter", "newline", "Newline", id="prompt.newline"),
    ]

    def action_submit(self) -> None:
        # A priority binding runs when the *app* takes the key, but the keys typed before it were
        # forwarded to this widget's queue and may not be inserted yet (a burst such as tmux
        # ``send-keys "text" Enter`` or a fast typist over SSH). Read the text only after them.
        self.call_later(self.query_ancestor(PromptBar).submit)

    def action_newline(self) -> None:
        self.insert("\n")


class PromptBar(Horizontal):
    """Talks up with PromptSubmitted / DraftChanged; the app decides what sending means."""

    DEFAULT_CSS = """
    PromptBar { height: auto; max-height: 12; }
    PromptBar > PromptInput { width: 1fr; height: auto; min-height: 3; max-height: 12; }
    PromptBar > Select { width: 24; }
    PromptBar.-busy > PromptInput { border: tall $warning; }
    PromptBar > PromptInput.-attached { border-title-color: $success; }
    """

    def __init__(self, completion_type: str = "basic", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._initial_type = completion_type if completion_type in COMPLETION_TYPES else "basic"
        self._loading_draft = False
        self._attached = ""
        self._editing: tuple[str, ...] = ("",)

    def compose(self) -> ComposeResult:
        text_area = PromptInput(id="prompt-input", soft_wrap=True, tab_behavior="focus")
        text_area.placeholder = PLACEHOLDER
        yield text_area
        yield Select(
            [(name, name) for name in MODES],
            value=self._initial_type,
            allow_blank=False,
            id="completion-type",
            tooltip="Completion type",
        )
        settings = IconButton("⚙", id="chat-settings-button")
        settings.tooltip = "Chat settings (model, sampling)"
        yield settings

    @property
    def input(self) -> PromptInput:
        return self.query_one(PromptInput)

    @property
    def text(self) -> str:
        return self.input.text

    @property
    def completion_type(self) -> str:
        value = self.query_one("#completion-type", Select).value
        return value if isinstance(value, str) else "basic"

    @completion_type.setter
    def completion_type(self, value: str) -> None:
        if value in MODES:
            self.query_one("#completion-type", Select).value = value

    def show_attached(self, count: int) -> None:
        """Say on the prompt's border how many search results go with the next prompt."""
        self._attached = f"{count} source{'s' if count != 1 else ''} attached" if count else ""
        self.input.set_class(bool(count), "-attached")
        self._show_title()

    def show_editing(self, note: str, *shorter: str) -> None:
        """Say on the prompt's border that an edited prompt is in the box, and what Enter and
        Esc do ("" once the edit is sent or left); the first of ``shorter`` that fits is said
        when ``note`` does not."""
        self._editing = (note, *shorter)
        self._show_title()

    def _show_title(self) -> None:
        """The border title: the edit, then the attached sources; a shorter form of the edit
        when the long one does not fit, and at worst ending at a whole word."""
        width = self.input.size.width - 4
        for note in self._editing:
            title = " · ".join(part for part in (note, self._attached) if part)
            if width <= 8 or cell_width(title) <= width:
                break
        self.input.border_title = shorten(title, width) if width > 8 else title

    def on_resize(self) -> None:
        self._show_title()

    def show_settings(self, summary: str) -> None:
        """Say under the prompt which of the chat's settings differ from the defaults."""
        self.input.border_subtitle = f"⚙ {summary}" if summary else ""

    def load_draft(self, text: str) -> None:
        """Show a saved draft without reporting it as a fresh edit."""
        self._loading_draft = True
        self.input.load_text(text)
        self.input.move_cursor(self.input.document.end)

    def submit(self) -> None:
        text = self.input.text
        if not text.strip():
            return
        self.post_message(PromptSubmitted(text, self.completion_type))

    def clear(self) -> None:
        self.input.load_text("")

    @on(TextArea.Changed, "#prompt-input")
    def _changed(self, event: TextArea.Changed) -> None:
        event.stop()
        if self._loading_draft:
            self._loading_draft = False
            return
        self.post_message(DraftChanged(event.text_area.text))

    @on(IconButton.Pressed, "#chat-settings-button")
    def _settings(self, event: IconButton.Pressed) -> None:
        event.stop()
        self.post_message(ChatSettingsRequested())
