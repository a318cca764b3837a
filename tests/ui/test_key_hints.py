"""The one-line footer shows the keys that matter where focus is, and runs them on click."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Input

from apex_tui.ui.widgets.key_hints import KeyHints


class HintsApp(App[None]):
    BINDINGS = [
        Binding("f2", "ping", "Ping"),
        Binding("f6", "hidden", "Hidden", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.pings = 0

    def compose(self) -> ComposeResult:
        yield Input(id="a")
        yield KeyHints()

    def action_ping(self) -> None:
        self.pings += 1


async def test_hints_follow_bindings_and_clicks_run_them() -> None:
    app = HintsApp()
    async with app.run_test(size=(80, 5)) as pilot:
        await pilot.pause()
        hints = app.query_one(KeyHints)
        shown = [description for _key, description, _action, _on in hints.hints]
        assert "Ping" in shown and "Hidden" not in shown
        line = hints.render().plain
        assert "f2 Ping" in line and "palette" in line
        start = line.index("f2 Ping")
        await pilot.click(KeyHints, offset=(start + 1, 0))
        assert app.pings == 1
