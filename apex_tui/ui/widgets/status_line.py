"""One line saying which server we talk to, which chat type, and model/speed while streaming."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from apex_tui.shorten import cell_width, shorten
from apex_tui.ui.safe_text import make_inert

SEPARATOR = "  ·  "
MIN_ACTIVITY = 12
"""Columns an activity needs to say anything ("streaming …"); with fewer it is left out."""


class StatusLine(Static):
    """Fed by the main screen; holds no logic beyond formatting. The server's description and
    the streamed model's name can name an upstream's model: shown inert."""

    DEFAULT_CSS = """
    StatusLine { height: 1; dock: top; background: $panel; color: $text-muted; padding: 0 1; }
    """

    server = reactive("")
    chat_type = reactive("apex")
    activity = reactive("")

    def render(self) -> Text:
        """One line; when it does not fit, the activity and then the server's description end
        at a whole word with "…" (an activity with no room for a word is left out)."""
        width = self.content_size.width or 10_000
        chats = f"{SEPARATOR}{self.chat_type} chats"
        room = width - cell_width("apex-tui") - cell_width(chats)
        server = shorten(make_inert(self.server), max(1, room - len(SEPARATOR)))
        room -= len(SEPARATOR) + cell_width(server)
        activity = make_inert(self.activity) if self.activity else ""
        if activity and room - len(SEPARATOR) >= MIN_ACTIVITY:
            activity = shorten(activity, room - len(SEPARATOR))
        else:
            activity = ""
        text = Text()
        text.append("apex-tui", style="bold")
        text.append(f"{SEPARATOR}{server}")
        text.append(chats)
        if activity:
            text.append(f"{SEPARATOR}{activity}", style="italic")
        return text

    def streaming(self, model: str, chars: int, seconds: float) -> None:
        """Show model and speed (characters a second) of the answer being streamed."""
        speed = f"{chars / seconds:,.0f} chars/s" if seconds > 0.05 else "…"
        self.activity = f"streaming {model or 'default model'} · {speed}"
