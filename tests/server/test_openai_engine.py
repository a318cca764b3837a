"""The ``openai`` engine against a real OpenAI-compatible SSE server on loopback."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from apex_tui.server.embedded import EmbeddedServer, bind_socket

from .conftest import chat_body, fast_options, ok, stream
from .upstream import make_upstream


@pytest.fixture
def upstream() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    seen: list[dict[str, Any]] = []
    sock = bind_socket("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(make_upstream(seen), log_config=None, access_log=False))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}", seen
    server.should_exit = True
    thread.join(10)


def bridged(tmp_path: Path, url: str, model: str = "tiny", key: str = "up-key") -> EmbeddedServer:
    return EmbeddedServer(
        fast_options(
            tmp_path, engine="openai", upstream_url=url, upstream_key=key, upstream_model=model
        )
    )


def test_stream_relays_upstream(tmp_path: Path, upstream: tuple[str, list]) -> None:
    url, seen = upstream
    with (
        bridged(tmp_path, url) as server,
        httpx.Client(base_url=server.base_url, headers={"Authorization": "Bearer k"}) as http,
    ):
        result = stream(
            http, chat_body("hello from the bridge", samplingParameters={"maxNewTokens": 9})
        )
        assert result.end == {}
        assert result.text == "hello from the bridge"
        assert result.chunks[-1]["choices"][0]["finishReason"] == "stop"
        assert seen[-1]["max_tokens"] == 9 and seen[-1]["model"] == "tiny"
        unary = ok(http, "ChatCompletion", chat_body("one two"))
        assert unary["choices"][0]["message"]["content"] == "one two"
        web = stream(http, chat_body("What is Bittensor?", task="WebRetrievalTask"))
        assert web.end == {}
        assert seen[-1]["messages"][0]["role"] == "system"
        assert "[1] https://corpus.apex-tui.local/bittensor" in seen[-1]["messages"][0]["content"]


def test_upstream_errors_become_connect_errors(tmp_path: Path, upstream: tuple[str, list]) -> None:
    url, _ = upstream
    with (
        bridged(tmp_path / "a", url, key="wrong") as server,
        httpx.Client(base_url=server.base_url, headers={"Authorization": "Bearer k"}) as http,
    ):
        result = stream(http, chat_body("hi"))
        assert result.end is not None and result.end["error"]["code"] == "permission_denied"
    with (
        bridged(tmp_path / "b", url, model="missing-model") as server,
        httpx.Client(base_url=server.base_url, headers={"Authorization": "Bearer k"}) as http,
    ):
        reply = http.post("/apex.v1.ApexService/ChatCompletion", json=chat_body("hi"))
        assert reply.status_code == 404
        assert "upstream-model" in reply.json()["message"]
    with (
        bridged(tmp_path / "c", "http://127.0.0.1:9") as server,
        httpx.Client(base_url=server.base_url, headers={"Authorization": "Bearer k"}) as http,
    ):
        result = stream(http, chat_body("hi"))
        assert result.end is not None and result.end["error"]["code"] == "unavailable"


def test_an_endless_answer_is_cut_and_says_so(
    tmp_path: Path, upstream: tuple[str, list], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An upstream that ignores max_tokens cannot fill the server's memory: the answer is
    read up to MAX_REPLY_CHARS (made small here), then finishes as "length"."""
    monkeypatch.setattr("apex_tui.server.upstream.MAX_REPLY_CHARS", 20)
    url, _ = upstream
    words = " ".join(f"word{i}" for i in range(200))
    with (
        bridged(tmp_path, url) as server,
        httpx.Client(base_url=server.base_url, headers={"Authorization": "Bearer k"}) as http,
    ):
        unary = ok(http, "ChatCompletion", chat_body(words))
        choice = unary["choices"][0]
        assert choice["finishReason"] == "length"
        assert 20 < len(choice["message"]["content"]) < 40
        streamed = stream(http, chat_body(words))
        assert streamed.end == {} and 20 < len(streamed.text) < 40
        assert streamed.chunks[-1]["choices"][0]["finishReason"] == "length"
