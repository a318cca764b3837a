"""The server-streaming path (``ChatCompletionStream``): Connect envelopes over one 200 reply.

Once the 200 header is out, every failure travels in the end envelope (as connect-go does):
decode errors, a protocol version other than 1, auth, the concurrent-stream limit, deadlines,
engine errors and shutdown (``unavailable`` "server shutting down"). Injected faults can
break the framing on purpose. Pieces that come within 10 ms of the previous write, or while
the client is behind, go out merged (:mod:`apex_tui.server.coalesce`), except under an injected
fault, which counts chunks. A deadline or a client gone drops what still waits (at most 10 ms of
text, or what a client that stopped reading left).
"""

from __future__ import annotations

import asyncio
import logging

from apex_tui.api.models import ChatCompletionChunkResponse, ChatCompletionRequest
from apex_tui.api.protocol import (
    ENVELOPE_HEADER,
    STREAM_CONTENT_TYPE,
    ConnectError,
    encode_envelope,
)
from apex_tui.server.asgi import (
    Receive,
    Scope,
    Send,
    check_protocol_version,
    read_body,
    timeout_seconds,
)
from apex_tui.server.coalesce import ChunkCoalescer
from apex_tui.server.codec import (
    decode_request,
    decode_single_envelope,
    encode_data_envelope,
    encode_end_envelope,
)
from apex_tui.server.faults import Fault
from apex_tui.server.state import ServerState

log = logging.getLogger("apex_tui.server")


class _Dropped(Exception):
    """The stream is to end without an end envelope (fault ``drop-after``)."""


async def _watch_disconnect(receive: Receive, gone: asyncio.Event) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            gone.set()
            return


async def serve_stream(
    state: ServerState, scope: Scope, receive: Receive, send: Send, fault: Fault | None
) -> None:
    """Run one ChatCompletionStream call after routing, method and content-type checks."""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", STREAM_CONTENT_TYPE.encode())],
        }
    )
    gone = asyncio.Event()
    state.active_streams += 1
    try:
        error: ConnectError | None = None
        try:
            await _body(state, scope, receive, send, fault, gone)
        except ConnectError as exc:
            error = exc
        except _Dropped:
            log.info("stream dropped on purpose (fault drop-after)")
            return  # no end envelope: the server closes the connection mid-stream
        except Exception:
            log.exception("ChatCompletionStream failed")
            error = ConnectError("internal", "the server hit an unexpected error; see its log")
        if not gone.is_set():
            await send(
                {
                    "type": "http.response.body",
                    "body": encode_end_envelope(error),
                    "more_body": True,
                }
            )
            await send({"type": "http.response.body", "body": b"", "more_body": False})
    finally:
        state.active_streams -= 1


async def _body(
    state: ServerState,
    scope: Scope,
    receive: Receive,
    send: Send,
    fault: Fault | None,
    gone: asyncio.Event,
) -> None:
    options = state.options
    if fault and fault.stall:
        await state.pause(fault.stall)
    raw = await read_body(scope, receive, options.max_body_bytes)
    watcher = asyncio.get_running_loop().create_task(_watch_disconnect(receive, gone))
    try:
        check_protocol_version(scope)  # as unary calls do
        deadline = timeout_seconds(scope)
        caller = state.authenticate(scope)
        request = await decode_request(decode_single_envelope(raw), ChatCompletionRequest)
        if state.active_streams > options.max_concurrent_streams:
            raise ConnectError(
                "resource_exhausted",
                f"too many open streams (limit {options.max_concurrent_streams}); retry shortly",
            )
        run = _relay(state, send, caller, request, fault, gone)
        if deadline is None:
            await run
        else:
            try:
                await asyncio.wait_for(run, deadline)
            except TimeoutError:
                raise ConnectError(
                    "deadline_exceeded", f"the call took longer than its {deadline:g} s deadline"
                ) from None
    finally:
        watcher.cancel()


async def _relay(
    state: ServerState,
    send: Send,
    caller: object,
    request: ChatCompletionRequest,
    fault: Fault | None,
    gone: asyncio.Event,
) -> None:
    sent = 0

    async def emit(body: bytes) -> None:
        await send({"type": "http.response.body", "body": body, "more_body": True})

    if fault and fault.oversized:
        payload = b'{"choices":[{"delta":{"content":"' + b"x" * fault.oversized + b'"}}]}'
        await emit(encode_envelope(payload))
    if fault and fault.malformed_json:
        await emit(encode_envelope(b'{"choices": [{"delta": {"content": "trunc'))
    if fault and fault.bad_envelope:
        payload = b'{"choices":[{"delta":{"content":"bad framing"}}]}'
        await emit(ENVELOPE_HEADER.pack(0x70, len(payload)) + payload)

    async def write(chunk: ChatCompletionChunkResponse) -> None:
        if not gone.is_set():  # a client gone mid-stream: what waits is dropped, not encoded
            await emit(encode_data_envelope(chunk))

    async with ChunkCoalescer(write, merge=fault is None) as out:
        async for chunk in state.handlers.stream(caller, request):  # type: ignore[arg-type]
            if gone.is_set():
                return
            if state.shutting_down.is_set():
                raise ConnectError("unavailable", "server shutting down; reconnect and retry")
            if fault and fault.drop_after is not None and sent >= fault.drop_after:
                raise _Dropped
            if fault and fault.error_end and sent >= fault.after:
                raise ConnectError(
                    fault.error_end, f"injected fault: stream ended with {fault.error_end}"
                )
            if fault and fault.stall_after and sent == fault.stall_after[0]:
                await state.pause(fault.stall_after[1])
                if state.shutting_down.is_set():
                    raise ConnectError("unavailable", "server shutting down; reconnect and retry")
            await out.put(chunk)
            sent += 1
    if fault and fault.drop_after is not None:
        raise _Dropped
    if fault and fault.error_end:
        raise ConnectError(fault.error_end, f"injected fault: stream ended with {fault.error_end}")
