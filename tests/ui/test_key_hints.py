"""The one-line footer shows the keys that matter where focus is, and runs them on click."""

from __future__ import annotations

from typing import Any

import pytest
from apex_pilot import AppFactory, main_of, settle
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


async def footer_line(pilot: Any) -> tuple[str, list[tuple[str, str, str, bool]]]:
    hints = pilot.app.main_screen.query_one(KeyHints)
    await pilot.pause()
    return hints.render().plain, hints.hints


@pytest.mark.parametrize("size", [(120, 36), (80, 24)])
async def test_the_footer_shows_whole_hints_most_important_first(
    make_app: AppFactory, size: tuple[int, int]
) -> None:
    """Issue 14, item 12: at 120 and 80 columns, what fits, whole, most important first."""
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        main = main_of(app)
        for focus in ("prompt", "search"):
            if focus == "search":
                main.search_flow.web_search("sqlite wal mode")
                await settle(pilot)
            line, hints = await footer_line(pilot)
            assert len(line) == size[0] and "…" not in line
            assert line.rstrip().endswith("f1 Help ▏^p palette")
            shown = [f"{key} {what}" for key, what, _, _ in hints if f" {key} {what}" in line]
            assert shown, line
            # every hint is there whole or not at all, and those shown keep the ranking
            positions = [line.index(f" {hint}") for hint in shown]
            assert positions == sorted(positions)
            first = hints[0]
            assert f"{first[0]} {first[1]}" in shown
            if focus == "prompt":
                assert line.startswith(" ⏎ Send")
            else:
                assert line.startswith(" / Query")
