"""The floor under ``bench/start.py``'s figures: the smallest Textual app shaped like a chat app.

Python, Textual and one screen: a title line, a list of 30 rows, a multi-line prompt
(``TextArea``) and the footer, with no network, no data and no app code. Its start to the first
frame is what any Textual app pays on this machine before doing anything of its own, so it shows
how far apex-tui's own work (the per-user server, config, the wire models, httpx, its widgets,
10,000 chats) can still be cut. ``bench/start.py`` runs it each round and prints it.

With ``APEX_BENCH_MARKS=FILE`` it appends the same ``NAME SECONDS`` marks as
``_start_probe.py`` where the phases exist here: ``python``, ``ui`` (Textual imported),
``app-mount`` and ``screen-mount``; its time on the terminal ends the breakdown.
"""

from __future__ import annotations

import time

BEGAN = time.perf_counter()

import os  # noqa: E402

_OUT = os.environ.get("APEX_BENCH_MARKS")
_seen: set[str] = set()


def mark(name: str, moment: float | None = None) -> None:
    if name in _seen or not _OUT:
        return
    _seen.add(name)
    with open(_OUT, "a", encoding="utf-8") as out:
        out.write(f"{name} {time.perf_counter() if moment is None else moment:.6f}\n")


mark("python", BEGAN)

from textual.app import App, ComposeResult  # noqa: E402
from textual.binding import Binding  # noqa: E402
from textual.containers import Horizontal, Vertical  # noqa: E402
from textual.screen import Screen  # noqa: E402
from textual.widgets import Footer, Static, TextArea  # noqa: E402

mark("ui")
MARKER = "floor app ready"


class FloorScreen(Screen[None]):
    def compose(self) -> ComposeResult:
        with Horizontal():
            with Vertical(id="list"):
                yield Static(MARKER)
                yield Static("\n".join(f"Chat {n}" for n in range(30)))
            with Vertical():
                yield Static("Welcome", id="chat")
                yield TextArea(id="prompt")
        yield Footer()

    def on_mount(self) -> None:
        mark("screen-mount")


class FloorApp(App[None]):
    BINDINGS = [Binding("ctrl+q", "quit", "Quit"), Binding("ctrl+n", "bell", "New chat")]

    def on_mount(self) -> None:
        mark("app-mount")
        self.push_screen(FloorScreen())


if __name__ == "__main__":
    FloorApp().run()
