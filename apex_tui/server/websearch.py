"""Web search for WebRetrieval, the web-search completion types and deep research: BM25 over
the shipped corpus, or a SearXNG instance when the server runs with ``--searxng URL``.

Live search asks SearXNG (``/search?format=json``), keeps the first ``limit`` distinct URLs,
then reads those pages concurrently (:mod:`apex_tui.server.page_fetch`: bounded, public
addresses only) until the deadline: a result's ``content`` is its page's main text when the
page was read, else SearXNG's title and snippet; ``relevant`` is the page's best passage for
the query (BM25, :func:`apex_tui.server.search.best_passage`), else the snippet. The whole
search keeps within ``timeout`` (``max_response_time``): pages still loading then keep their
snippets.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from apex_tui.api.models import WebSearchResult
from apex_tui.api.protocol import ConnectError
from apex_tui.server.search import best_passage, corpus_index

__all__ = ["WebSearcher"]

SEARXNG_SHARE = 0.5
"""Most of the deadline SearXNG itself may take; the rest is for reading pages."""
MARGIN = 0.2
"""Seconds kept back at the end of the deadline to build the reply."""
MAX_SNIPPET = 2000

SEARCH_THREADS = 2
"""Offline searches run on their own threads, at most this many at once: a burst of searches
queues here instead of taking the worker threads the storage needs (a concurrent chat list
waited seconds behind eight of them)."""


class WebSearcher:
    """Runs one search and returns up to ``limit`` de-duplicated results, best first.

    An offline search abandoned at its deadline is really dropped if it has not started; one
    that has is bounded (``search.MAX_QUERY_CHARS``) and finishes on its own thread."""

    def __init__(self, searxng_url: str | None = None, *, fetch_private: bool = False) -> None:
        self.searxng_url = searxng_url.rstrip("/") if searxng_url else None
        self.fetch_private = fetch_private
        """Read pages on loopback/private addresses too (tests, intranets)."""
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self.running = 0
        """Offline searches running right now (tests check the bound)."""
        self.most_running = 0

    async def search(self, query: str, limit: int, timeout: float) -> list[WebSearchResult]:
        if self.searxng_url:
            return await self._searxng(query, limit, timeout)
        work = asyncio.get_running_loop().run_in_executor(
            self._threads(), self._offline, query, limit
        )
        try:
            return await asyncio.wait_for(work, timeout)  # cancels it if it is still queued
        except TimeoutError:
            raise ConnectError(
                "deadline_exceeded",
                f"search took longer than max_response_time ({timeout:g} s); allow more time",
            ) from None

    def _threads(self) -> ThreadPoolExecutor:
        """The search threads (also for scoring fetched pages), made on first use."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(SEARCH_THREADS, thread_name_prefix="apex-search")
        return self._pool

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

        from apex_tui.server.page_fetch import PageFetcher

        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        async with httpx.AsyncClient(follow_redirects=False) as client:
            items = await self._ask_searxng(client, query, limit, timeout * SEARXNG_SHARE + 1)
            fetcher = PageFetcher(client, allow_private=self.fetch_private)
            remaining = deadline - loop.time() - MARGIN
            pages = await fetcher.fetch_many([url for url, _, _ in items], remaining)
        results: list[WebSearchResult] = []
        for url, title, snippet in items:
            page = pages.get(url)
            if page:
                titled = title and not page.lstrip().startswith(title)
                content = f"{title}\n\n{page}".strip() if titled else page
                relevant = await loop.run_in_executor(self._threads(), best_passage, query, page)
            else:
                content, relevant = f"{title}\n\n{snippet}".strip(), snippet or title
            results.append(WebSearchResult(url=url, content=content, relevant=relevant))
        return results

    async def _ask_searxng(
        self, client: Any, query: str, limit: int, timeout: float
    ) -> list[tuple[str, str, str]]:
        """(url, title, snippet) of the first ``limit`` distinct http(s) results."""
        import httpx

        try:
            reply = await client.get(
                f"{self.searxng_url}/search",
                params={"q": query, "format": "json"},
                timeout=timeout,
            )
            reply.raise_for_status()
            data = reply.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise ConnectError(
                "unavailable",
                f"live search at {self.searxng_url} failed ({type(exc).__name__}); check that "
                "SearXNG runs with the json format enabled, or start without --searxng",
            ) from None
        found: list[tuple[str, str, str]] = []
        seen: set[str] = set()
        raw = data.get("results") if isinstance(data, dict) else None
        for item in raw if isinstance(raw, list) else []:
            if not isinstance(item, dict):
                continue
            url = str(item.get("url") or "")
            if not url.startswith(("http://", "https://")) or url in seen or len(url) > 2000:
                continue
            seen.add(url)
            title = " ".join(str(item.get("title") or "").split())[:300]
            snippet = " ".join(str(item.get("content") or "").split())[:MAX_SNIPPET]
            found.append((url, title, snippet))
            if len(found) >= limit:
                break
        return found
