"""Keys and focus (issue 14, items 8-9): Esc closes the pane the focus is in, whichever of its
fields has it; focus goes where the next keystroke is meant to go; a key back to the prompt."""

from __future__ import annotations

from typing import Any

import pytest
from apex_pilot import SIZE, AppFactory, main_of, send, settle
from textual.color import Color
from textual.widgets import Input

from apex_tui.services.config import Config
from apex_tui.ui.screens.settings import SettingsScreen
from apex_tui.ui.widgets.sessions import ChatList


def focus_in(main: Any, widget: Any) -> bool:
    return main.focused is not None and widget in main.focused.ancestors_with_self


@pytest.mark.parametrize("field", ["#search-query", "#search-miners", "#search-seconds"])
async def test_escape_closes_the_search_pane_from_any_field(
    make_app: AppFactory, field: str
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        await pilot.press("f3")
        await pilot.pause()
        pane = main.search_pane
        pane.query_one(field, Input).focus()
        await pilot.press("escape")
        await pilot.pause()
        assert not pane.display
        assert app.focused is main.prompt_bar.input


async def test_escape_steps_back_from_the_reader_then_closes(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        main.search_flow.web_search("sqlite wal mode")
        await settle(pilot)
        pane = main.search_pane
        await pilot.press("enter")  # reads the first result
        assert pane.has_class("-reading")
        await pilot.press("escape")
        assert not pane.has_class("-reading") and pane.display
        await pilot.press("escape")
        assert not pane.display and app.focused is main.prompt_bar.input


async def test_escape_closes_the_research_pane(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        await send(pilot, "How does proof of stake work?", mode="deep-research")
        await settle(pilot)
        assert main.research_pane.jobs
        main.prompt_bar.input.focus()
        await pilot.press("f5")  # open beside the chat: the focus goes into it
        await pilot.pause()
        assert main.research_pane.display and focus_in(main, main.research_pane)
        await pilot.press("escape")
        assert not main.research_pane.display and app.focused is main.prompt_bar.input


async def test_f5_before_any_job_puts_the_cursor_in_the_prompt_in_research_mode(
    make_app: AppFactory,
) -> None:
    """The empty pane has nothing to select, and its list's keys (r, c, e, s) would eat a
    question typed there; so the question goes where it can start a job."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        bar = main.prompt_bar
        await pilot.press("f5")
        await pilot.pause()
        assert main.research_pane.display and app.focused is bar.input
        assert bar.completion_type == "deep-research"
        await pilot.press("escape")  # nothing typed: the pane closes, the mode comes back
        await pilot.pause()
        assert not main.research_pane.display and bar.completion_type == "basic"
        await pilot.press("f5")
        await pilot.pause()
        await pilot.press("r", "a", "f", "t")
        assert bar.text == "raft" and main.research_pane.display
        await pilot.press("f5")  # F5 closes it again; the typed question keeps its mode
        await pilot.pause()
        assert not main.research_pane.display and bar.completion_type == "deep-research"


async def test_filter_escape_clears_then_goes_to_the_prompt(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        await pilot.press("ctrl+f")
        await pilot.press("x", "y")
        box = main.sessions.query_one("#chat-filter", Input)
        assert box.value == "xy"  # letters go into the box, not to the screen's keys
        await pilot.press("escape")
        assert box.value == "" and app.focused is box
        await pilot.press("escape")
        assert app.focused is main.prompt_bar.input


async def test_opening_a_chat_focuses_the_prompt_and_i_goes_back_to_it(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        await send(pilot, "first")
        await settle(pilot)
        chat_id = main.chat_id
        await pilot.press("ctrl+n")
        main.sessions.query_one(ChatList).focus()
        main.sessions.highlight(chat_id or "")
        await pilot.press("enter")
        await settle(pilot)
        assert main.chat_id == chat_id and app.focused is main.prompt_bar.input
        main.view.focus()
        await pilot.pause()
        assert ("i", "Prompt") in [(k, d) for k, d, _, _ in main.query_one("KeyHints").hints]
        await pilot.press("i")
        assert app.focused is main.prompt_bar.input
        await pilot.press("i")
        assert main.prompt_bar.text == "i"  # in the prompt, i is a letter
        main.view.focus()
        await pilot.press("escape")
        assert app.focused is main.prompt_bar.input


async def test_tab_goes_round_the_visible_areas_in_reading_order(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await send(pilot, "first")
        await settle(pilot)
        order = []
        for _ in range(7):
            await pilot.press("tab")
            order.append(app.focused.id if app.focused else None)
        assert order == [
            "completion-type",
            "chat-settings-button",
            "chat-filter",
            "chat-list",
            "conversation",
            "prompt-input",
            "completion-type",
        ]


@pytest.mark.parametrize("theme", ["apex-dark", "apex-light"])
async def test_the_focused_form_field_is_plain_to_see(make_app: AppFactory, theme: str) -> None:
    """Item 9: in the settings form the field with the focus has an accent border and its own
    background, in both themes; the others have neither."""
    app = make_app(config=Config(theme=theme))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await pilot.pause()
        assert isinstance(app.screen, SettingsScreen)
        boxes = [box for box in app.screen.query(Input) if box.display and box.region.area]
        focused = boxes[0]
        focused.focus()
        await pilot.pause()
        other = boxes[1]
        accent = Color.parse(app.current_theme.accent)
        assert focused.styles.background != other.styles.background
        if focused.has_class("-textual-compact"):  # a one-row field: tinted with the accent
            assert focused.styles.background.a > 0
            assert other.styles.background != focused.styles.background
        else:
            assert focused.styles.border_top == ("tall", accent)
        assert other.styles.border_top[1] != accent
