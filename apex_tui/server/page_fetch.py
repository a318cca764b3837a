"""Reading the pages a live web search found: bounded, and only where the web is public.

A page is fetched over http(s) only, at most ``MAX_PAGE_BYTES`` (a longer page is cut, not
refused), within its own timeout, following at most ``MAX_REDIRECTS`` redirects by hand. Every
hop's host is resolved first and the request goes to that very address (the ``Host`` header and
TLS name stay the host's), so a name cannot resolve to one address when checked and another
when used. By default every address must be public: loopback, private, link-local and
reserved ranges are refused. ``allow_private`` (tests, intranets) lets private targets
through but still refuses a redirect from a public address to a private one.

The main text comes from trafilatura when it is installed (``pip install 'apex-tui[web-extract]'``);
without it :meth:`PageFetcher.fetch_many` returns nothing and the search keeps its snippets.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit, urlunsplit

from apex_tui import __version__

if TYPE_CHECKING:
    import httpx

__all__ = ["MAX_PAGE_BYTES", "PageFetcher", "extractor_available"]

log = logging.getLogger("apex_tui.server.search")

MAX_PAGE_BYTES = 2_000_000
MAX_TEXT_CHARS = 100_000
PAGE_TIMEOUT = 8.0
MAX_REDIRECTS = 5
CONCURRENT_PAGES = 8
_TEXT_TYPES = ("text/html", "application/xhtml+xml", "text/plain")


class Refused(Exception):
    """The page is not fetched (the reason is logged, never shown as content)."""


def extractor_available() -> bool:
    """Whether trafilatura (the ``web-extract`` extra) can be imported."""
    try:
        import trafilatura  # noqa: F401
    except ImportError:
        return False
    return True


def _extract(html: str) -> str:
    import trafilatura

    text = trafilatura.extract(html, include_comments=False, include_tables=True) or ""
    return text[:MAX_TEXT_CHARS]


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global


class PageFetcher:
    """Fetches pages for one search (one connection pool, closed with the fetcher)."""

    def __init__(self, client: httpx.AsyncClient, *, allow_private: bool = False) -> None:
        self.client = client
        self.allow_private = allow_private

    async def _address(self, host: str, port: int, came_from_public: bool) -> str:
        """The address to connect to; Refused when policy forbids every one of them."""
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise Refused(f"cannot resolve {host}: {exc}") from None
        addresses = [str(info[4][0]) for info in infos]
        if not addresses:
            raise Refused(f"{host} has no address")
        if any(not _public(a) for a in addresses):
            if not self.allow_private:
                raise Refused(f"{host} resolves to a loopback or private address")
            if came_from_public:
                raise Refused(f"a public page redirected to {host}, a private address")
        return addresses[0]

    async def fetch_text(self, url: str, timeout: float) -> str:
        """The page's main text; :class:`Refused` when it is not read (any reason)."""
        import httpx

        came_from_public = False
        for _ in range(MAX_REDIRECTS + 1):
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise Refused(f"not an http(s) URL: {url[:100]}")
            port = parts.port or (443 if parts.scheme == "https" else 80)
            address = await self._address(parts.hostname, port, came_from_public)
            came_from_public = came_from_public or _public(address)
            shown = f"[{address}]" if ":" in address else address
            pinned = urlunsplit(
                (parts.scheme, f"{shown}:{port}", parts.path or "/", parts.query, "")
            )
            headers = {
                "Host": parts.netloc.rsplit("@", 1)[-1],
                "User-Agent": f"apex-tui/{__version__} (web search)",
                "Accept": "text/html,application/xhtml+xml,text/plain;q=0.8",
            }
            extensions = {"sni_hostname": parts.hostname} if parts.scheme == "https" else {}
            try:
                request = self.client.build_request(
                    "GET", pinned, headers=headers, extensions=extensions, timeout=timeout
                )
                reply = await self.client.send(request, stream=True)
            except httpx.HTTPError as exc:
                raise Refused(f"{url[:100]}: {type(exc).__name__}") from None
            try:
                if reply.is_redirect and "location" in reply.headers:
                    url = urljoin(url, reply.headers["location"])
                    continue
                if reply.status_code != 200:
                    raise Refused(f"{url[:100]} answered HTTP {reply.status_code}")
                kind = reply.headers.get("content-type", "text/html").split(";")[0].strip()
                if kind.lower() not in _TEXT_TYPES:
                    raise Refused(f"{url[:100]} is {kind}, not a page")
                body = bytearray()
                async for piece in reply.aiter_bytes():
                    body += piece
                    if len(body) >= MAX_PAGE_BYTES:
                        del body[MAX_PAGE_BYTES:]
                        break
            except httpx.HTTPError as exc:
                raise Refused(f"{url[:100]}: {type(exc).__name__}") from None
            finally:
                await reply.aclose()
            text = bytes(body).decode(reply.encoding or "utf-8", "replace")
            if kind == "text/plain":
                return text[:MAX_TEXT_CHARS]
            return await asyncio.to_thread(_extract, text)
        raise Refused(f"{url[:100]}: more than {MAX_REDIRECTS} redirects")

    async def fetch_many(self, urls: list[str], timeout: float) -> dict[str, str]:
        """Main texts of the pages read within ``timeout`` (fetched concurrently); pages that
        are refused, fail or are still loading at the deadline are left out."""
        if timeout <= 0 or not urls or not extractor_available():
            return {}
        gate = asyncio.Semaphore(CONCURRENT_PAGES)
        texts: dict[str, str] = {}

        async def one(url: str) -> None:
            async with gate:
                try:
                    text = await self.fetch_text(url, min(PAGE_TIMEOUT, timeout))
                except Refused as why:
                    log.info("page not read: %s", why)
                    return
                except Exception:  # a page must never break the search
                    log.exception("page not read: %s", url[:100])
                    return
                if text.strip():
                    texts[url] = text

        tasks = [asyncio.ensure_future(one(u)) for u in dict.fromkeys(urls)]
        _done, pending = await asyncio.wait(tasks, timeout=timeout)
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if pending:
            log.info("%d page(s) still loading at the deadline: snippets used", len(pending))
        return dict(texts)
