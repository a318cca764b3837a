"""Each injected fault, by header and by EmbeddedServer.inject_fault."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from apex_tui.api.protocol import EnvelopeDecoder, EnvelopeError
from apex_tui.server.embedded import EmbeddedServer

from .conftest import chat_body, fast_options, ok, parse_frames, rpc, stream

FAULT = "X-Apex-Fault"


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (401, "unauthenticated"),
        (403, "permission_denied"),
        (429, "resource_exhausted"),
        (500, "internal"),
        (503, "unavailable"),
    ],
)
def test_status_faults(client: httpx.Client, status: int, code: str) -> None:
    reply = rpc(client, "GetChatSessions", {}, **{FAULT: f"status={status};retry-after=2"})
    assert reply.status_code == status
    assert reply.json()["code"] == code
    assert reply.headers["retry-after"] == "2"
    streamed = stream(client, chat_body("hi"), **{FAULT: f"status={status}"})
    assert streamed.status == status


def test_drop_after(client: httpx.Client) -> None:
    result = stream(client, chat_body("Explain TCP"), **{FAULT: "drop-after=3"})
    assert len(result.chunks) == 3
    assert result.end is None
    assert result.error  # httpx saw the connection close mid-body


def test_stall_and_stall_after_still_finish(client: httpx.Client) -> None:
    assert rpc(client, "GetChatSessions", {}, **{FAULT: "stall=0.2"}).status_code == 200
    result = stream(client, chat_body("Explain TCP"), **{FAULT: "stall-after=2:0.2"})
    assert result.end == {}


def test_malformed_json(client: httpx.Client) -> None:
    reply = rpc(client, "GetChatSessions", {}, **{FAULT: "malformed-json"})
    assert reply.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(reply.content)
    result = stream(client, chat_body("hi"), **{FAULT: "malformed-json"})
    frames, _ = parse_frames(result.raw)
    with pytest.raises(json.JSONDecodeError):
        json.loads(frames[0][1])


def test_bad_envelope(client: httpx.Client) -> None:
    result = stream(client, chat_body("hi"), **{FAULT: "bad-envelope"})
    decoder = EnvelopeDecoder()
    with pytest.raises(EnvelopeError):
        list(decoder.feed(result.raw))


def test_oversized(client: httpx.Client) -> None:
    result = stream(client, chat_body("hi"), **{FAULT: "oversized=2000000"})
    decoder = EnvelopeDecoder(max_message_bytes=1_000_000)
    with pytest.raises(EnvelopeError):
        list(decoder.feed(result.raw))
    reply = rpc(client, "GetChatSessions", {}, **{FAULT: "oversized=2000000"})
    assert len(reply.content) > 2_000_000
    assert reply.json()["padding"]


def test_error_end(client: httpx.Client) -> None:
    result = stream(
        client, chat_body("Explain TCP"), **{FAULT: "error-end=resource_exhausted;after=2"}
    )
    assert len(result.chunks) == 2
    assert result.end == {
        "error": {
            "code": "resource_exhausted",
            "message": "injected fault: stream ended with resource_exhausted",
        }
    }
    unary = rpc(client, "GetChatSessions", {}, **{FAULT: "error-end=unavailable"})
    assert unary.status_code == 503


def test_bad_spec_is_invalid_argument(client: httpx.Client) -> None:
    reply = rpc(client, "GetChatSessions", {}, **{FAULT: "explode=1"})
    assert reply.status_code == 400
    assert "unknown fault item" in reply.json()["message"]


def test_inject_fault_queue(server: EmbeddedServer, client: httpx.Client) -> None:
    server.inject_fault("status=503", method="GetChatSessions", times=2)
    assert rpc(client, "WebRetrieval", {"search_query": "tcp"}).status_code == 200
    assert rpc(client, "GetChatSessions", {}).status_code == 503
    assert rpc(client, "GetChatSessions", {}).status_code == 503
    assert rpc(client, "GetChatSessions", {}).status_code == 200
    server.inject_fault("drop-after=1")
    assert stream(client, chat_body("hi")).end is None
    assert stream(client, chat_body("hi")).end == {}


def test_faults_off_by_default(tmp_path: Path) -> None:
    with (
        EmbeddedServer(fast_options(tmp_path, faults_enabled=False)) as server,
        httpx.Client(base_url=server.base_url, headers={"Authorization": "Bearer k"}) as http,
    ):
        assert ok(http, "GetChatSessions", {}, **{FAULT: "status=500"}) == {}
        with pytest.raises(RuntimeError):
            server.inject_fault("status=500")
