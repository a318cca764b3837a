"""Web search for WebRetrieval and the web-search completion type: BM25 over the shipped corpus,
or a SearXNG instance when the server was started with ``--searxng URL``."""

from __future__ import annotations

import asyncio

from apex_tui.api.models import WebSearchResult
from apex_tui.api.protocol import ConnectError
from apex_tui.server.search import corpus_index


class WebSearcher:
    """Runs one search and returns up to ``limit`` de-duplicated results, best first."""

    def __init__(self, searxng_url: str | None = None) -> None:
        self.searxng_url = searxng_url.rstrip("/") if searxng_url else None

    async def search(self, query: str, limit: int, timeout: float) -> list[WebSearchResult]:
        if self.searxng_url:
            return await self._searxng(query, limit, timeout)
        try:
            return await asyncio.wait_for(asyncio.to_thread(self._offline, query, limit), timeout)
        except TimeoutError:
            raise ConnectError(
                "deadline_exceeded",
                f"search took longer than max_response_time ({timeout:g} s); allow more time",
            ) from None

    @staticmethod
    def _offline(query: str, limit: int) -> list[WebSearchResult]:
        return [
            WebSearchResult(url=h.document.url, content=h.document.text, relevant=h.passage)
            for h in corpus_index().search(query, limit)
        ]

    async def _searxng(self, query: str, limit: int, timeout: float) -> list[WebSearchResult]:
        import httpx  # only for live search: the server starts ~0.1 s sooner without it

        try:
            async with httpx.AsyncClient(timeout=timeout) as client:
                reply = await client.get(
                    f"{self.searxng_url}/search", params={"q": query, "format": "json"}
                )
                reply.raise_for_status()
                data = reply.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise ConnectError(
                "unavailable",
                f"live search at {self.searxng_url} failed ({type(exc).__name__}); check that "
                "SearXNG runs with the json format enabled, or start without --searxng",
            ) from None
        results: list[WebSearchResult] = []
        seen: set[str] = set()
        for item in data.get("results", []) if isinstance(data, dict) else []:
            url = str(item.get("url", ""))
            if not url or url in seen:
                continue
            seen.add(url)
            snippet = str(item.get("content") or item.get("title") or "")
            title = str(item.get("title") or "")
            results.append(
                WebSearchResult(url=url, content=f"{title}\n\n{snippet}".strip(), relevant=snippet)
            )
            if len(results) >= limit:
                break
        return results
