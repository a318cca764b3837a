"""The gRPC servicer: each RPC authenticates the caller from its metadata, converts the request
(``convert``), runs the handler the Connect front end runs (``state.handlers``) within the
call's deadline, and converts the reply back. A :class:`ConnectError` becomes the gRPC status of
the same name (``canceled`` is spelled ``CANCELLED`` there); anything else is ``INTERNAL``.

Streams share the Connect path's limit on open streams and its shutdown rule: once the server
starts shutting down, an open stream ends with ``UNAVAILABLE`` "server shutting down".
Fault injection (``X-Apex-Fault``) is a Connect-only testing aid and is not read here.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from typing import Any

import grpc
from google.protobuf import json_format
from google.protobuf.message import Message

from apex_tui.api.models import ChatCompletionRequest
from apex_tui.api.protocol import ConnectError
from apex_tui.server.asgi import bearer_key
from apex_tui.server.grpc import convert
from apex_tui.server.grpc.generated import apex_pb2_grpc
from apex_tui.server.handlers import Caller
from apex_tui.server.state import ServerState, caller_for

log = logging.getLogger("apex_tui.server")
access_log = logging.getLogger("apex_tui.server.access")


def status_code(code: str) -> grpc.StatusCode:
    """The gRPC status for a Connect code (same names; Connect's ``canceled``, gRPC's
    ``CANCELLED``); an unknown code is ``UNKNOWN``."""
    name = "CANCELLED" if code == "canceled" else code.upper()
    return getattr(grpc.StatusCode, name, grpc.StatusCode.UNKNOWN)


def _metadata_scope(context: grpc.aio.ServicerContext) -> dict[str, Any]:
    """The call's metadata shaped as an ASGI scope's headers, so ``state.authenticate`` applies
    the very rules (and keys) the Connect front end applies. Binary (``-bin``) values are
    skipped: no text header is carried that way."""
    headers = [
        (str(key).lower().encode("latin-1", "replace"), value.encode("latin-1", "replace"))
        for key, value in context.invocation_metadata() or ()
        if isinstance(value, str)
    ]
    return {"type": "grpc", "headers": headers}


def _deadline_exceeded() -> ConnectError:
    return ConnectError("deadline_exceeded", "the call took longer than its deadline")


class ApexServicer(apex_pb2_grpc.ApexServiceServicer):
    """``apex.v1.ApexService`` over gRPC, on top of one :class:`ServerState`."""

    def __init__(self, state: ServerState) -> None:
        self.state = state

    # --- the 15 unary methods: one path ------------------------------------------------------

    async def ChatCompletion(self, request: Message, context: Any) -> Message:
        return await self._unary("ChatCompletion", request, context)

    async def WebRetrieval(self, request: Message, context: Any) -> Message:
        return await self._unary("WebRetrieval", request, context)

    async def SubmitDeepResearcherJob(self, request: Message, context: Any) -> Message:
        return await self._unary("SubmitDeepResearcherJob", request, context)

    async def GetDeepResearcherJob(self, request: Message, context: Any) -> Message:
        return await self._unary("GetDeepResearcherJob", request, context)

    async def GetChatSessions(self, request: Message, context: Any) -> Message:
        return await self._unary("GetChatSessions", request, context)

    async def GetStoredChatCompletions(self, request: Message, context: Any) -> Message:
        return await self._unary("GetStoredChatCompletions", request, context)

    async def GetChatCompletion(self, request: Message, context: Any) -> Message:
        return await self._unary("GetChatCompletion", request, context)

    async def UpdateChatAttributes(self, request: Message, context: Any) -> Message:
        return await self._unary("UpdateChatAttributes", request, context)

    async def DeleteChats(self, request: Message, context: Any) -> Message:
        return await self._unary("DeleteChats", request, context)

    async def CreateChatAndCompletion(self, request: Message, context: Any) -> Message:
        return await self._unary("CreateChatAndCompletion", request, context)

    async def CreateCompletion(self, request: Message, context: Any) -> Message:
        return await self._unary("CreateCompletion", request, context)

    async def DeleteCompletions(self, request: Message, context: Any) -> Message:
        return await self._unary("DeleteCompletions", request, context)

    async def SearchChatIdsByPromptAndCompletionText(
        self, request: Message, context: Any
    ) -> Message:
        return await self._unary("SearchChatIdsByPromptAndCompletionText", request, context)

    async def UpdateCompletionAttributes(self, request: Message, context: Any) -> Message:
        return await self._unary("UpdateCompletionAttributes", request, context)

    async def GetCompletionsWithDeepResearcherEntry(
        self, request: Message, context: Any
    ) -> Message:
        return await self._unary("GetCompletionsWithDeepResearcherEntry", request, context)

    # --- the server-streaming method ---------------------------------------------------------

    async def ChatCompletionStream(self, request: Message, context: Any) -> None:
        """Chunks go out with ``context.write`` (not ``yield``) so that the deadline can wrap
        the whole call, writes included."""
        state = self.state
        started = time.perf_counter()
        state.active_streams += 1
        try:
            await self._stream(request, context)
        except asyncio.CancelledError:
            _log("ChatCompletionStream", "CANCELLED", started)
            raise
        except ConnectError as exc:
            error = exc
        except Exception:
            log.exception("ChatCompletionStream failed (gRPC)")
            error = ConnectError("internal", "the server hit an unexpected error; see its log")
        else:
            _log("ChatCompletionStream", "OK", started)
            return
        finally:
            state.active_streams -= 1
        await self._fail(context, "ChatCompletionStream", error, started)

    async def _stream(self, request: Message, context: Any) -> None:
        state = self.state
        caller = self._caller(context)
        model = convert.request_from_proto("ChatCompletionStream", request)
        assert isinstance(model, ChatCompletionRequest)
        limit = state.options.max_concurrent_streams
        if state.active_streams > limit:
            raise ConnectError(
                "resource_exhausted", f"too many open streams (limit {limit}); retry shortly"
            )
        try:
            async with asyncio.timeout(context.time_remaining()):
                async for chunk in state.handlers.stream(caller, model):
                    if state.shutting_down.is_set():
                        raise ConnectError(
                            "unavailable", "server shutting down; reconnect and retry"
                        )
                    await context.write(convert.chunk_to_proto(chunk))
        except TimeoutError:
            raise _deadline_exceeded() from None

    # --- shared ------------------------------------------------------------------------------

    def _caller(self, context: Any) -> Caller:
        scope = _metadata_scope(context)
        options = self.state.options
        if options.grpc_key is None:
            return self.state.authenticate(scope)
        key = bearer_key(scope)
        if key is None or not hmac.compare_digest(key.encode(), options.grpc_key.encode()):
            raise ConnectError(
                "unauthenticated",
                "this local server's gRPC port takes only its own key: "
                "MACROCOSMOS_API_KEY=$(apex-tui server grpc-key)",
            )
        assert options.grpc_owner_key is not None  # ServerOptions checks the pair
        return caller_for(options.grpc_owner_key)

    async def _unary(self, method: str, request: Message, context: Any) -> Message:
        started = time.perf_counter()
        try:
            reply = await self._answer(method, request, context)
        except asyncio.CancelledError:
            _log(method, "CANCELLED", started)
            raise
        except ConnectError as exc:
            error = exc
        except Exception:
            log.exception("%s failed (gRPC)", method)
            error = ConnectError("internal", "the server hit an unexpected error; see its log")
        else:
            _log(method, "OK", started)
            return reply
        await self._fail(context, method, error, started)
        raise AssertionError("context.abort returned")  # it raises; this keeps mypy honest

    async def _answer(self, method: str, request: Message, context: Any) -> Message:
        caller = self._caller(context)
        try:
            model = convert.request_from_proto(method, request)
        except (json_format.Error, ValueError) as exc:
            raise ConnectError(
                "invalid_argument", f"request does not fit proto3 JSON: {exc}"
            ) from None
        try:
            async with asyncio.timeout(context.time_remaining()):
                reply = await self.state.handlers.unary(method, caller, model)
        except TimeoutError:
            raise _deadline_exceeded() from None
        return convert.reply_to_proto(method, reply)

    async def _fail(self, context: Any, method: str, error: ConnectError, started: float) -> None:
        code = status_code(error.code)
        _log(method, code.name, started)
        await context.abort(code, error.message or error.code)


def _log(method: str, status: str, started: float) -> None:
    """One line per call, like the Connect access log: never keys or message text."""
    access_log.info("gRPC %s %s %.1fms", method, status, (time.perf_counter() - started) * 1000)
