"""The web-search pane: ask Apex's miners, read the results, attach some to the next prompt.

The pane owns no connection logic: it calls ``ApexClient.web_retrieval`` in a worker and talks up
with messages (``AttachResults``) so the app shell decides what attaching means for the chat.
"""

from __future__ import annotations

import asyncio
import time
import webbrowser
from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from apex_tui.api.errors import ApexError
from apex_tui.api.models import WebRetrievalRequest, WebSearchResult
from apex_tui.ui.safe_text import make_inert
from apex_tui.ui.widgets.pane_copy import copy_out
from apex_tui.ui.widgets.search_result_view import (
    ResultReader,
    SearchRecord,
    history_row,
    is_browsable,
    result_row,
    unique_results,
)

if TYPE_CHECKING:
    from apex_tui.api.client import ApexClient

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
CANCELLED = "Cancelled by a newer search."


class SearchPane(Vertical):
    """Query bar, result list, reader and session history for Apex web search."""

    DEFAULT_CSS = """
    SearchPane { height: 1fr; }
    SearchPane > #search-bar { height: 3; }
    SearchPane #search-query { width: 1fr; }
    SearchPane .search-param { width: 7; }
    SearchPane .search-label { padding: 1 0 0 1; color: $text-muted; }
    SearchPane > #search-status { height: 1; padding: 0 1; color: $text-muted; }
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
        self.client = client
        self._defaults = (n_miners, n_results, max_response_time)
        self._open_url = open_url or webbrowser.open
        self.history: list[SearchRecord] = []
        self.current: SearchRecord | None = None
        self.marked: set[int] = set()
        self._started_at = 0.0
        self._spinner_timer: Timer | None = None
        self._frame = 0

    # --- layout -------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        miners, results, seconds = self._defaults
        with Horizontal(id="search-bar"):
            yield Input(placeholder="Search the web… (Enter)", id="search-query")
            yield Label("miners", classes="search-label")
            yield Input(
                str(miners),
                type="integer",
                id="search-miners",
                classes="search-param",
                tooltip="How many miners to ask",
            )
            yield Label("each", classes="search-label")
            yield Input(
                str(results),
                type="integer",
                id="search-per-miner",
                classes="search-param",
                tooltip="Results per miner",
            )
            yield Label("secs", classes="search-label")
            yield Input(
                str(seconds),
                type="integer",
                id="search-seconds",
                classes="search-param",
                tooltip="Longest wait for the miners, in seconds",
            )
        yield Static("Type a query and press Enter.", id="search-status", markup=False)
        yield OptionList(id="search-results")
        yield OptionList(id="search-history")
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
        if n_miners is not None:
            self.query_one("#search-miners", Input).value = str(n_miners)
        if n_results is not None:
            self.query_one("#search-per-miner", Input).value = str(n_results)
        if max_response_time is not None:
            self.query_one("#search-seconds", Input).value = str(max_response_time)
        self.query_one("#search-query", Input).value = query
        self._end_waiting_search()
        record = SearchRecord(
            query,
            self._param("#search-miners", 0),
            self._param("#search-per-miner", 1),
            self._param("#search-seconds", 2),
        )
        self.history.append(record)
        self._show_record(record)
        self._start_spinner()
        self._run_search(record)

    def _end_waiting_search(self) -> None:
        """A search still waiting is given up *now*, not when its worker next runs.

        The exclusive worker group cancels it, but a worker cancelled before its first step
        never reaches its ``except`` clause; marking the record here keeps the history true.
        """
        if self.current is not None and not self.current.done:
            self.current.error, self.current.done = CANCELLED, True

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
        record = SearchRecord(query, n_miners, n_results, max_response_time)
        record.results = unique_results(list(results))
        record.dropped = len(results) - len(record.results)
        record.done = True
        self.history.append(record)
        self._stop_spinner()
        self.query_one("#search-query", Input).value = query
        self._show_record(record)
        return record

    def _param(self, selector: str, index: int) -> int:
        """A positive integer from a parameter box, or the configured default when it is not one."""
        text = self.query_one(selector, Input).value.strip()
        try:
            value = int(text)
        except ValueError:
            value = 0
        if value <= 0:
            value = self._defaults[index]
            self.query_one(selector, Input).value = str(value)
        return value

    @work(exclusive=True, group="web-search")
    async def _run_search(self, record: SearchRecord) -> None:
        """Ask the server; whatever happens, the record says how it ended."""
        assert self.client is not None
        request = WebRetrievalRequest(
            search_query=record.query,
            n_miners=record.n_miners,
            n_results=record.n_results,
            max_response_time=record.max_response_time,
        )
        try:
            response = await self.client.web_retrieval(request)
            record.results = unique_results(list(response.results))
            record.dropped = len(response.results) - len(record.results)
        except ApexError as err:
            record.error = str(err)
        except asyncio.CancelledError:
            # A newer search (or the app quitting) took over: leave the screen to it.
            if not record.done:
                record.error, record.done = CANCELLED, True
            raise
        record.done = True
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

    def _set_status(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#search-status", Static)
        status.update(Text(text))
        status.set_class(error, "-error")

    def _show_record(self, record: SearchRecord) -> None:
        """Fill the list (and status line) from one record of the history."""
        self.current = record
        self.marked.clear()
        self.remove_class("-reading", "-history")
        results = self.query_one("#search-results", OptionList)
        results.set_options(self._rows(record))
        if record.results:
            results.highlighted = 0
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
                f"{count} result{'s' if count != 1 else ''} for “{query}”{repeats} — Enter "
                "reads, Space marks, a attaches, o opens, u/p copy"
            )

    def _rows(self, record: SearchRecord) -> list[Option]:
        return [
            Option(result_row(rank, result, marked=rank - 1 in self.marked), id=str(rank - 1))
            for rank, result in enumerate(record.results, start=1)
        ]

    def _highlighted(self) -> tuple[int, WebSearchResult] | None:
        record = self.current
        index = self.query_one("#search-results", OptionList).highlighted
        if record is None or index is None or not 0 <= index < len(record.results):
            return None
        return index, record.results[index]

    # --- events -------------------------------------------------------------------------------

    @on(Input.Submitted, "#search-query, .search-param")
    def _on_query_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.search(self.query_one("#search-query", Input).value)

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
            self.query_one("#search-query", Input).value = record.query
            self._show_record(record)
            self.query_one("#search-results", OptionList).focus()

    # --- actions ------------------------------------------------------------------------------

    def action_focus_query(self) -> None:
        self.query_one("#search-query", Input).focus()

    def action_toggle_mark(self) -> None:
        picked = self._highlighted()
        if picked is None or self.current is None:
            return
        index, result = picked
        self.marked.symmetric_difference_update({index})
        self.query_one("#search-results", OptionList).replace_option_prompt_at_index(
            index, result_row(index + 1, result, marked=index in self.marked)
        )

    def action_attach(self) -> None:
        """Attach the marked results (or the highlighted one when none is marked)."""
        record = self.current
        if record is None or not record.results:
            self.app.notify("Nothing to attach: run a search first.", severity="warning")
            return
        indexes = sorted(self.marked)
        if not indexes:
            picked = self._highlighted()
            indexes = [picked[0]] if picked else []
        chosen = [record.results[i] for i in indexes]
        if not chosen:
            return
        self.post_message(self.AttachResults(chosen, record.query))
        self.app.notify(
            f"{len(chosen)} result{'s' if len(chosen) != 1 else ''} attached to your next prompt."
        )
        rows = self.query_one("#search-results", OptionList)
        for index in sorted(self.marked):
            rows.replace_option_prompt_at_index(
                index, result_row(index + 1, record.results[index], marked=False)
            )
        self.marked.clear()

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
            self.query_one("#search-results", OptionList).focus()
            return
        history = self.query_one("#search-history", OptionList)
        history.set_options(
            Option(history_row(record), id=str(i))
            for i, record in reversed(list(enumerate(self.history)))
        )
        if self.history:
            history.highlighted = 0
        self.remove_class("-reading")
        self.add_class("-history")
        history.focus()

    def action_close(self) -> None:
        if self.has_class("-history"):
            self.remove_class("-history")
        elif self.has_class("-reading"):
            self.remove_class("-reading")
        self.query_one("#search-results", OptionList).focus()
