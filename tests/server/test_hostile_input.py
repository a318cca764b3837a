"""Bad input over real HTTP gets a Connect error naming what to fix, never a 500: deep JSON,
lone surrogates, out-of-range integers, NULs, hostile metadata, gzip bombs, huge searches, a
wrong protocol version on the stream (issue 13)."""

from __future__ import annotations

import gzip
import json
import threading
import tracemalloc
import zlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from apex_tui.api.models import METHODS
from apex_tui.api.protocol import ConnectError
from apex_tui.server.asgi import decompress
from apex_tui.server.embedded import EmbeddedServer
from apex_tui.server.validation import MAX_METADATA_BYTES
from apex_tui.server.websearch import SEARCH_THREADS

from .conftest import KEY, SERVICE, chat_body, envelope, fast_options, ok, rpc, stream


def _refused(reply: httpx.Response, *words: str) -> str:
    assert reply.status_code == 400, reply.text
    error = reply.json()
    assert error["code"] == "invalid_argument"
    for word in words:
        assert word in error["message"], error["message"]
    message: str = error["message"]
    return message


def _chat(http: httpx.Client) -> tuple[str, str]:
    created = ok(http, "CreateChatAndCompletion", {"user_prompt": "hostile", "title": "t"})
    return created["parsedChat"]["id"], created["parsedCompletion"]["id"]


def test_json_nested_ten_thousand_deep_is_refused_by_every_method(client: httpx.Client) -> None:
    deep = b'{"a":' + b"[" * 10_000 + b"]" * 10_000 + b"}"
    for method in METHODS:
        if method == "ChatCompletionStream":
            result = stream(client, envelope(deep))
            assert result.status == 200 and result.end is not None, method
            assert result.end["error"]["code"] == "invalid_argument"
            assert "deeper than" in result.end["error"]["message"]
        else:
            _refused(rpc(client, method, deep), "deeper than")
    # nesting that fits is still fine (a 60-deep metadata value is refused by its own limit)
    assert ok(client, "GetChatSessions", {"chatType": ""}) is not None


def test_lone_surrogates_are_refused_naming_the_field(client: httpx.Client) -> None:
    body = b'{"userPrompt": "a\\ud800b", "title": "fine"}'
    _refused(rpc(client, "CreateChatAndCompletion", body), "userPrompt", "surrogate")
    result = stream(client, envelope(b'{"messages":[{"role":"user","content":"x\\udfffy"}]}'))
    assert result.end is not None
    assert result.end["error"]["code"] == "invalid_argument"
    assert "messages[0].content" in result.end["error"]["message"]
    # a proper pair is one character, not an error
    pair = ok(client, "CreateChatAndCompletion", {"userPrompt": "clef \U0001d11e"})
    assert pair["parsedCompletion"]["userPromptText"] == "clef \U0001d11e"


def test_integers_out_of_range_are_refused_naming_the_field(client: httpx.Client) -> None:
    messages = [{"role": "user", "content": "q"}]
    for seed in (1180591620717411303424, 1e300, "9" * 401, -(2**63) - 1):
        body = json.dumps({"messages": messages, "seed": seed}).encode()
        _refused(rpc(client, "SubmitDeepResearcherJob", body), "seed", "int64")
    many_digits = b'{"searchQuery": "tcp", "maxResponseTime": ' + b"7" * 401 + b"}"
    _refused(rpc(client, "WebRetrieval", many_digits), "maxResponseTime")
    _refused(rpc(client, "WebRetrieval", b'{"searchQuery": "tcp", "nResults": NaN}'), "NaN")
    # the edge of the range is accepted
    body = json.dumps({"messages": messages, "seed": str(2**63 - 1)}).encode()
    assert rpc(client, "SubmitDeepResearcherJob", body).status_code == 200


def test_nul_in_search_terms_ids_and_titles_is_refused(client: httpx.Client) -> None:
    _refused(
        rpc(client, "SearchChatIdsByPromptAndCompletionText", {"searchTerm": "abc\u0000d"}),
        "search_term",
        "NUL",
    )
    chat_id, _ = _chat(client)
    _refused(
        rpc(client, "UpdateChatAttributes", {"chatId": chat_id, "attributes": {"title": "a\0"}}),
        "attributes.title",
    )
    _refused(rpc(client, "DeleteChats", {"chatIds": [chat_id, "x\0"]}), "chat_ids[1]")
    # prompts may hold one: they are stored and read back as sent
    created = ok(client, "CreateChatAndCompletion", {"userPrompt": "before\0after"})
    assert created["parsedCompletion"]["userPromptText"] == "before\0after"


