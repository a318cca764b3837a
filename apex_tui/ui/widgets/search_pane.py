"""The web-search pane: ask Apex's miners, read the results, attach some to the next prompt.

The pane owns no connection logic: its :class:`~apex_tui.ui.widgets.search_session.SearchSession`
keeps the searches and calls ``ApexClient.web_retrieval`` (in the pane's worker); the pane composes
the query bar, the status line, the lists (:mod:`~apex_tui.ui.widgets.search_results`) and the
reader, and talks up with messages (``AttachResults``) so the app shell decides what attaching
means for the chat.
"""

from __future__ import annotations

import asyncio
import time
import webbrowser
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import on, work
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input, OptionList

from apex_tui.api.models import WebSearchResult
from apex_tui.ui.safe_text import make_inert
from apex_tui.ui.widgets.one_line import OneLine
from apex_tui.ui.widgets.pane_copy import copy_out
from apex_tui.ui.widgets.search_query_bar import SearchQueryBar
from apex_tui.ui.widgets.search_result_view import ResultReader, SearchRecord, is_browsable
from apex_tui.ui.widgets.search_results import SearchHistoryList, SearchResultList
from apex_tui.ui.widgets.search_session import CANCELLED, SearchSession, give_up

if TYPE_CHECKING:
    from apex_tui.api.client import ApexClient

__all__ = ["CANCELLED", "SPINNER", "SearchPane"]

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


