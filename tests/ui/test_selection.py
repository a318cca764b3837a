"""Selecting text with the mouse: a drag across turns, a double-clicked word, a triple-clicked
block; copied as shown (``y``, Ctrl+C) or as Markdown source (``Y``); the research log and
the search result reader too."""

from __future__ import annotations

import re
from typing import Any

from apex_pilot import SIZE, AppFactory, main_of, send, settle
from textual.widgets import Markdown, Static

from apex_tui.ui.screens.help import current_keys
from apex_tui.ui.widgets.conversation import ConversationView
from apex_tui.ui.widgets.conversation_paint import GUTTER
from apex_tui.ui.widgets.key_hints import KeyHints
from apex_tui.ui.widgets.research_log import ResearchLog
from apex_tui.ui.widgets.search_result_view import ResultReader

ANSWER_ONE = "# Plan\n\nFirst **bold** point.\n\n- item one\n- item two\n"
ANSWER_TWO = "Second answer with `code` and a [link](https://example.com).\n"


def hints(app: Any) -> list[tuple[str, str]]:
    return [(key, text) for key, text, *_ in app.screen.query_one(KeyHints).hints]


def row_of(view: ConversationView, key: str, line: int) -> int:
    """The view row showing line ``line`` of turn ``key``."""
    return view._layout.offset(view._index.index_of(key)) + line - round(view.scroll_y)


def line_index(view: ConversationView, key: str, text: str) -> int:
    return next(i for i, ln in enumerate(view.rendered_lines(key)) if text in ln.text)


async def two_turns(pilot: Any) -> ConversationView:
    main = main_of(pilot.app)
    for prompt in ("first question", "second question"):
        await send(pilot, prompt)
        await settle(pilot)
    view = main.view
    first, second = view.turns  # answers the tests know, rendered as the app renders them
    view.finish_answer(first.key, final_text=ANSWER_ONE)
    view.finish_answer(second.key, final_text=ANSWER_TWO)
    await pilot.pause()
    return view


