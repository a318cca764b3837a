"""How long a server runs: what keeps it up, when it leaves on its own, and who may talk to it.

The per-user local server (started on demand by the first apex-tui process that needs it) stays
up while anything uses it — an attached client (each app window holds ``/apex-tui/v1/attach``
open), a request in flight (a CLI command), a research job running — and exits after
``idle_minutes`` of none of these. Asked to retire (another apex-tui version or other settings
want to replace it), it exits as soon as it is idle. :class:`Lifetime` keeps that count and runs
the idle watch; :class:`LifetimeMiddleware` counts requests and, when the server listens on
loopback TCP, refuses any request without its access token.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import time
from collections.abc import Callable
from typing import Any

from apex_tui.api.protocol import ConnectError
from apex_tui.server.asgi import Receive, Scope, Send, header, send_error
from apex_tui.server.options import ServerOptions
from apex_tui.server.research import ResearchRunner

__all__ = ["LOCAL_PREFIX", "TOKEN_HEADER", "Lifetime", "LifetimeMiddleware"]

log = logging.getLogger("apex_tui.server")

LOCAL_PREFIX = "/apex-tui/v1/"
"""apex-tui's own endpoints (status, attach, retire, stop), outside ``apex.v1.ApexService``."""
TOKEN_HEADER = "X-Apex-Tui-Token"
"""The access token of a server on loopback TCP (``ServerOptions.access_token``)."""
QUIET_PATHS = frozenset({"/health", f"{LOCAL_PREFIX}status", f"{LOCAL_PREFIX}attach"})
"""Requests that do not count as use: asking how the server is must not keep it up."""


class Lifetime:
    """Attached clients, requests in flight and running jobs; the idle exit."""

    def __init__(self, options: ServerOptions, research: ResearchRunner) -> None:
        minutes = options.idle_minutes
        self.idle_seconds = None if minutes is None else minutes * 60
        self.research = research
        self.clients = 0
        self.requests = 0
        self.retiring = False
        self.started = time.time()
        self.exit_reason = ""
        self._last_active = time.monotonic()
        self._exit: Callable[[], None] | None = None
        self._watch: asyncio.Task[None] | None = None

    def bind_exit(self, exit_now: Callable[[], None]) -> None:
        """How this server is told to shut down (the uvicorn server's ``should_exit``)."""
        self._exit = exit_now

    def busy(self) -> bool:
        return bool(self.clients or self.requests or self.research.running_jobs())

    def touch(self) -> None:
        self._last_active = time.monotonic()

    def request_exit(self, reason: str) -> None:
        """Begin a graceful shutdown (running jobs stop and resume at the next start)."""
        if not self.exit_reason:
            self.exit_reason = reason
            log.info("shutting down: %s", reason)
        if self._exit is not None:
            self._exit()

    def retire(self) -> None:
        """Exit as soon as nothing uses the server, without waiting ``idle_minutes``."""
        if not self.retiring:
            log.info("asked to retire once idle")
        self.retiring = True

    def start(self) -> None:
        """Start the idle watch (on the server's loop) if this server leaves when idle."""
        if self._watch is None:
            self._watch = asyncio.get_running_loop().create_task(self._watch_idle())

    async def stop(self) -> None:
        task, self._watch = self._watch, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _watch_idle(self) -> None:
        tick = 1.0 if self.idle_seconds is None else min(1.0, max(0.05, self.idle_seconds / 4))
        while True:
            await asyncio.sleep(tick)
            if self.busy():
                self.touch()
                continue
            if self.retiring:
                self.request_exit("retired: another apex-tui version or other settings replace it")
                return
            if self.idle_seconds is None:
                continue
            if time.monotonic() - self._last_active >= self.idle_seconds:
                minutes = self.idle_seconds / 60
                self.request_exit(f"idle for {minutes:g} min: no client, request or job")
                return


class LifetimeMiddleware:
    """Counts requests in flight (``Lifetime.requests``) and checks the access token."""

    def __init__(self, app: Any, options: ServerOptions, lifetime: Lifetime) -> None:
        self.app = app
        self.token = options.access_token
        self.lifetime = lifetime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.token is not None and not self._token_ok(scope):
            await send_error(
                send,
                ConnectError(
                    "unauthenticated",
                    f"this local server answers only its own user's apex-tui: send the token "
                    f"from its token file in the {TOKEN_HEADER} header",
                ),
            )
            return
        if scope["path"] in QUIET_PATHS:
            await self.app(scope, receive, send)
            return
        lifetime = self.lifetime
        lifetime.requests += 1
        try:
            await self.app(scope, receive, send)
        finally:
            lifetime.requests -= 1
            lifetime.touch()

    def _token_ok(self, scope: Scope) -> bool:
        assert self.token is not None
        given = header(scope, TOKEN_HEADER) or ""
        return hmac.compare_digest(given.strip().encode(), self.token.encode())
