"""The web searches of this session: a record of each, and how one runs against the server.

No widget state here: the search pane decides what is shown and when, and runs
:meth:`SearchSession.run` in its worker (so a newer search cancels an older one).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from apex_tui.api.errors import ApexError
from apex_tui.api.models import WebRetrievalRequest, WebSearchResult
from apex_tui.ui.widgets.search_result_view import SearchRecord, unique_results

if TYPE_CHECKING:
    from apex_tui.api.client import ApexClient

__all__ = ["CANCELLED", "SearchSession", "give_up"]

CANCELLED = "Cancelled by a newer search."


def give_up(record: SearchRecord | None) -> None:
    """A search still waiting ends as cancelled by a newer one (a finished one is left alone)."""
    if record is not None and not record.done:
        record.error, record.done = CANCELLED, True


class SearchSession:
    """Every search of this session, oldest first, and the client that runs them."""

    def __init__(self, client: ApexClient | None) -> None:
        self.client = client
        self.history: list[SearchRecord] = []

    def begin(
        self, query: str, n_miners: int, n_results: int, max_response_time: int
    ) -> SearchRecord:
        """A new search, in the history and not yet run."""
        record = SearchRecord(query, n_miners, n_results, max_response_time)
        self.history.append(record)
        return record

    def record_sources(
        self,
        query: str,
        results: list[WebSearchResult],
        *,
        n_miners: int,
        n_results: int,
        max_response_time: int,
    ) -> SearchRecord:
        """Results fetched elsewhere (a web-search answer's sources), kept as a finished search."""
        record = SearchRecord(query, n_miners, n_results, max_response_time)
        record.results = unique_results(list(results))
        record.dropped = len(results) - len(record.results)
        record.done = True
        self.history.append(record)
        return record

    async def run(self, record: SearchRecord) -> None:
        """Ask the server; whatever happens, the record says how it ended.

        A cancelled run (a newer search, or the app quitting) is marked as such and re-raised.
        """
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
            give_up(record)
            raise
        record.done = True
