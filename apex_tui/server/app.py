"""The ASGI application: Connect routing for ``POST /apex.v1.ApexService/<Method>``, auth,
faults, limits, a per-request log line and ``GET /health``; apex-tui's own endpoints under
``/apex-tui/v1/`` (``local_api``) and the request count and access token of ``lifetime``.

Order of checks for an RPC path: unknown method → 404 (``unimplemented``); not POST → 405 with
``Allow: POST``; wrong content type → 415; an injected ``status=`` fault → that status. For
unary calls every later error is a Connect error reply with its mapped status; for the
streaming call it is a 200 reply whose end envelope carries the error.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from apex_tui import __version__
from apex_tui.api.models import METHODS, SERVICE_NAME, STREAMING_METHODS
from apex_tui.api.protocol import STREAM_CONTENT_TYPE, UNARY_CONTENT_TYPE, ConnectError
from apex_tui.server.asgi import (
    Receive,
    Scope,
    Send,
    check_protocol_version,
    decompress,
    header,
    read_body,
    send_bytes,
    send_error,
    timeout_seconds,
)
from apex_tui.server.codec import decode_request, encode_message
from apex_tui.server.faults import Fault
from apex_tui.server.lifetime import LOCAL_PREFIX, LifetimeMiddleware
from apex_tui.server.local_api import LocalEndpoint
from apex_tui.server.state import ServerState
from apex_tui.server.streaming import serve_stream

log = logging.getLogger("apex_tui.server")
access_log = logging.getLogger("apex_tui.server.access")


class RpcEndpoint:
    """Raw ASGI endpoint for every path under ``/apex.v1.ApexService/``."""

    def __init__(self, state: ServerState) -> None:
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope["path_params"]["method"]
        scope["apex.rpc"] = method if method in METHODS else "?"
        if method not in METHODS:
            await send_error(
                send,
                ConnectError("unimplemented", f"{SERVICE_NAME}/{method} is not a known method"),
                status=404,
            )
            return
        if scope["method"] != "POST":
            await send_error(
                send,
                ConnectError("unimplemented", f"use POST for {SERVICE_NAME}/{method}"),
                status=405,
                extra=[("allow", "POST")],
            )
            return
        streaming = method in STREAMING_METHODS
        content_type = (header(scope, "content-type") or "").split(";")[0].strip().lower()
        expected = STREAM_CONTENT_TYPE if streaming else UNARY_CONTENT_TYPE
        if content_type != expected:
            await send_error(
                send,
                ConnectError(
                    "invalid_argument",
                    f"content type {content_type or '(none)'!r} is not supported for {method}; "
                    f"send {expected}",
                ),
                status=415,
                extra=[("accept-post", expected)],
            )
            return
        try:
            fault = self.state.take_fault(scope, method)
        except ConnectError as exc:
            await send_error(send, exc)
            return
        if fault and fault.status:
            extra = [("retry-after", f"{fault.retry_after:g}")] if fault.retry_after else []
            await send_error(send, fault.status_error(), status=fault.status, extra=extra)
            return
        if streaming:
            await serve_stream(self.state, scope, receive, send, fault)
        else:
            await self._unary(method, scope, receive, send, fault)

    async def _unary(
        self, method: str, scope: Scope, receive: Receive, send: Send, fault: Fault | None
    ) -> None:
        state = self.state
        try:
            if fault and fault.stall:
                await state.pause(fault.stall)
            check_protocol_version(scope)
            deadline = timeout_seconds(scope)
            raw = await read_body(scope, receive, state.options.max_body_bytes)
            raw = decompress(raw, header(scope, "content-encoding"), state.options.max_body_bytes)
            caller = state.authenticate(scope)
            request_model = METHODS[method][0]
            request = await decode_request(raw, request_model)
            if fault and fault.error_end:
                raise ConnectError(fault.error_end, f"injected fault: {fault.error_end}")
            call = state.handlers.unary(method, caller, request)
            if deadline is None:
                reply = await call
            else:
                try:
                    reply = await asyncio.wait_for(call, deadline)
                except TimeoutError:
                    raise ConnectError(
                        "deadline_exceeded",
                        f"the call took longer than its {deadline:g} s deadline",
                    ) from None
            body = encode_message(reply)  # inside: a reply that cannot be encoded is a
            # Connect error too, never Starlette's plain-text 500
        except ConnectError as exc:
            await send_error(send, exc)
            return
        except Exception:
            log.exception("%s failed", method)
            await send_error(
                send, ConnectError("internal", "the server hit an unexpected error; see its log")
            )
            return
        if fault and fault.malformed_json:
            body = body[: max(1, len(body) // 2)] + b"<<not json"
        if fault and fault.oversized:
            rest = b"," + body[1:] if len(body) > 2 else b"}"
            body = b'{"padding":"' + b"x" * fault.oversized + b'"' + rest
        await send_bytes(send, 200, body, UNARY_CONTENT_TYPE)


class AccessLog:
    """One line per request: RPC (or path), status, milliseconds. Never keys or message text."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = [0]

        async def recording_send(message: Any) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            name = scope.get("apex.rpc") or scope["path"]
            if len(name) > 80:
                name = name[:80] + "…"
            access_log.info(
                "%s %s %d %.1fms",
                scope["method"],
                name,
                status[0],
                (time.perf_counter() - started) * 1000,
            )


def build_app(state: ServerState) -> AccessLog:
    """The full ASGI app for one server state (lifespan resumes research, closes storage)."""

    async def health(request: Request) -> JSONResponse:
        return JSONResponse(
            {
                "status": "shutting-down" if state.shutting_down.is_set() else "ok",
                "engine": state.engine.name,
                "version": __version__,
                "activeStreams": state.active_streams,
            }
        )

    async def not_found(request: Request) -> JSONResponse:
        return JSONResponse(
            {"code": "unimplemented", "message": f"no such endpoint: {request.url.path}"},
            status_code=404,
        )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        state.loop = asyncio.get_running_loop()
        await state.research.resume_unfinished()
        state.lifetime.start()
        try:
            yield
        finally:
            await state.lifetime.stop()
            await state.research.stop()
            await state.engine.aclose()
            state.close()

    routes = [
        Route("/health", health, methods=["GET", "HEAD"]),
        Route(f"/{SERVICE_NAME}/{{method}}", RpcEndpoint(state)),
        Route(f"{LOCAL_PREFIX}{{name}}", LocalEndpoint(state)),
        Route("/{path:path}", not_found, methods=["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"]),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    return AccessLog(LifetimeMiddleware(app, state.options, state.lifetime))
