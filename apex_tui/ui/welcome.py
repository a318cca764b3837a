"""What an empty conversation shows: where apex-tui is connected and the keys that matter."""

from __future__ import annotations

from textual.keys import format_key
from textual.screen import Screen

from apex_tui.ui.widgets.conversation import ConversationView


def welcome_text(server: str, keymap: dict[str, str]) -> str:
    """The welcome, with the keys as the keymap binds them now."""

    def key(binding_id: str, default: str) -> str:
        keys = keymap.get(binding_id, default).split(",")[0].strip()
        return format_key(keys)

    rows = [
        (
            key("prompt.send", "enter"),
            "send the prompt",
            key("prompt.newline", "ctrl+j"),
            "new line",
        ),
        (key("pane.search", "f3"), "web search pane", key("pane.research", "f5"), "deep research"),
        (key("chat.new", "ctrl+n"), "new chat", key("app.help", "f1"), "every key"),
    ]
    lines = [f"Welcome to apex-tui — server: {server}.", ""]
    lines += [f"  {a:<8} {b:<18} {c:<8} {d}" for a, b, c, d in rows]
    lines += [
        "",
        "Pick a mode beside the prompt (web-search, deep-research…) and type below to start.",
    ]
    return "\n".join(lines)


def update_welcome(screen: Screen[None]) -> None:
    """The welcome (``#welcome``) shows only while the conversation is empty; the keys that
    act on turns come and go with it."""
    screen.query_one("#welcome").display = not screen.query_one(ConversationView).turns
    screen.refresh_bindings()
