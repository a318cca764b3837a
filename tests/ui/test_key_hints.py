"""The one-line footer shows the keys that matter where focus is, and runs them on click."""

from __future__ import annotations

from typing import Any

import pytest
from apex_pilot import AppFactory, main_of, send, settle
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Input

from apex_tui.ui.widgets.key_hints import KeyHints
from apex_tui.ui.widgets.prompt_bar import RESEARCH_MODE


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


AREAS = (
    "prompt",
    "chat filter",
    "chat list",
    "conversation",
    "search query",
    "search results",
    "research jobs",
    "research log",
)


async def focus_area(pilot: Any, area: str) -> None:
    """Put the focus in ``area`` of the main screen (opening the pane it is in)."""
    main = main_of(pilot.app)
    if area.startswith("search") and not main.search_pane.display:
        await pilot.press("f3")
        main.search_flow.web_search("sqlite wal mode")
        await settle(pilot)
    if area.startswith("research") and not main.research_pane.display:
        await pilot.press("escape", "f5")  # the search pane closes: at 80 columns it covers
        await settle(pilot)
        await send(pilot, "What limits SQLite concurrency?", mode=RESEARCH_MODE)
        await settle(pilot)
    target = {
        "prompt": main.prompt_bar.input,
        "chat filter": main.sessions.query_one("#chat-filter"),
        "chat list": main.sessions.query_one("#chat-list"),
        "conversation": main.view,
        "search query": main.search_pane.query_one("#search-query"),
        "search results": main.search_pane.query_one("#search-results"),
        "research jobs": main.research_pane.query_one("#research-jobs"),
        "research log": main.research_pane.query_one("#research-log"),
    }[area]
    target.focus()
    await pilot.pause()
    assert pilot.app.focused is target, area


@pytest.mark.parametrize("size", [(120, 36), (80, 24)])
async def test_the_footer_shows_whole_hints_most_important_first(
    make_app: AppFactory, size: tuple[int, int]
) -> None:
    """Issue 14, item 12: at 120 and 80 columns, in every focus area, what fits, whole, most
    important first; nothing else on the line (no half a word)."""
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await send(pilot, "hello")
        await settle(pilot)
        for area in AREAS:
            await focus_area(pilot, area)
            line, hints = await footer_line(pilot)
            assert len(line) == size[0] and "…" not in line, (area, line)
            assert line.rstrip().endswith("f1 Help ▏^p palette"), (area, line)
            shown = [f"{key} {what}" for key, what, _, _ in hints if f" {key} {what} " in line]
            assert shown, (area, line)
            # every hint is there whole or not at all, and those shown keep the ranking
            positions = [line.index(f" {hint} ") for hint in shown]
            assert positions == sorted(positions), (area, line)
            first = hints[0]
            assert f"{first[0]} {first[1]}" in shown, (area, line)
            rest = line.replace("f1 Help ▏^p palette", "")
            for hint in shown:
                rest = rest.replace(f" {hint} ", "  ", 1)
            assert not rest.strip(), (area, line, rest)  # no word but the hints'
            if area == "prompt":
                assert line.startswith(" ⏎ Send")
            elif area == "search results":
                assert line.startswith(" / Query")


async def test_a_chat_with_branches_shows_the_branch_keys(make_app: AppFactory) -> None:
    """Regenerating makes a second branch: at 120 columns the footer of the conversation says
    how to switch (after moving between turns and copying), and still ends with Help."""
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        main = main_of(app)
        await send(pilot, "hello")
        await settle(pilot)
        await pilot.press("ctrl+r")
        await settle(pilot)
        main.view.focus()
        line, _ = await footer_line(pilot)
        assert "< ‹ Branch" in line and "> Branch ›" in line, line
        assert line.index("[ Prev turn") < line.index("‹ Branch") < line.rindex("f1 Help")
