"""Connect wire rules: routing, content types, decoding strictness, auth, canonical output."""

from __future__ import annotations

from pathlib import Path

import httpx

from apex_tui.server.embedded import EmbeddedServer

from .conftest import KEY, SERVICE, fast_options, ok, rpc


def test_unknown_method_is_404_unimplemented(client: httpx.Client) -> None:
    reply = rpc(client, "NoSuchMethod", {})
    assert reply.status_code == 404
    assert reply.json()["code"] == "unimplemented"
    assert client.post("/elsewhere", json={}).status_code == 404


def test_non_post_is_405_with_allow(client: httpx.Client) -> None:
    reply = client.get(f"{SERVICE}/GetChatSessions")
    assert reply.status_code == 405
    assert reply.headers["allow"] == "POST"


def test_wrong_content_type_is_415(client: httpx.Client) -> None:
    reply = client.post(
        f"{SERVICE}/GetChatSessions", content=b"{}", headers={"Content-Type": "text/plain"}
    )
    assert reply.status_code == 415
    # plain JSON to the streaming method, and connect+json to a unary one, are both refused
    assert rpc(client, "ChatCompletionStream", {}).status_code == 415
    reply = client.post(
        f"{SERVICE}/GetChatSessions",
        content=b"{}",
        headers={"Content-Type": "application/connect+json"},
    )
    assert reply.status_code == 415
    charset = rpc(
        client, "GetChatSessions", {}, **{"Content-Type": "application/json; charset=utf-8"}
    )
    assert charset.status_code == 200


def test_undecodable_bodies_are_invalid_argument(client: httpx.Client) -> None:
    for body in (b"", b"{not json", b"[1, 2]", b'"text"', b"\xff\xfe{}"):
        reply = rpc(client, "GetChatSessions", body)
        assert reply.status_code == 400, body
        error = reply.json()
        assert error["code"] == "invalid_argument"
        assert error["message"]
    empty = rpc(client, "GetCompletionsWithDeepResearcherEntry", b"")
    assert empty.status_code == 400
    assert "empty request body" in empty.json()["message"]


def test_field_given_twice_is_rejected(client: httpx.Client) -> None:
    both_names = rpc(client, "GetChatSessions", b'{"chatType": "apex", "chat_type": "apex"}')
    assert both_names.status_code == 400
    assert "duplicate" in both_names.json()["message"]
    same_key = rpc(client, "GetChatSessions", b'{"chatType": "apex", "chatType": "gravity"}')
    assert same_key.status_code == 400
    assert "duplicate" in same_key.json()["message"]


def test_wrong_field_types_are_invalid_argument(client: httpx.Client) -> None:
    reply = rpc(client, "WebRetrieval", {"search_query": "tcp", "n_results": "many"})
    assert reply.status_code == 400
    assert "n_results" in reply.json()["message"] or "nResults" in reply.json()["message"]
    reply = rpc(client, "DeleteChats", {"chat_ids": "not-a-list"})
    assert reply.status_code == 400


def test_both_spellings_and_unknown_fields(client: httpx.Client) -> None:
    created = ok(
        client,
        "CreateChatAndCompletion",
        {"userPrompt": "camel case", "chatType": "apex", "completionType": "basic", "extra": 1},
    )
    chat_id = created["parsedChat"]["id"]
    snake = ok(client, "GetStoredChatCompletions", {"chat_id": chat_id, "ignored_field": True})
    camel = ok(client, "GetStoredChatCompletions", {"chatId": chat_id})
    assert snake == camel
    assert snake["chatCompletions"][0]["userPromptText"] == "camel case"


def test_int64_accepted_as_string_or_number_and_emitted_as_string(client: httpx.Client) -> None:
    for max_tokens in (12, "12"):
        for seed in (5, "5"):
            data = ok(
                client,
                "ChatCompletion",
                {
                    "messages": [{"role": "user", "content": "Explain TCP"}],
                    "seed": seed,
                    "samplingParameters": {"maxNewTokens": max_tokens},
                },
            )
            assert isinstance(data["created"], str) and data["created"].isdigit()
            assert data["usage"]["completionTokens"] == "12"
            assert data["choices"][0]["finishReason"] == "length"
            assert "index" not in data["choices"][0]  # default omitted


def test_canonical_output(client: httpx.Client) -> None:
    created = ok(client, "CreateChatAndCompletion", {"user_prompt": "hi", "chat_type": "apex"})
    chat = created["parsedChat"]
    assert chat["createdAt"].endswith("Z")
    completion = created["parsedCompletion"]
    assert completion["metadata"] == {}  # message field set → emitted even when empty
    assert "completionText" not in completion  # implicit presence, default → omitted


def test_missing_or_wrong_key_is_401(server: EmbeddedServer) -> None:
    with httpx.Client(base_url=server.base_url) as anonymous:
        reply = rpc(anonymous, "GetChatSessions", {})
        assert reply.status_code == 401
        assert reply.json()["code"] == "unauthenticated"
        bad_scheme = rpc(anonymous, "GetChatSessions", {}, Authorization="Basic abc")
        assert bad_scheme.status_code == 401
        empty = rpc(anonymous, "GetChatSessions", {}, Authorization="Bearer")
        assert empty.status_code == 401


def test_configured_keys_only(tmp_path: Path) -> None:
    with (
        EmbeddedServer(fast_options(tmp_path, api_keys=["alpha", "beta"])) as server,
        httpx.Client(base_url=server.base_url) as http,
    ):
        assert rpc(http, "GetChatSessions", {}, Authorization="Bearer alpha").status_code == 200
        assert rpc(http, "GetChatSessions", {}, Authorization="Bearer beta").status_code == 200
        wrong = rpc(http, "GetChatSessions", {}, Authorization=f"Bearer {KEY}")
        assert wrong.status_code == 401
        assert "invalid API key" in wrong.json()["message"]
        assert KEY not in wrong.text


def test_timeout_and_protocol_headers(client: httpx.Client) -> None:
    bad = rpc(client, "GetChatSessions", {}, **{"Connect-Timeout-Ms": "12345678901"})
    assert bad.status_code == 400
    assert rpc(client, "GetChatSessions", {}, **{"Connect-Timeout-Ms": "5000"}).status_code == 200
    version = rpc(client, "GetChatSessions", {}, **{"Connect-Protocol-Version": "2"})
    assert version.status_code == 400
    assert (
        rpc(client, "GetChatSessions", {}, **{"Connect-Protocol-Version": "1"}).status_code == 200
    )


def test_body_size_limit(tmp_path: Path) -> None:
    with (
        EmbeddedServer(fast_options(tmp_path, max_body_bytes=1000)) as server,
        httpx.Client(base_url=server.base_url, headers={"Authorization": "Bearer k"}) as http,
    ):
        reply = rpc(http, "CreateChatAndCompletion", {"user_prompt": "x" * 5000})
        assert reply.status_code == 429
        assert reply.json()["code"] == "resource_exhausted"
        assert ok(http, "GetChatSessions", {}) == {}  # nothing half-written


def test_health(client: httpx.Client) -> None:
    data = client.get("/health").json()
    assert data["status"] == "ok"
    assert data["engine"] == "offline"
