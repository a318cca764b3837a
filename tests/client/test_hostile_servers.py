"""The real client against hostile servers on loopback sockets (issue 13): it never waits
without end and never reads without bound. Every limit is configured small so each test
ends in well under a second; the errors say which limit passed and which key raises it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hostile_servers import (
    chunk_envelope,
    dripping,
    endless,
    head,
    hostile,
    http_chunk,
    resetting,
    silent,
)

from apex_tui.api.client import ApexClient
from apex_tui.api.errors import ApexError, ApexStreamError
from apex_tui.api.limits import ClientLimits
from apex_tui.api.models import ChatCompletionRequest, ChatMessage

STREAM = "application/connect+json"
GUARD = 30.0
"""Outer bound on each call: a client that ignored its limits would fail here, not hang."""

SMALL = ClientLimits(
    connect_timeout=1.0,
    call_timeout=0.6,
    stream_first_message_timeout=0.4,
    stream_idle_timeout=0.3,
    stream_timeout=1.2,
    max_reply_bytes=64 * 1024,
    max_stream_bytes=256 * 1024,
)


def _client(url: str, **options: Any) -> ApexClient:
    options.setdefault("retry_base_delay", 0.01)
    return ApexClient(url, "k", limits=SMALL, **options)


async def _list(url: str, **options: Any) -> ApexError:
    async with _client(url, **options) as client:
        with pytest.raises(ApexError) as caught:
            await asyncio.wait_for(client.get_chat_sessions(), GUARD)
    return caught.value


async def _ask(url: str) -> tuple[ApexStreamError, list[str]]:
    received: list[str] = []
    request = ChatCompletionRequest(messages=[ChatMessage(role="user", content="hi")])
    async with _client(url) as client:

        async def run() -> None:
            async for chunk in client.chat_completion_stream(request):
                received.append(chunk.text)

        with pytest.raises(ApexStreamError) as caught:
            await asyncio.wait_for(run(), GUARD)
    return caught.value, received


async def test_a_server_that_never_answers_ends_a_call_at_its_deadline_retries_included() -> None:
    with hostile(silent) as server:
        error = await _list(server.base_url, max_retries=3)
    assert error.code == "deadline_exceeded"
    assert "within 0.6 s (retries included)" in error.message
    assert "client.call_timeout" in error.hint


async def test_a_server_dripping_a_byte_at_a_time_is_held_to_the_overall_deadline() -> None:
    claims = head("application/json", length=1000)
    with hostile(dripping(claims, every=0.05)) as server:
        error = await _list(server.base_url)
    assert error.code == "deadline_exceeded" and "retries included" in error.message


async def test_a_stream_with_no_first_message_ends_at_the_first_message_timeout() -> None:
    with hostile(silent) as server:
        error, received = await _ask(server.base_url)
    assert error.code == "deadline_exceeded" and not received
    assert "no answer from the server within 0.4 s" in error.message
    assert "client.stream_first_message_timeout" in error.hint
    # headers, then an envelope that never completes, dripped slower than nothing at all
    with hostile(dripping(head(STREAM) + b"\x00\x00\x00\x10", every=0.05)) as server:
        error, received = await _ask(server.base_url)
    assert "no answer from the server" in error.message


async def test_a_stream_that_goes_silent_ends_at_the_idle_timeout_keeping_the_text() -> None:
    first = head(STREAM) + chunk_envelope("partial ")
    with hostile(dripping(first, every=10.0)) as server:
        error, received = await _ask(server.base_url)
    assert received == ["partial "] and error.partial_text == "partial "
    assert error.code == "deadline_exceeded"
    assert "went silent for 0.3 s" in error.message and "client.stream_idle_timeout" in error.hint


async def test_an_endless_slow_stream_ends_at_its_overall_deadline() -> None:
    behaviour = endless(head(STREAM), chunk_envelope("tick "), every=0.05)
    with hostile(behaviour) as server:
        error, received = await _ask(server.base_url)
    assert received and error.partial_text == "".join(received)
    assert "ran past its 1.2 s deadline" in error.message and "client.stream_timeout" in error.hint


async def test_an_endless_fast_stream_is_cut_at_the_size_cap_keeping_the_text() -> None:
    with hostile(endless(head(STREAM), chunk_envelope("x" * 1000) * 16)) as server:
        error, received = await _ask(server.base_url)
    assert error.code == "resource_exhausted"
    assert "byte limit; stopped reading" in error.message
    assert "client.max_stream_bytes" in error.hint
    assert error.partial_text == "".join(received)
    assert 0 < len(error.partial_text) <= SMALL.max_stream_bytes


async def test_a_reply_claiming_a_gigabyte_is_refused_before_reading() -> None:
    claims = head("application/json", length=1024**3) + b'{"chatSessions":['
    with hostile(dripping(claims, every=10.0)) as server:
        error = await _list(server.base_url, max_retries=3)
    assert error.code == "resource_exhausted" and "limit" in error.message
    assert "client.max_reply_bytes" in error.hint
    assert server.requests == 1  # a reply too big is not asked for again


async def test_an_endless_chunked_reply_is_refused_while_reading() -> None:
    piece = http_chunk(b'{"id":"' + b"a" * 4000 + b'"},')
    with hostile(endless(head("application/json", chunked=True), piece)) as server:
        error = await _list(server.base_url)
    assert error.code == "resource_exhausted" and "stopped reading" in error.message


async def test_a_connection_reset_names_its_cause() -> None:
    with hostile(resetting) as server:
        error = await _list(server.base_url, max_retries=0)
    assert error.code == "unavailable" and error.transport
    assert "connection reset by the server" in error.message
    assert not error.message.rstrip().endswith(":")
