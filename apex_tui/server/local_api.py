"""apex-tui's own endpoints beside ``apex.v1.ApexService`` (``/apex-tui/v1/…``):

* ``GET status`` — pid, version, address, uptime, engine, running jobs, clients
  (:class:`~apex_tui.api.local_status.ServerStatus`);
* ``GET attach`` — held open by each app window for as long as it runs: a first line
  ``{"attached": true, …}``, then nothing until the server shuts down (a last line
  ``{"closing": "<why>"}``) or the client goes away — closed by its process ending, however it
  ends, so a window killed with SIGKILL stops counting at once;
* ``POST retire`` — exit as soon as nothing uses the server;
* ``POST stop`` — shut down now; running research jobs resume at the next start.

Only apex-tui's own user reaches them: the Unix socket is mode 0600 in a 0700 folder, and on
loopback TCP every request needs the access token (``lifetime.LifetimeMiddleware``).
"""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime

import apex_tui
from apex_tui.api.local_status import ServerStatus
from apex_tui.api.models.base import format_timestamp
from apex_tui.api.protocol import UNARY_CONTENT_TYPE, dumps
from apex_tui.server.asgi import Receive, Scope, Send, send_bytes
from apex_tui.server.lifetime import LOCAL_PREFIX
from apex_tui.server.state import ServerState

__all__ = ["LocalEndpoint"]


class LocalEndpoint:
    """Raw ASGI endpoint for every path under ``/apex-tui/v1/``."""

    def __init__(self, state: ServerState) -> None:
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        name = scope["path"].removeprefix(LOCAL_PREFIX)
        route = {
            ("GET", "status"): self._status,
            ("GET", "attach"): self._attach,
            ("POST", "retire"): self._retire,
            ("POST", "stop"): self._stop,
        }.get((scope["method"], name))
        if route is None:
            await _json(send, 404, {"code": "unimplemented", "message": f"no {scope['path']}"})
            return
        await route(receive, send)

    def status(self) -> ServerStatus:
        state = self.state
        lifetime = state.lifetime
        options = state.options
        started = datetime.fromtimestamp(lifetime.started, UTC)
        return ServerStatus(
            pid=os.getpid(),
            version=apex_tui.__version__,
            address=state.address,
            started_at=format_timestamp(started),
            uptime_seconds=round(datetime.now(UTC).timestamp() - lifetime.started, 3),
            engine=state.engine.name,
            upstream_model=options.upstream_model if options.engine == "openai" else None,
            database=str(options.db_path),
            running_jobs=state.research.running_jobs(),
            clients=lifetime.clients,
            requests=lifetime.requests,
            idle_minutes=options.idle_minutes,
            retiring=lifetime.retiring,
        )

    async def _status(self, receive: Receive, send: Send) -> None:
        await _json(send, 200, self.status().to_wire())

    async def _retire(self, receive: Receive, send: Send) -> None:
        self.state.lifetime.retire()
        await _json(send, 200, {"retiring": True})

    async def _stop(self, receive: Receive, send: Send) -> None:
        jobs = self.state.research.running_jobs()
        await _json(send, 200, {"stopping": True, "runningJobs": jobs})
        self.state.lifetime.request_exit("stop requested by `apex-tui server stop`")

    async def _attach(self, receive: Receive, send: Send) -> None:
        state = self.state
        lifetime = state.lifetime
        lifetime.clients += 1
        try:
            headers = [
                (b"content-type", b"application/x-ndjson"),
                (b"cache-control", b"no-store"),
            ]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            hello = {"attached": True, "pid": os.getpid(), "version": apex_tui.__version__}
            first = dumps(hello) + b"\n"
            await send({"type": "http.response.body", "body": first, "more_body": True})
            gone = asyncio.ensure_future(_disconnected(receive))
            closing = asyncio.ensure_future(state.shutting_down.wait())
            try:
                done, _ = await asyncio.wait({gone, closing}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in (gone, closing):
                    task.cancel()
            if gone not in done:  # the server is ending: say why, so the window can tell
                reason = lifetime.exit_reason or "the server is shutting down"
                end = dumps({"closing": reason}) + b"\n"
                await send({"type": "http.response.body", "body": end, "more_body": False})
        finally:
            lifetime.clients -= 1
            lifetime.touch()


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _json(send: Send, status: int, data: object) -> None:
    await send_bytes(send, status, dumps(data), UNARY_CONTENT_TYPE)
