"""The real ApexClient against the real local server on loopback: every RPC, errors, retries,
and the stream's failure modes (faults come from the server's fault injection)."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import TYPE_CHECKING

import pytest

from apex_tui.api.client import ApexClient
from apex_tui.api.errors import (
    ApexError,
    ApexProtocolError,
    ApexStreamError,
    ApexStreamProtocolError,
)
from apex_tui.api.models import ChatCompletionRequest, ChatMessage, WebRetrievalRequest

if TYPE_CHECKING:
    from apex_tui.server.embedded import EmbeddedServer


def _client(base_url: str, key: str = "test-key", **options: object) -> ApexClient:
    options.setdefault("retry_base_delay", 0.01)
    options.setdefault("retry_after_cap", 0.05)
    return ApexClient(base_url, key, **options)  # type: ignore[arg-type]


@pytest.fixture
async def client(apex_server: EmbeddedServer) -> AsyncIterator[ApexClient]:
    async with _client(apex_server.base_url) as c:
        yield c


def _request(prompt: str = "Explain TCP slow start briefly") -> ChatCompletionRequest:
    return ChatCompletionRequest(messages=[ChatMessage(role="user", content=prompt)])


async def test_stored_chat_rpcs_round_trip(client: ApexClient) -> None:
    created = await client.create_chat_and_completion("first question", title="First")
    assert created.parsed_chat is not None and created.parsed_completion is not None
    chat_id, completion_id = created.parsed_chat.id, created.parsed_completion.id
    later = await client.create_completion(chat_id, "second question", completion_type="reasoning")
    stored = await client.update_completion_attributes(
        completion_id, completion_text="an answer about zebras", metadata={"model": "m"}
    )
    assert stored.completion_text == "an answer about zebras"
    assert (stored.metadata or {}).get("model") == "m"
    completions = await client.get_stored_chat_completions(chat_id)
    assert [c.id for c in completions] == [completion_id, later.id]
    assert (await client.get_chat_completion(later.id)).completion_type == "reasoning"
    assert chat_id in await client.search_chat_ids("ZEBRAS")
    renamed = await client.update_chat_attributes(chat_id, title="Renamed")
    assert renamed.title == "Renamed"
    assert [s.title for s in await client.get_chat_sessions("apex")] == ["Renamed"]
    assert await client.get_chat_sessions("gravity") == []
    assert await client.delete_completions([later.id]) is True
    assert len(await client.get_stored_chat_completions(chat_id)) == 1
    assert await client.delete_chats([chat_id]) is True
    assert await client.get_chat_sessions() == []
    assert await client.get_completions_with_deep_researcher_entry() == []


async def test_stream_yields_text_and_ends_cleanly(client: ApexClient) -> None:
    chunks = [c async for c in client.chat_completion_stream(_request())]
    assert len(chunks) > 1
    assert "".join(c.text for c in chunks).strip()


async def test_web_retrieval_returns_ranked_results(client: ApexClient) -> None:
    reply = await client.web_retrieval(
        WebRetrievalRequest(search_query="rate limiting retry after", n_miners=1, n_results=3)
    )
    assert 0 < len(reply.results) <= 3
    assert all(r.url for r in reply.results)


async def test_missing_key_is_unauthenticated_with_a_hint(apex_server: EmbeddedServer) -> None:
    async with _client(apex_server.base_url, key="") as anonymous:
        with pytest.raises(ApexError) as caught:
            await anonymous.get_chat_sessions()
    err = caught.value
    assert (err.code, err.http_status) == ("unauthenticated", 401)
    assert "APEX_API_KEY" in err.hint and "config set api_key" in err.hint
    assert str(err) == f"{err.message} — {err.hint}"


async def test_injected_401_and_403(client: ApexClient, apex_server: EmbeddedServer) -> None:
    apex_server.inject_fault("status=401", method="GetChatSessions")
    with pytest.raises(ApexError) as caught:
        await client.get_chat_sessions()
    assert caught.value.code == "unauthenticated" and "APEX_API_KEY" in caught.value.hint
    apex_server.inject_fault("status=403", method="GetChatSessions")
    with pytest.raises(ApexError) as caught:
        await client.get_chat_sessions()
    assert caught.value.code == "permission_denied"


async def test_429_is_retried_for_a_read(client: ApexClient, apex_server: EmbeddedServer) -> None:
    await client.create_chat_and_completion("hello")
    apex_server.inject_fault("status=429;retry-after=1", method="GetChatSessions", times=2)
    sessions = await client.get_chat_sessions()
    assert len(sessions) == 1


async def test_429_is_not_retried_for_a_create(
    client: ApexClient, apex_server: EmbeddedServer
) -> None:
    apex_server.inject_fault("status=429;retry-after=0", method="CreateChatAndCompletion")
    with pytest.raises(ApexError) as caught:
        await client.create_chat_and_completion("hello")
    assert caught.value.code == "resource_exhausted"
    assert caught.value.http_status == 429 and "retry later" in caught.value.hint
    # Sent once: had it been repeated, the second attempt would have created a chat.
    assert await client.get_chat_sessions() == []


async def test_503_gives_up_after_the_retry_budget(apex_server: EmbeddedServer) -> None:
    apex_server.inject_fault("status=503", method="GetChatSessions", times=3)
    async with _client(apex_server.base_url, max_retries=2) as c:
        with pytest.raises(ApexError) as caught:
            await c.get_chat_sessions()
        assert caught.value.code == "unavailable" and "retry later" in caught.value.hint
        assert await c.get_chat_sessions() == []  # the third fault was the last one


async def test_server_gone_is_a_clear_unavailable_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    async with _client(f"http://127.0.0.1:{port}", max_retries=1) as c:
        with pytest.raises(ApexError) as caught:
            await c.get_chat_sessions()
    err = caught.value
    assert err.code == "unavailable" and err.transport and err.http_status is None
    assert f"127.0.0.1:{port}" in err.message


async def test_unknown_route_reads_as_retired_endpoint(apex_server: EmbeddedServer) -> None:
    async with _client(apex_server.base_url + "/not-apex") as c:
        with pytest.raises(ApexError) as caught:
            await c.get_chat_sessions()
    assert caught.value.http_status == 404
    assert "no longer offers Apex" in caught.value.hint and "apex-tui serve" in caught.value.hint


async def test_malformed_json_is_a_protocol_error(
    client: ApexClient, apex_server: EmbeddedServer
) -> None:
    apex_server.inject_fault("malformed-json", method="GetChatSessions")
    with pytest.raises(ApexProtocolError, match="not JSON"):
        await client.get_chat_sessions()


async def test_oversized_reply_is_refused(apex_server: EmbeddedServer) -> None:
    apex_server.inject_fault("oversized=200000", method="ChatCompletionStream")
    async with _client(apex_server.base_url, max_message_bytes=100_000) as c:
        with pytest.raises(ApexProtocolError, match="limit"):
            async for _ in c.chat_completion_stream(_request()):
                pass


async def test_dropped_stream_keeps_the_partial_text(
    client: ApexClient, apex_server: EmbeddedServer
) -> None:
    apex_server.inject_fault("drop-after=3", method="ChatCompletionStream")
    received: list[str] = []
    with pytest.raises(ApexStreamError) as caught:
        async for chunk in client.chat_completion_stream(_request()):
            received.append(chunk.text)
    assert len(received) == 3
    assert caught.value.partial_text == "".join(received)
    assert caught.value.code == "unavailable"


async def test_bad_envelope_is_a_stream_protocol_error(
    client: ApexClient, apex_server: EmbeddedServer
) -> None:
    apex_server.inject_fault("bad-envelope", method="ChatCompletionStream")
    with pytest.raises(ApexStreamProtocolError) as caught:
        async for _ in client.chat_completion_stream(_request()):
            pass
    assert isinstance(caught.value, ApexProtocolError)


async def test_error_end_envelope_raises_with_partial(
    client: ApexClient, apex_server: EmbeddedServer
) -> None:
    apex_server.inject_fault("error-end=resource_exhausted;after=2", method="ChatCompletionStream")
    received: list[str] = []
    with pytest.raises(ApexStreamError) as caught:
        async for chunk in client.chat_completion_stream(_request()):
            received.append(chunk.text)
    assert caught.value.code == "resource_exhausted"
    assert caught.value.partial_text == "".join(received) and len(received) == 2


async def test_closing_a_stalled_stream_returns_and_the_client_stays_usable(
    client: ApexClient, apex_server: EmbeddedServer
) -> None:
    apex_server.inject_fault("stall-after=1:60", method="ChatCompletionStream")
    async with aclosing(client.chat_completion_stream(_request())) as stream:
        async for chunk in stream:
            assert chunk.text is not None
            break
    # The stalled response was closed (not drained for 60 s); the next call goes through.
    assert await client.get_chat_sessions() == []