async def test_a_drag_across_two_turns_copies_the_text_shown_and_the_markdown(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = await two_turns(pilot)
        first, second = view.turns
        start = line_index(view, first.key, "First")
        end = line_index(view, second.key, "Second answer")
        await pilot.mouse_down(ConversationView, offset=(GUTTER, row_of(view, first.key, start)))
        await pilot.hover(ConversationView, offset=(GUTTER + 5, row_of(view, second.key, end)))
        await pilot.mouse_up(ConversationView, offset=(GUTTER + 5, row_of(view, second.key, end)))
        await pilot.pause()
        shown = app.screen.get_selected_text()
        assert shown is not None
        assert shown.startswith("First bold point.") and shown.endswith("Second")
        assert "second question" in shown and "item two" in shown and "**" not in shown
        # the selected span is drawn on the visible lines (the screen's selection style)
        painted = view.render_line(row_of(view, second.key, end))
        style = app.screen.get_component_rich_style("screen--selection")
        marked = [s for s in painted if s.style and s.style.bgcolor == style.bgcolor]
        assert "".join(s.text for s in marked).strip() == "Second"
        assert all(s.style.color != style.bgcolor for s in marked if s.text.strip())  # legible
        await pilot.press("y")
        assert app.clipboard == shown
        await pilot.press("Y")
        assert app.clipboard == (
            "First **bold** point.\n\n- item one\n- item two\n\nsecond question\n\n"
            "Second answer with `code` and a [link](https://example.com)."
        )
        app.copy_to_clipboard("")
        await pilot.press("ctrl+c")
        assert app.clipboard == shown
        assert any("Selection copied" in n.title for n in app._notifications)
        keys = current_keys(app.help_sections(), {})  # F1 lists them
        assert (keys["selection.copy"], keys["selection.copy_markdown"]) == ("y", "Y")
        assert keys["chat.previous_branch"] == "< / alt+left"


async def test_double_click_selects_a_word_and_triple_click_a_block(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = await two_turns(pilot)
        first = view.turns[0]
        line = line_index(view, first.key, "First")
        text = view.rendered_lines(first.key)[line].text
        column = GUTTER + text.index("bold") + 1
        await pilot.double_click(ConversationView, offset=(column, row_of(view, first.key, line)))
        await pilot.pause()
        assert app.screen.get_selected_text() == "bold"
        await pilot.press("Y")
        assert app.clipboard == "First **bold** point."  # the block it is in, as Markdown
        item = line_index(view, first.key, "item one")
        await pilot.triple_click(
            ConversationView, offset=(GUTTER + 4, row_of(view, first.key, item))
        )
        await pilot.pause()
        assert app.screen.get_selected_text() == " • item one\n • item two"
        await pilot.press("Y")
        assert app.clipboard == "- item one\n- item two"
        await pilot.press("escape")  # Esc clears a selection (when nothing streams)
        assert not app.screen.selections
        await pilot.triple_click(
            ConversationView, offset=(GUTTER + 4, row_of(view, first.key, item))
        )
        await pilot.pause()
        assert ("y", "Copy selection") in hints(app)
        # a plain click elsewhere clears the selection, and the copy keys leave the footer
        await pilot.click(ConversationView, offset=(GUTTER, row_of(view, first.key, 0)))
        await pilot.pause()
        assert not app.screen.selections
        assert ("y", "Copy selection") not in hints(app)


async def test_the_research_log_and_the_result_reader_select_and_copy(
    make_app: AppFactory, apex_server: Any
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        await pilot.press("f5")
        await settle(pilot)
        log = main.research_pane.query_one(ResearchLog)
        log.show(
            "## Step one\n\nSearched **three** sources.\n\n## Step two\n\nRead them.\n",
            finished=True,
        )
        await pilot.pause()
        texts = [line.text.rstrip() for line in log.lines]
        row = next(i for i, t in enumerate(texts) if "Searched" in t)
        column = texts[row].index("three") + 1
        left, top = log.gutter.left, log.gutter.top  # its border and padding
        await pilot.double_click(log, offset=(left + column, top + row))
        await pilot.pause()
        assert app.screen.get_selected_text() == "three"
        await pilot.press("Y")
        assert "Searched **three** sources." in app.clipboard
        last = next(i for i, t in enumerate(texts) if "Read them" in t)
        await pilot.mouse_down(log, offset=(left, top + row))
        await pilot.hover(log, offset=(left + 6, top + last))
        await pilot.mouse_up(log, offset=(left + 6, top + last))
        await pilot.pause()
        assert app.screen.get_selected_text() == "Searched three sources.\n\nStep two\n\nRead th"
        # the result reader (Textual's Static and Markdown widgets): a word, a paragraph
        await pilot.press("f5", "f3")  # the research pane closes, the search pane opens
        await settle(pilot)
        pane = main.search_pane
        pane.search("python asyncio event loop")
        await settle(pilot)
        pane.query_one("#search-results").focus()
        await pilot.press("enter")
        await pilot.pause()
        content = pane.query_one(ResultReader).result.content  # type: ignore[union-attr]
        plain = pane.query_one("#reader-plain", Static)
        await pilot.double_click(plain, offset=(0, 0))
        await pilot.pause()
        assert app.screen.get_selected_text() == re.match(r"\w+", content).group()  # type: ignore[union-attr]
        await pilot.triple_click(plain, offset=(0, 0))
        await pilot.pause()
        assert app.screen.get_selected_text() == content.split("\n\n")[0].strip()
        await pilot.press("m")  # the same content as Markdown: a block copies as its source
        await pilot.pause()
        markdown = pane.query_one("#reader-markdown", Markdown)
        assert markdown.display
        await markdown.update("Some **bold** words.\n\nNext paragraph.")  # a page with markup
        await pilot.pause()
        await pilot.triple_click(markdown.children[0], offset=(1, 0))
        await pilot.pause()
        assert app.screen.get_selected_text() == "Some bold words."
        await pilot.press("Y")
        assert app.clipboard == "Some **bold** words."
