"""One line saying which server we talk to, which chat type, and model/speed while streaming."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from apex_tui.ui.safe_text import make_inert


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
        text = Text()
        text.append("apex-tui", style="bold")
        text.append(f"  ·  {make_inert(self.server)}")
        text.append(f"  ·  {self.chat_type} chats")
        if self.activity:
            text.append(f"  ·  {make_inert(self.activity)}", style="italic")
        return text

    def streaming(self, model: str, chars: int, seconds: float) -> None:
        """Show model and speed (characters a second) of the answer being streamed."""
        speed = f"{chars / seconds:,.0f} chars/s" if seconds > 0.05 else "…"
        self.activity = f"streaming {model or 'default model'} · {speed}"
