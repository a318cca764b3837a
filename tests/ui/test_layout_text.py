"""Layout and text at 120×36 and 80×24 (issue 14, items 13-16): whole words or wrapped, never
a word cut; the number boxes show their numbers; one rule over the research pane; an 80×24
layout where a pane covering the chat says how to get back."""

from __future__ import annotations

import pytest
from apex_pilot import SIZE, AppFactory, main_of, notices, send, settle
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import Input, Label, OptionList
from textual.widgets._toast import Toast

from apex_tui.shorten import cell_width
from apex_tui.ui.screens.confirm import ConfirmDeleteScreen
from apex_tui.ui.widgets.key_hints import KeyHints

SMALL = (80, 24)
WIDE = (160, 42)
"""The panes beside the chat: the search pane is narrow there."""
LONG_TITLE = "Compare the consensus mechanisms of Bittensor and Ethereum in exhaustive detail"


def shown_lines(widget: Widget) -> list[str]:
    """The lines a widget paints, as text."""
    lines = widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))
    return [line.text.rstrip() for line in lines if line.text.strip()]


@pytest.mark.parametrize("size", [SIZE, SMALL])
async def test_delete_dialog_and_edit_header_read_whole(
    make_app: AppFactory, size: tuple[int, int]
) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        main = main_of(app)
        await send(pilot, LONG_TITLE)
        await settle(pilot)
        await send(pilot, "and another")
        await settle(pilot)
        main.view.focus()
        await pilot.press("[", "[", "d")  # the first turn
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDeleteScreen)
        question = app.screen.query_one("#confirm-question", Label)
        shown = shown_lines(question)
        assert len(shown) >= 2 or size == SIZE  # wrapped where it must be, at a space
        assert " ".join(" ".join(shown).split()).endswith("This cannot be undone.")
        assert all(app.screen.region.contains_region(w.region) for w in app.screen.query(Label))
        await pilot.press("n")
        await pilot.press("[", "e")
        await pilot.pause()
        title = str(main.prompt_bar.input.border_title)
        assert cell_width(title) <= main.prompt_bar.input.size.width - 4
        # The whole note, or a shorter form that fits: never a word cut.
        assert title in (
            "Editing — Esc cancels, Enter sends it as a new branch (this one is kept: < > switch)",
            "Editing — Esc cancels, Enter sends a new branch",
            "Editing — Esc cancels",
        )
        if size == SIZE:
            assert "Enter sends" in title
        hints = main.query_one(KeyHints).render().plain
        assert hints.startswith(" esc Cancel edit") and "Stop" not in hints
        await pilot.press("escape")
        assert not main.prompt_bar.input.border_title


@pytest.mark.parametrize("size", [SIZE, SMALL, WIDE])
async def test_search_boxes_show_their_numbers(make_app: AppFactory, size: tuple[int, int]) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        main = main_of(app)
        await pilot.press("f3")
        await pilot.pause()
        pane = main.search_pane
        for box_id in ("#search-miners", "#search-per-miner", "#search-seconds"):
            box = pane.query_one(box_id, Input)
            box.value = "120"
            assert box.content_size.width >= len(box.value) + 1  # every digit and the cursor
        assert pane.query_one("#search-query", Input).content_size.width >= 30


async def test_one_rule_over_the_research_pane(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        await pilot.press("f5")
        await pilot.pause()
        side, research = main.query_one("#side"), main.research_pane
        assert side.styles.border_top[0] == "hkey"  # below the chat at 120 columns
        assert research.styles.border_top[0] in ("", "none")
        await pilot.press("f3")
        await pilot.pause()
        assert research.styles.border_top[0] == "hkey"  # between the two panes


async def test_80_by_24_panes_cover_the_chat_and_say_how_back(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        main = main_of(app)
        box = main.sessions.query_one("#chat-filter", Input)
        assert cell_width(box.placeholder) < box.content_size.width
        await send(pilot, "hello at 80 columns")
        await settle(pilot)
        await pilot.press("f3")
        await pilot.pause()
        assert not main.query_one("#chat-column").display and not main.sessions.display
        back = main.query_one("#side-back")
        assert back.display and "Esc closes it: back to the chat" in back.text
        await pilot.press("escape")
        await pilot.pause()
        assert main.query_one("#chat-column").display and main.sessions.display
        # from the prompt too: the line over the pane says Esc brings the chat back
        await pilot.press("f3")
        await pilot.pause()
        main.prompt_bar.input.focus()
        await pilot.press("escape")
        await pilot.pause()
        assert main.query_one("#chat-column").display and not main.search_pane.display
        assert app.focused is main.prompt_bar.input
        # the chat list asked for (Ctrl+L) while a pane covers it: the pane steps aside
        await pilot.press("f3")
        await pilot.pause()
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert main.sessions.display and not main.search_pane.display
        assert app.focused is main.sessions.query_one("#chat-list")
        await pilot.press("f5")
        await pilot.pause()
        pane = main.research_pane
        await send(pilot, LONG_TITLE, mode="deep-research")
        await settle(pilot)
        jobs = pane.query_one("#research-jobs", OptionList)
        [job] = pane.jobs.values()
        row = jobs.get_option(job.job_id).prompt
        assert cell_width(str(row)) <= jobs.scrollable_content_region.width - 2
        assert str(row).endswith("…")  # the title ends at a whole word


@pytest.mark.parametrize("size", [SIZE, SMALL])
async def test_toasts_are_short_and_clear_of_the_prompt(
    make_app: AppFactory, size: tuple[int, int]
) -> None:
    """Item 17: a toast is its title and one short line (two at 80 columns), and it sits at
    the top right: the prompt being typed is never under one, however many there are."""
    app = make_app(system_copy=None)  # no system clipboard: the OSC 52 toast
    async with app.run_test(size=size, notifications=True) as pilot:
        await settle(pilot)
        main = main_of(app)
        await send(pilot, "hello")
        await settle(pilot)
        main.view.focus()
        for _ in range(3):
            await pilot.press("c")
        main.prompt_bar.input.focus()
        await pilot.pause()
        await pilot.pause()
        toasts = list(app.screen.query(Toast))
        assert len(toasts) == 3
        for toast in toasts:
            assert not toast.region.overlaps(main.prompt_bar.region)
            assert toast.region.height <= (2 if size == SIZE else 3)


async def test_one_toast_per_cause_when_the_server_cannot_be_reached(
    make_app: AppFactory,
) -> None:
    """Item 17: the chat list, the open chat and past research all fail on an unreachable
    server; one toast says so and what to do, not three alike."""
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = make_app(base_url=f"http://127.0.0.1:{port}")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        await pilot.press("f5")
        await settle(pilot)
        main.load_sessions()
        await settle(pilot)
        said = [n for n in notices(app) if "cannot reach" in n]
        assert len(said) == 1, notices(app)
        assert "Could not load your chats" in said[0]
