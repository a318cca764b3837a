"""Web retrieval messages (``WebRetrieval``): the query and the ranked results."""

from __future__ import annotations

from apex_tui.api.models.base import Int64, WireModel


class WebRetrievalRequest(WireModel):
    uids: list[Int64] = []
    search_query: str = ""
    n_miners: Int64 | None = None
    n_results: Int64 | None = None
    max_response_time: Int64 | None = None
    timeout: Int64 | None = None


class WebSearchResult(WireModel):
    url: str = ""
    content: str = ""
    relevant: str = ""


class WebRetrievalResponse(WireModel):
    results: list[WebSearchResult] = []