def test_hostile_metadata_is_refused_before_writing_and_the_chat_stays_readable(
    client: httpx.Client,
) -> None:
    chat_id, completion_id = _chat(client)
    ok(client, "UpdateCompletionAttributes", {"completionId": completion_id, "metadata": {"k": 1}})

    def update(metadata: object) -> httpx.Response:
        body = {"completionId": completion_id, "completionText": "changed", "metadata": metadata}
        return rpc(client, "UpdateCompletionAttributes", body)

    nested: object = "leaf"
    for _ in range(300):
        nested = {"n": nested}
    _refused(update(nested), "deeper than")
    forty: object = "leaf"
    for _ in range(40):
        forty = [forty]
    _refused(update({"deep": forty}), "metadata", "32 levels")
    _refused(update({"big": "x" * (MAX_METADATA_BYTES + 10)}), "metadata", "limit")
    # many small updates cannot grow the merged object past the limit either
    half = "y" * (MAX_METADATA_BYTES // 2)
    first_half = {"completionId": completion_id, "metadata": {"a": half}}
    ok(client, "UpdateCompletionAttributes", first_half)
    _refused(update({"b": half}), "metadata", "merged")
    stored = ok(client, "GetStoredChatCompletions", {"chatId": chat_id})["chatCompletions"]
    assert "completionText" not in stored[0]  # still empty: no refused write committed
    assert set(stored[0]["metadata"]) == {"k", "a"}


def test_metadata_stored_before_the_limits_does_not_make_a_chat_unreadable(
    server: EmbeddedServer, client: httpx.Client
) -> None:
    chat_id, completion_id = _chat(client)
    deep = '{"n":' * 300 + "1" + "}" * 300
    storage = server.state.storage
    with storage._lock:  # a row as an older server could have written it
        storage._db.execute("UPDATE completions SET metadata=? WHERE id=?", (deep, completion_id))
    stored = ok(client, "GetStoredChatCompletions", {"chatId": chat_id})["chatCompletions"]
    assert "could not be read" in json.dumps(stored[0]["metadata"])
    assert ok(client, "GetChatCompletion", {"completionId": completion_id})["id"] == completion_id


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    """About 64 KB of gzip that inflates to 64 MiB, 16 times the limit (built in pieces)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(1024 * 1024)
    parts = [packer.compress(zeros) for _ in range(64)]
    return b"".join(parts) + packer.flush()


def test_a_gzip_bomb_is_refused_after_the_limit_not_inflated_whole(
    client: httpx.Client, gzip_bomb: bytes
) -> None:
    reply = rpc(client, "GetChatSessions", gzip_bomb, **{"Content-Encoding": "gzip"})
    assert reply.status_code == 429
    assert reply.json()["code"] == "resource_exhausted"
    limit = 4 * 1024 * 1024
    tracemalloc.start()
    try:
        with pytest.raises(ConnectError) as refused:
            decompress(gzip_bomb, "gzip", limit)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert refused.value.code == "resource_exhausted"
    assert peak < 3 * limit  # bounded by the limit, not by the 64 MiB it would inflate to
    # honest compressed bodies still work, in one member or several
    body = gzip.compress(b'{"chatType": ""}')
    assert rpc(client, "GetChatSessions", body, **{"Content-Encoding": "gzip"}).status_code == 200
    two = gzip.compress(b'{"chatType":') + gzip.compress(b' ""}')
    assert rpc(client, "GetChatSessions", two, **{"Content-Encoding": "gzip"}).status_code == 200
    cut = rpc(client, "GetChatSessions", body[:-12], **{"Content-Encoding": "gzip"})
    _refused(cut, "gzip")


def test_searches_abandoned_at_the_deadline_cannot_stall_other_callers(
    server: EmbeddedServer,
) -> None:
    query = "bittensor validators " * 45_000  # ~1 MB (the field limit is 1M characters)
    replies: list[int] = []

    def search() -> None:
        with httpx.Client(base_url=server.base_url, timeout=60) as http:
            body = {"searchQuery": query, "maxResponseTime": 1, "nResults": 5}
            reply = http.post(
                f"{SERVICE}/WebRetrieval",
                content=json.dumps(body).encode(),
                headers={"Content-Type": "application/json", "Authorization": f"Bearer {KEY}"},
            )
            replies.append(reply.status_code)

    workers = [threading.Thread(target=search) for _ in range(8)]
    for worker in workers:
        worker.start()
    with httpx.Client(
        base_url=server.base_url, headers={"Authorization": f"Bearer {KEY}"}, timeout=60
    ) as http:
        sessions = rpc(http, "GetChatSessions", {})
    for worker in workers:
        worker.join()
    assert sessions.status_code == 200
    assert sorted(set(replies)) <= [200, 504]
    assert server.state.searcher.most_running <= SEARCH_THREADS
    assert server.state.searcher.running == 0


def test_the_stream_checks_the_protocol_version_as_unary_calls_do(client: httpx.Client) -> None:
    unary = rpc(client, "GetChatSessions", {}, **{"Connect-Protocol-Version": "2"})
    _refused(unary, "Connect-Protocol-Version")
    result = stream(client, chat_body("hi"), **{"Connect-Protocol-Version": "2"})
    assert result.end is not None and not result.chunks
    assert result.end["error"]["code"] == "invalid_argument"
    assert "Connect-Protocol-Version" in result.end["error"]["message"]
    assert stream(client, chat_body("hi"), **{"Connect-Protocol-Version": "1"}).text


@pytest.fixture
def small_body_server(tmp_path: Path) -> Iterator[EmbeddedServer]:
    with EmbeddedServer(fast_options(tmp_path, max_body_bytes=64 * 1024)) as running:
        yield running


def test_a_body_past_the_limit_is_refused_while_it_is_read(
    small_body_server: EmbeddedServer,
) -> None:
    def chunks() -> Iterator[bytes]:  # no Content-Length: the server must count as it reads
        yield b'{"chatType": "'
        for _ in range(64):
            yield b"x" * 4096
        yield b'"}'

    with httpx.Client(base_url=small_body_server.base_url, timeout=30) as http:
        reply = http.post(
            f"{SERVICE}/GetChatSessions",
            content=chunks(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {KEY}"},
        )
    assert reply.status_code == 429
    assert reply.json()["code"] == "resource_exhausted"
