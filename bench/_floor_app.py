"""The floor under ``bench/start.py``'s figures: the smallest Textual app shaped like a chat app.

Python, Textual and one screen: a title line, a list of 30 rows, a multi-line prompt
(``TextArea``) and the footer, with no network, no data and no app code. Its start to the first
frame is what any Textual app pays on this machine before doing anything of its own, so it shows
how far apex-tui's own work (the per-user server, config, the wire models, httpx, its widgets,
10,000 chats) can still be cut. ``bench/start.py`` runs it each round and prints it.
"""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Static, TextArea

MARKER = "floor app ready"


class FloorApp(App[None]):
    BINDINGS = [Binding("ctrl+q", "quit", "Quit"), Binding("ctrl+n", "bell", "New chat")]

    def compose(self) -> ComposeResult:
        with Horizontal():
            with Vertical(id="list"):
                yield Static(MARKER)
                yield Static("\n".join(f"Chat {n}" for n in range(30)))
            with Vertical():
                yield Static("Welcome", id="chat")
                yield TextArea(id="prompt")
        yield Footer()


if __name__ == "__main__":
    FloorApp().run()