class SearchPane(Vertical):
    """Query bar, result list, reader and session history for Apex web search."""

    DEFAULT_CSS = """
    SearchPane { height: 1fr; }
    SearchPane > #search-bar { height: 1; margin: 0 1; }
    SearchPane #search-numbers { width: auto; height: 1; }
    SearchPane #search-bar Input { background: $panel; }
    SearchPane #search-bar Input:focus { background: $accent 30%; }
    SearchPane #search-query { width: 1fr; min-width: 16; }
    SearchPane .search-param { width: 6; }
    SearchPane .search-label { padding: 0 1 0 2; color: $text-muted; }
    SearchPane > #search-status { padding: 0 1; color: $text-muted; }
    SearchPane > #search-status.-wrap { max-height: 4; }
    SearchPane > #search-status.-error { color: $error; }
    SearchPane > #search-results { height: 1fr; }
    SearchPane > #search-history { height: 1fr; display: none; }
    SearchPane > ResultReader { display: none; }
    SearchPane.-reading > ResultReader { display: block; }
    SearchPane.-reading > #search-results { height: 2fr; max-height: 40%; }
    SearchPane.-history > #search-history { display: block; }
    SearchPane.-history > #search-results { display: none; }
    """

    BINDINGS = [
        Binding("slash", "focus_query", "Query", id="search.focus_query"),
        Binding("space", "toggle_mark", "Mark", id="search.mark"),
        Binding("a", "attach", "Attach", id="search.attach"),
        Binding("o", "open_url", "Open", id="search.open"),
        Binding("u", "copy_url", "Copy URL", id="search.copy_url"),
        Binding("p", "copy_passage", "Copy passage", id="search.copy_passage"),
        Binding("m", "toggle_markdown", "Markdown", id="search.markdown", show=False),
        Binding("h", "toggle_history", "History", id="search.history"),
        Binding("escape", "close", "Close", id="search.close", show=False),
    ]

    class AttachResults(Message):
        """The user wants these results sent as context with the next prompt (cited [1], [2]…)."""

        def __init__(self, results: list[WebSearchResult], query: str) -> None:
            super().__init__()
            self.results = results
            self.query = query

    class SearchFinished(Message):
        """A search ended (results, none, or an error): lets the shell update a status line."""

        def __init__(self, record: SearchRecord) -> None:
            super().__init__()
            self.record = record

    def __init__(
        self,
        client: ApexClient | None = None,
        *,
        n_miners: int = 5,
        n_results: int = 5,
        max_response_time: int = 30,
        open_url: Callable[[str], object] | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self._session = SearchSession(client)
        self._bar = SearchQueryBar(n_miners, n_results, max_response_time, id="search-bar")
        self._open_url = open_url or webbrowser.open
        self._results = SearchResultList(id="search-results")
        self._history = SearchHistoryList(id="search-history")
        self._started_at = 0.0
        self._spinner_timer: Timer | None = None
        self._frame = 0

    @property
    def client(self) -> ApexClient | None:
        return self._session.client

    @property
    def history(self) -> list[SearchRecord]:
        """Every search of this session, oldest first."""
        return self._session.history

    @property
    def current(self) -> SearchRecord | None:
        """The search whose results are shown."""
        return self._results.record

    @property
    def marked(self) -> set[int]:
        """Indexes of the results marked for attaching."""
        return self._results.marked

    # --- layout -------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield self._bar
        yield OneLine("Type a query and press Enter.", id="search-status")
        yield self._results
        yield self._history
        yield ResultReader(id="search-reader")

    # --- searching ----------------------------------------------------------------------------

    def search(
        self,
        query: str,
        *,
        n_miners: int | None = None,
        n_results: int | None = None,
        max_response_time: int | None = None,
    ) -> None:
        """Run a search (from the query bar, the prompt bar or the command palette)."""
        query = query.strip()
        if not query:
            self._set_status("Type something to search for.", error=True)
            return
        if self.client is None:
            self._set_status("Not connected to a server — open Settings to set one.", error=True)
            return
        self._bar.fill(
            query, n_miners=n_miners, n_results=n_results, max_response_time=max_response_time
        )
        self._end_waiting_search()
        record = self._session.begin(query, *self._bar.parameters())
        self._show_record(record)
        self._start_spinner()
        self._run_search(record)

    def _end_waiting_search(self) -> None:
        """A search still waiting is given up *now*, not when its worker next runs.

        The exclusive worker group cancels it, but a worker cancelled before its first step
        never reaches its ``except`` clause; marking the record here keeps the history true.
        """
        give_up(self.current)

    def show_sources(
        self,
        query: str,
        results: list[WebSearchResult],
        *,
        n_miners: int,
        n_results: int,
        max_response_time: int,
    ) -> SearchRecord:
        """Show results fetched elsewhere (a web-search answer's sources) as a finished search."""
        self._end_waiting_search()
        self.workers.cancel_group(self, "web-search")
        record = self._session.record_sources(
            query,
            results,
            n_miners=n_miners,
            n_results=n_results,
            max_response_time=max_response_time,
        )
        self._stop_spinner()
        self._bar.query_box.value = query
        self._show_record(record)
        return record

    @work(exclusive=True, group="web-search")
    async def _run_search(self, record: SearchRecord) -> None:
        """Run the search; show how it ended unless another search is in view by then."""
        # Cancelled (a newer search, or the app quitting): the error propagates and the screen
        # is left to the newer search.
        await self._session.run(record)
        if self.current is record:
            self._stop_spinner()
            self._show_record(record)
        self.post_message(self.SearchFinished(record))

    def _start_spinner(self) -> None:
        self._started_at = time.monotonic()
        self._frame = 0
        if self._spinner_timer is None:
            self._spinner_timer = self.set_interval(0.1, self._tick)
        self._tick()

    def _stop_spinner(self) -> None:
        if self._spinner_timer is not None:
            self._spinner_timer.stop()
            self._spinner_timer = None

    def _tick(self) -> None:
        record = self.current
        if record is None or record.done:
            return
        self._frame = (self._frame + 1) % len(SPINNER)
        elapsed = time.monotonic() - self._started_at
        self._set_status(
            f"{SPINNER[self._frame]} Searching “{make_inert(record.query)}” "
            f"({record.n_miners} miners × {record.n_results}) … {elapsed:.1f}s"
        )

    # --- showing ------------------------------------------------------------------------------

    def _set_status(self, text: str, *, hint: str = "", error: bool = False) -> None:
        status = self.query_one("#search-status", OneLine)
        status.say(text, hint)
        status.set_class(error, "-error", "-wrap")  # an error is read whole, with its hint

    def _show_record(self, record: SearchRecord) -> None:
        """Fill the list (and status line) from one record of the history."""
        self.remove_class("-reading", "-history")
        self._results.show(record)
        if not record.done:
            return
        query = make_inert(record.query)
        if record.error:
            self._set_status(f"Search for “{query}” failed: {record.error}", error=True)
        elif not record.results:
            self._set_status(
                f"No results for “{query}”. Try other words, more miners or a longer time.",
                error=True,
            )
        else:
            count = len(record.results)
            repeats = f" ({record.dropped} repeats left out)" if record.dropped else ""
            self._set_status(
                f"{count} result{'s' if count != 1 else ''} for “{query}”{repeats}",
                hint=" — Enter reads, Space marks, a attaches, o opens, u/p copy",
            )

    def _highlighted(self) -> tuple[int, WebSearchResult] | None:
        return self._results.highlighted_result()

    # --- events -------------------------------------------------------------------------------

    @on(Input.Submitted, "#search-query, .search-param")
    def _on_query_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.search(self._bar.query_box.value)

    @on(OptionList.OptionSelected, "#search-results")
    def _on_result_selected(self, event: OptionList.OptionSelected) -> None:
        """Enter on a result opens the reader; Enter on the one being read closes it."""
        event.stop()
        picked = self._highlighted()
        if picked is None:
            return
        reader = self.query_one(ResultReader)
        index, result = picked
        if self.has_class("-reading") and reader.result is result:
            self.remove_class("-reading")
            return
        reader.show(index + 1, result)
        self.add_class("-reading")

    @on(OptionList.OptionSelected, "#search-history")
    def _on_history_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        index = int(event.option.id or "0")
        if 0 <= index < len(self.history):
            record = self.history[index]
            self._bar.query_box.value = record.query
            self._show_record(record)
            self._results.focus()

    # --- actions ------------------------------------------------------------------------------

    def action_focus_query(self) -> None:
        self._bar.query_box.focus()

    def action_toggle_mark(self) -> None:
        self._results.toggle_mark()

    def action_attach(self) -> None:
        """Attach the marked results (or the highlighted one when none is marked)."""
        record = self.current
        if record is None or not record.results:
            self.app.notify("Nothing to attach: run a search first.", severity="warning")
            return
        chosen = self._results.chosen()
        if not chosen:
            return
        self.post_message(self.AttachResults(chosen, record.query))
        self.app.notify(
            f"{len(chosen)} result{'s' if len(chosen) != 1 else ''} attached to your next prompt."
        )
        self._results.clear_marks()

    def action_open_url(self) -> None:
        picked = self._highlighted()
        if picked is None:
            return
        url = picked[1].url.strip()
        if not is_browsable(url):
            self.app.notify(
                f"Not opening “{make_inert(url)}”: only http(s) addresses go to the browser.",
                severity="warning",
            )
            return
        self._open_in_browser(url)

    @work(group="open-url")
    async def _open_in_browser(self, url: str) -> None:
        """``webbrowser`` can block while it starts a browser: keep it off the UI thread."""
        opened = await asyncio.to_thread(self._open_url, url)
        if opened is False:
            self.app.notify(
                "No browser could be started here; the URL was copied instead.",
                severity="warning",
            )
            copy_out(self.app, url, "URL")
        else:
            self.app.notify(f"Opened {make_inert(url)} in your browser.")

    def action_copy_url(self) -> None:
        picked = self._highlighted()
        if picked is not None:
            copy_out(self.app, picked[1].url.strip(), "URL")

    def action_copy_passage(self) -> None:
        picked = self._highlighted()
        if picked is not None:
            copy_out(self.app, picked[1].relevant or picked[1].content, "Passage")

    def action_toggle_markdown(self) -> None:
        if self.has_class("-reading"):
            self.query_one(ResultReader).toggle_markdown()

    def action_toggle_history(self) -> None:
        """Show the searches of this session; Enter on one brings its results back."""
        if self.has_class("-history"):
            self.remove_class("-history")
            self._results.focus()
            return
        self._history.show(self.history)
        self.remove_class("-reading")
        self.add_class("-history")
        self._history.focus()

    def action_close(self) -> None:
        """Esc: back from the history or the reader to the results; from the results (or any
        box) the key goes on, and the screen closes the pane."""
        if self.has_class("-history"):
            self.remove_class("-history")
        elif self.has_class("-reading"):
            self.remove_class("-reading")
        else:
            raise SkipAction()
        self._results.focus()
