"""A SearXNG-compatible search server (``/search?format=json``) that also serves the pages
its results point to, so live search can be tested over real HTTP on loopback.

Every page is about one topic; a query finds the pages whose words it shares. Extra routes
test the fetcher's bounds: a slow page, a huge page, a redirect to another host, a binary file.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

PAGES: dict[str, tuple[str, str]] = {
    "sqlite-wal": (
        "SQLite write-ahead logging",
        "Write-ahead logging lets SQLite readers and a writer work at the same time. "
        "The WAL file holds new pages until a checkpoint copies them into the database.",
    ),
    "sqlite-locking": (
        "How SQLite locks a database",
        "SQLite takes a shared lock to read and an exclusive lock to write. Busy timeouts "
        "make a connection wait for a lock instead of failing at once.",
    ),
    "postgres-mvcc": (
        "PostgreSQL MVCC explained",
        "PostgreSQL keeps several versions of a row so readers never block writers. "
        "Vacuum removes the row versions no transaction can see any more.",
    ),
    "bittensor-subnets": (
        "Bittensor subnets and validators",
        "A Bittensor subnet rewards miners whose answers validators score highly. "
        "Validators set weights on chain and emissions follow those weights.",
    ),
}


def page_html(title: str, body: str) -> str:
    """A page with navigation and footer noise around the article (extraction drops them)."""
    filler = " ".join([body] * 3)
    return (
        f"<html><head><title>{title}</title></head><body>"
        "<nav><a href='/'>Home</a> <a href='/about'>About</a> Menu Login Subscribe</nav>"
        f"<article><h1>{title}</h1><p>{filler}</p>"
        "<p>Other notes: this paragraph talks about gardening, tomatoes and weather, "
        "and has nothing to do with databases or networks at all, really.</p></article>"
        "<footer>Copyright 2026 Example pages. All rights reserved. Cookie settings.</footer>"
        "</body></html>"
    )


@dataclass
class SearchLog:
    queries: list[str] = field(default_factory=list)
    fetched: list[str] = field(default_factory=list)


def make_searxng(log: SearchLog, *, extra: list[dict[str, Any]] | None = None) -> Starlette:
    """``extra`` results are appended to every answer (e.g. URLs that test the fetcher);
    ``{base}`` in their values becomes this server's address."""

    async def search(request: Request) -> Response:
        query = request.query_params.get("q", "")
        if request.query_params.get("format") != "json":
            return HTMLResponse("json format only", status_code=403)
        log.queries.append(query)
        base = str(request.base_url).rstrip("/")
        words = {w.strip("?,.").lower() for w in query.split() if len(w) > 3}
        results = []
        for slug, (title, body) in PAGES.items():
            score = len(words & {w.strip(".,").lower() for w in f"{title} {body}".split()})
            if score:
                results.append((score, slug, title, body))
        results.sort(key=lambda r: -r[0])
        items = [
            {"url": f"{base}/page/{slug}", "title": title, "content": body[:80] + "…"}
            for _, slug, title, body in results
        ]
        added = [{k: str(v).replace("{base}", base) for k, v in e.items()} for e in extra or []]
        return JSONResponse({"query": query, "results": items + added})

    async def page(request: Request) -> Response:
        slug = request.path_params["slug"]
        log.fetched.append(slug)
        if slug == "slow":
            await asyncio.sleep(8)
        if slug == "huge":
            return HTMLResponse("<html><body><p>" + "word " * 1_000_000 + "</p></body></html>")
        if slug == "binary":
            return Response(b"\x00\x01" * 100, media_type="application/octet-stream")
        if slug not in PAGES:
            return HTMLResponse("not found", status_code=404)
        return HTMLResponse(page_html(*PAGES[slug]))

    async def redirect(request: Request) -> Response:
        return RedirectResponse(request.query_params["to"], status_code=302)

    return Starlette(
        routes=[
            Route("/search", search),
            Route("/page/{slug}", page),
            Route("/redirect", redirect),
        ]
    )
