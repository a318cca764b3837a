"""Web search for WebRetrieval and the web-search completion type: BM25 over the shipped corpus,
or a SearXNG instance when the server was started with ``--searxng URL``."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

from apex_tui.api.models import WebSearchResult
from apex_tui.api.protocol import ConnectError
from apex_tui.server.search import corpus_index

SEARCH_THREADS = 2
"""Offline searches run on their own threads, at most this many at once: a burst of searches
queues here instead of taking the worker threads the storage needs (a concurrent chat list
waited seconds behind eight of them)."""


class WebSearcher:
    """Runs one search and returns up to ``limit`` de-duplicated results, best first.

    An offline search abandoned at its deadline is really dropped if it has not started; one
    that has is bounded (``search.MAX_QUERY_CHARS``) and finishes on its own thread."""

    def __init__(self, searxng_url: str | None = None) -> None:
        self.searxng_url = searxng_url.rstrip("/") if searxng_url else None
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self.running = 0
        """Offline searches running right now (tests check the bound)."""
        self.most_running = 0

    async def search(self, query: str, limit: int, timeout: float) -> list[WebSearchResult]:
        if self.searxng_url:
            return await self._searxng(query, limit, timeout)
        if self._pool is None:
            self._pool = ThreadPoolExecutor(SEARCH_THREADS, thread_name_prefix="apex-search")
        work = asyncio.get_running_loop().run_in_executor(self._pool, self._offline, query, limit)
        try:
            return await asyncio.wait_for(work, timeout)  # cancels it if it is still queued
        except TimeoutError:
            raise ConnectError(
                "deadline_exceeded",
                f"search took longer than max_response_time ({timeout:g} s); allow more time",
            ) from None

    def close(self) -> None:
        """Drop queued searches and let the threads end (the server is stopping)."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def _offline(self, query: str, limit: int) -> list[WebSearchResult]:
        with self._lock:
            self.running += 1
            self.most_running = max(self.most_running, self.running)
        try:
            return [
                WebSearchResult(url=h.document.url, content=h.document.text, relevant=h.passage)
                for h in corpus_index().search(query, limit)
            ]
        finally:
            with self._lock:
                self.running -= 1

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
