"""Pilot tests of the web-search pane against the real local server over loopback HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Input, OptionList, Static

from apex_tui.api.client import ApexClient
from apex_tui.api.models import ChatMessage, WebRetrievalRequest, WebSearchResult
from apex_tui.server.embedded import EmbeddedServer
from apex_tui.services.chat_sync import ChatSettings, ChatSync, TurnFinished
from apex_tui.services.completion_types import build_chat_request
from apex_tui.ui.widgets.search_pane import SearchPane
from apex_tui.ui.widgets.search_result_view import (
    ResultReader,
    is_browsable,
    result_row,
    row_text,
    site_of,
    unique_results,
)

QUERY = "python asyncio event loop"


class SearchApp(App[None]):
    """The smallest host for the pane: records what the pane says upward."""

    def __init__(self, client: ApexClient) -> None:
        super().__init__()
        self.client = client
        self.attached: list[list[WebSearchResult]] = []
        self.opened: list[str] = []

    def compose(self) -> ComposeResult:
        yield SearchPane(
            self.client, n_miners=2, n_results=3, max_response_time=10, open_url=self._open
        )

    def _open(self, url: str) -> bool:
        self.opened.append(url)
        return True

    def on_search_pane_attach_results(self, message: SearchPane.AttachResults) -> None:
        self.attached.append(message.results)


@pytest.fixture
async def client(apex_server: EmbeddedServer) -> AsyncIterator[ApexClient]:
    async with ApexClient(apex_server.base_url, "test-key") as apex:
        yield apex


def status_text(app: App[None]) -> str:
    return str(app.query_one("#search-status", Static).render())


async def run_search(app: SearchApp, pilot: object, query: str = QUERY) -> SearchPane:
    pane = app.query_one(SearchPane)
    pane.search(query)
    await app.workers.wait_for_complete()
    await pilot.pause()  # type: ignore[attr-defined]
    return pane


async def test_search_lists_ranked_results_in_server_order(client: ApexClient) -> None:
    expected = await client.web_retrieval(
        WebRetrievalRequest(search_query=QUERY, n_miners=2, n_results=3, max_response_time=10)
    )
    assert expected.results, "the local corpus should answer this query"
    app = SearchApp(client)
    async with app.run_test(size=(120, 36)) as pilot:
        pane = await run_search(app, pilot)
        rows = app.query_one("#search-results", OptionList)
        assert rows.option_count == len(expected.results)
        assert [r.url for r in pane.current.results] == [r.url for r in expected.results]  # type: ignore[union-attr]
        first = row_text(rows.get_option_at_index(0).prompt)  # type: ignore[arg-type]
        assert first.startswith("[1] ")
        assert site_of(expected.results[0].url) in first
        assert f"{len(expected.results)} result" in status_text(app)


async def test_params_come_from_the_boxes_and_bad_values_fall_back(client: ApexClient) -> None:
    app = SearchApp(client)
    async with app.run_test(size=(120, 36)) as pilot:
        app.query_one("#search-miners", Input).value = "1"
        app.query_one("#search-per-miner", Input).value = "-4"
        pane = await run_search(app, pilot)
        record = pane.current
        assert record is not None
        assert (record.n_miners, record.n_results, record.max_response_time) == (1, 3, 10)
        assert app.query_one("#search-per-miner", Input).value == "3"
        assert len(record.results) <= 1 * 3


async def test_expand_reads_full_content_and_escape_closes(client: ApexClient) -> None:
    app = SearchApp(client)
    async with app.run_test(size=(120, 36)) as pilot:
        pane = await run_search(app, pilot)
        app.query_one("#search-results", OptionList).focus()
        await pilot.press("enter")
        reader = app.query_one(ResultReader)
        assert pane.has_class("-reading") and reader.display
        assert reader.result is pane.current.results[0]  # type: ignore[union-attr]
        body = str(app.query_one("#reader-plain", Static).render())
        assert body.split()[:5] == reader.result.content.split()[:5]  # type: ignore[union-attr]
        await pilot.press("m")
        assert reader.showing_markdown
        await pilot.press("escape")
        assert not pane.has_class("-reading")


async def test_copy_url_and_passage_and_open(client: ApexClient) -> None:
    app = SearchApp(client)
    async with app.run_test(size=(120, 36)) as pilot:
        pane = await run_search(app, pilot)
        first = pane.current.results[0]  # type: ignore[union-attr]
        app.query_one("#search-results", OptionList).focus()
        await pilot.press("u")
        assert app.clipboard == first.url.strip()
        await pilot.press("p")
        assert app.clipboard == (first.relevant or first.content)
        await pilot.press("o")
        await app.workers.wait_for_complete()
        assert app.opened == [first.url.strip()]


async def test_mark_and_attach_posts_the_chosen_results_in_order(client: ApexClient) -> None:
    app = SearchApp(client)
    async with app.run_test(size=(120, 36)) as pilot:
        pane = await run_search(app, pilot)
        results = pane.current.results  # type: ignore[union-attr]
        assert len(results) >= 3
        app.query_one("#search-results", OptionList).focus()
        await pilot.press("down", "down", "space", "up", "up", "space")
        assert pane.marked == {0, 2}
        rows = app.query_one("#search-results", OptionList)
        assert "● " in row_text(rows.get_option_at_index(0).prompt)  # type: ignore[arg-type]
        await pilot.press("a")
        await pilot.pause()
        assert app.attached == [[results[0], results[2]]]
        assert pane.marked == set()
        # with nothing marked, "a" attaches the highlighted result
        await pilot.press("down", "a")
        await pilot.pause()
        assert app.attached[-1] == [results[1]]


async def test_attached_results_reach_the_next_request(client: ApexClient) -> None:
    """Attach two results, send a prompt with them as context: they are sent and stored."""
    app = SearchApp(client)
    async with app.run_test(size=(120, 36)) as pilot:
        await run_search(app, pilot)
        app.query_one("#search-results", OptionList).focus()
        await pilot.press("space", "down", "space", "a")
        await pilot.pause()
    attached = app.attached[-1]
    assert len(attached) == 2
    request = build_chat_request(
        "basic", [ChatMessage(role="user", content="Explain")], sources=attached
    )
    sources_text = request.messages[0].content
    assert request.messages[0].role == "system"
    assert f"[1] {attached[0].url}" in sources_text and f"[2] {attached[1].url}" in sources_text
    sync = ChatSync(client)
    finished = [
        event
        async for event in sync.send(
            None, "Explain the event loop", [], ChatSettings(), context=attached
        )
        if isinstance(event, TurnFinished)
    ]
    turn = finished[0].turn
    assert [s["url"] for s in turn.metadata["sources"]] == [r.url for r in attached]
    stored = await client.get_chat_completion(turn.completion_id)
    assert [s["url"] for s in (stored.metadata or {})["sources"]] == [r.url for r in attached]


async def test_no_results_says_so(client: ApexClient) -> None:
    app = SearchApp(client)
    async with app.run_test(size=(120, 36)) as pilot:
        await run_search(app, pilot, "zqxjvvbnq wkpflrmm")
        assert app.query_one("#search-results", OptionList).option_count == 0
        assert "No results" in status_text(app)


async def test_server_error_shows_message_and_hint(
    client: ApexClient, apex_server: EmbeddedServer
) -> None:
    apex_server.inject_fault("status=401", method="WebRetrieval")
    app = SearchApp(client)
    async with app.run_test(size=(120, 36)) as pilot:
        pane = await run_search(app, pilot)
        assert pane.current is not None and pane.current.error
        text = status_text(app)
        assert "failed" in text and "APEX_API_KEY" in text
        assert app.query_one("#search-status", Static).has_class("-error")


async def test_spinner_while_waiting_then_results(
    client: ApexClient, apex_server: EmbeddedServer
) -> None:
    apex_server.inject_fault("stall=1", method="WebRetrieval")
    app = SearchApp(client)
    async with app.run_test(size=(120, 36)) as pilot:
        pane = app.query_one(SearchPane)
        pane.search(QUERY)
        await pilot.pause()
        assert "Searching" in status_text(app) and "s" in status_text(app)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "result" in status_text(app)
        assert pane.current is not None and pane.current.results


async def test_a_newer_search_replaces_one_still_waiting(
    client: ApexClient, apex_server: EmbeddedServer
) -> None:
    apex_server.inject_fault("stall=3", method="WebRetrieval")
    app = SearchApp(client)
    async with app.run_test(size=(120, 36)) as pilot:
        pane = app.query_one(SearchPane)
        pane.search("slow query about sqlite")
        await pilot.pause()
        pane.search(QUERY)
        while pane.current is None or not pane.current.done:
            await pilot.pause(0.05)
        await pilot.pause()
        older, newer = pane.history
        assert older.done and older.error == "Cancelled by a newer search."
        assert pane.current is newer and newer.results and not newer.error
        assert "result" in status_text(app) and "Searching" not in status_text(app)


async def test_history_brings_back_an_earlier_search(client: ApexClient) -> None:
    app = SearchApp(client)
    async with app.run_test(size=(120, 36)) as pilot:
        pane = await run_search(app, pilot, QUERY)
        first = pane.current
        await run_search(app, pilot, "sqlite full text search")
        assert pane.current is not first and len(pane.history) == 2
        app.query_one("#search-results", OptionList).focus()
        await pilot.press("h")
        history = app.query_one("#search-history", OptionList)
        assert history.option_count == 2 and pane.has_class("-history")
        await pilot.press("down", "enter")  # newest first: the second row is the first search
        assert pane.current is first
        assert app.query_one("#search-query", Input).value == QUERY
        assert not pane.has_class("-history")


async def test_query_bar_enter_runs_a_search(client: ApexClient) -> None:
    app = SearchApp(client)
    async with app.run_test(size=(120, 36)) as pilot:
        query = app.query_one("#search-query", Input)
        query.focus()
        query.value = QUERY
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.query_one(SearchPane).current is not None
        assert app.query_one("#search-results", OptionList).option_count > 0


def test_rows_and_urls_are_made_safe() -> None:
    evil = WebSearchResult(
        url="https://www.example.com/a\x1b]0;pwned\x07",
        content="body",
        relevant="good \x1b[2Jpassage",
    )
    row = row_text(result_row(1, evil, marked=False))
    assert "\x1b" not in row and "\x07" not in row
    assert site_of(evil.url).startswith("example.com")
    assert is_browsable("https://example.com/x")
    assert not is_browsable("file:///etc/passwd")
    assert not is_browsable("javascript:alert(1)")


def test_repeated_urls_and_empty_results_are_left_out() -> None:
    a = WebSearchResult(url="https://example.com/a", content="A", relevant="a")
    again = WebSearchResult(url="https://Example.com/a/", content="A again")
    empty = WebSearchResult()
    b = WebSearchResult(url="https://example.com/b", content="B")
    assert unique_results([a, again, empty, b]) == [a, b]
