"""Live web search: the server against a SearXNG-compatible server that also serves the pages
(real HTTP on loopback). Pages are read for their main text, within bounds and the deadline."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fakes.searxng import SearchLog, make_searxng
from fakes.serve import serving

from apex_tui.server import page_fetch
from apex_tui.server.embedded import EmbeddedServer
from apex_tui.server.page_fetch import PageFetcher, Refused

from .conftest import fast_options, ok

HEADERS = {"Authorization": "Bearer searcher"}


def searx(extra: list[dict[str, Any]] | None = None) -> Any:
    log = SearchLog()
    return log, serving(make_searxng(log, extra=extra))


@pytest.fixture
def searxng() -> Iterator[tuple[SearchLog, str]]:
    log, ctx = searx()
    with ctx as url:
        yield log, url


def live(tmp_path: Path, url: str, **extra: Any) -> EmbeddedServer:
    values: dict[str, Any] = {"searxng_url": url, "fetch_private_pages": True}
    values.update(extra)
    return EmbeddedServer(fast_options(tmp_path, **values))


def retrieve(server: EmbeddedServer, query: str, **fields: Any) -> list[dict[str, Any]]:
    with httpx.Client(base_url=server.base_url, headers=HEADERS, timeout=60) as http:
        reply = ok(http, "WebRetrieval", {"searchQuery": query, "nMiners": 1, **fields})
    return list(reply.get("results", []))


def test_results_carry_the_pages_main_text_and_best_passage(
    tmp_path: Path, searxng: tuple[SearchLog, str]
) -> None:
    log, url = searxng
    with live(tmp_path, url) as server:
        results = retrieve(server, "SQLite write-ahead logging checkpoint", nResults=2)
    assert len(results) == 2  # n_results honoured (SearXNG found more)
    first = results[0]
    assert first["url"] == f"{url}/page/sqlite-wal"
    assert "checkpoint copies them into the database" in first["content"]
    assert "Login" not in first["content"] and "Cookie" not in first["content"]  # boilerplate
    assert "checkpoint" in first["relevant"] and "gardening" not in first["relevant"]
    assert log.queries == ["SQLite write-ahead logging checkpoint"]
    assert set(log.fetched) == {"sqlite-wal", "sqlite-locking"}


def test_without_the_extractor_results_keep_searxngs_snippet(
    tmp_path: Path, searxng: tuple[SearchLog, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    log, url = searxng
    monkeypatch.setattr(page_fetch, "extractor_available", lambda: False)
    with live(tmp_path, url) as server:
        results = retrieve(server, "PostgreSQL MVCC vacuum", nResults=1)
    assert results[0]["content"].startswith("PostgreSQL MVCC explained\n\n")
    assert results[0]["content"].endswith("…") and results[0]["relevant"].endswith("…")
    assert log.fetched == []


def test_pages_on_private_addresses_are_not_read_by_default(
    tmp_path: Path, searxng: tuple[SearchLog, str]
) -> None:
    log, url = searxng
    with live(tmp_path, url, fetch_private_pages=False) as server:
        results = retrieve(server, "Bittensor subnets validators", nResults=1)
    assert results and results[0]["content"].endswith("…")  # the snippet
    assert log.fetched == []


def test_the_deadline_and_the_bounds_hold(tmp_path: Path) -> None:
    extra = [
        {"url": "{base}/page/slow", "title": "Slow page", "content": "slow snippet"},
        {"url": "{base}/page/huge", "title": "Huge page", "content": "huge snippet"},
        {"url": "{base}/page/binary", "title": "Binary", "content": "binary snippet"},
        {"url": "{base}/redirect?to=file:///etc/passwd", "title": "Bad", "content": "x"},
        {"url": "ftp://example.org/file", "title": "FTP", "content": "ftp snippet"},
    ]
    _log, ctx = searx(extra)
    with ctx as url, live(tmp_path, url) as server:
        results = retrieve(server, "SQLite locking busy timeouts", nResults=10, maxResponseTime=3)
    by_title = {r["content"].split("\n", 1)[0]: r for r in results}
    assert "FTP" not in by_title  # http(s) results only
    assert by_title["Slow page"]["content"] == "Slow page\n\nslow snippet"  # cut at the deadline
    assert by_title["Binary"]["content"] == "Binary\n\nbinary snippet"  # not a page
    assert by_title["Bad"]["content"] == "Bad\n\nx"  # redirect to file:// refused
    huge = by_title["Huge page"]["content"]
    assert len(huge) <= page_fetch.MAX_TEXT_CHARS + 20  # read, but cut to size
    assert "Busy timeouts" in by_title["How SQLite locks a database"]["content"]


def test_a_public_page_cannot_redirect_to_a_private_address() -> None:
    async def check() -> None:
        async with httpx.AsyncClient() as client:
            open_fetcher = PageFetcher(client, allow_private=True)
            with pytest.raises(Refused, match="redirected"):
                await open_fetcher._address("127.0.0.1", 80, came_from_public=True)
            assert await open_fetcher._address("127.0.0.1", 80, False) == "127.0.0.1"
            strict = PageFetcher(client)
            for host in ("127.0.0.1", "10.1.2.3", "192.168.0.9", "169.254.169.254", "::1"):
                with pytest.raises(Refused, match="private"):
                    await strict._address(host, 80, came_from_public=False)
            with pytest.raises(Refused, match="http"):
                await strict.fetch_text("file:///etc/passwd", 1)

    asyncio.run(check())
