"""ChatCompletionStream and the offline engine: envelopes, determinism, types, shutdown."""

from __future__ import annotations

import asyncio
import threading
import time
import types
from pathlib import Path

import httpx
import pytest

from apex_tui.api import models as m
from apex_tui.server.embedded import EmbeddedServer
from apex_tui.server.engines.offline import OfflineEngine
from apex_tui.server.modes import mode_of
from apex_tui.server.websearch import WebSearcher

from .conftest import chat_body, envelope, fast_options, ok, stream


def test_stream_ends_with_empty_end_envelope(client: httpx.Client) -> None:
    result = stream(client, chat_body("What is Bittensor?", stream=True))
    assert result.status == 200
    assert result.end == {}
    assert len(result.chunks) >= 2  # the answer, then the finish reason and usage
    first = result.chunks[0]["choices"][0]
    assert first["delta"]["role"] == "assistant"
    assert result.chunks[-1]["choices"][0]["finishReason"] == "stop"
    assert "Offline engine" in result.text
    assert "Bittensor" in result.text
    assert all(c["object"] == "chat.completion.chunk" for c in result.chunks)


def test_stream_errors_arrive_in_end_envelope(server: EmbeddedServer, client: httpx.Client) -> None:
    bad = stream(client, chat_body("", stream=True))
    assert bad.status == 200 and bad.chunks == []
    assert bad.end is not None and bad.end["error"]["code"] == "invalid_argument"
    garbage = stream(client, envelope(b"{oops"))
    assert garbage.end is not None and garbage.end["error"]["code"] == "invalid_argument"
    with httpx.Client(base_url=server.base_url) as anonymous:
        denied = stream(anonymous, chat_body("hi"))
        assert denied.end is not None and denied.end["error"]["code"] == "unauthenticated"


def test_seed_makes_answers_repeatable(client: httpx.Client) -> None:
    body = chat_body("Compare SQLite vs BM25 ranking", seed="99")
    one, two = stream(client, body).text, stream(client, body).text
    assert one == two
    unary = ok(client, "ChatCompletion", body)["choices"][0]["message"]["content"]
    assert unary == one
    assert "| | SQLite | BM25 ranking |" in one  # a comparison asks for a table


def test_max_new_tokens_is_honoured(client: httpx.Client) -> None:
    body = chat_body("Explain HTTP/2", samplingParameters={"maxNewTokens": "30"})
    result = stream(client, body)
    assert len(result.text.split()) == 30
    assert result.chunks[-1]["choices"][0]["finishReason"] == "length"


def test_code_and_conversation_are_reflected(client: httpx.Client) -> None:
    body = {
        "messages": [
            {"role": "user", "content": "I am learning Go."},
            {"role": "assistant", "content": "Great, Go has goroutines."},
            {"role": "user", "content": "Write a golang function using goroutines"},
        ]
    }
    text = stream(client, body).text
    assert "```go" in text
    assert "2 earlier messages" in text
    assert "I am learning Go." in text


def test_completion_types(client: httpx.Client) -> None:
    web = stream(client, chat_body("What is Bittensor?", task="WebRetrievalTask")).text
    assert "[1]" in web and "### Sources" in web
    cot = stream(client, chat_body("Why use SQLite?", inference_mode="Chain-of-Thought")).text
    assert cot.index("### Thinking it through") < cot.index("### Answer")
    reasoning = stream(client, chat_body("Why use SQLite?", inference_mode="Reasoning-Fast")).text
    assert "### Reasoning" in reasoning
    combined = stream(
        client,
        chat_body("What is Bittensor?", task="WebRetrievalTask", inference_mode="Chain-of-Thought"),
    ).text
    assert "### Thinking it through" in combined and "[1]" in combined


def test_long_answer_fills_the_budget(client: httpx.Client) -> None:
    body = chat_body("Write a long detailed essay about decentralized AI", maxNewTokens=1)
    body["sampling_parameters"] = {"max_new_tokens": 5000}
    text = stream(client, body).text
    tokens = len(text.split())
    assert 4000 < tokens <= 5000
    assert text.count("```") >= 4 and "| --- |" in text and "\n- " in text


def test_shutdown_ends_open_stream_cleanly(tmp_path: Path) -> None:
    server = EmbeddedServer(fast_options(tmp_path, tokens_per_second=50))
    server.start()
    result: dict[str, object] = {}

    def run() -> None:
        with httpx.Client(base_url=server.base_url, headers={"Authorization": "Bearer k"}) as h:
            result["stream"] = stream(h, chat_body("Write a long detailed essay about TCP"))

    reader = threading.Thread(target=run)
    reader.start()
    deadline = time.monotonic() + 10
    while server.state.active_streams == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    server.stop()
    reader.join(10)
    got = result["stream"]
    assert got.end is not None, got  # type: ignore[attr-defined]
    assert got.end["error"]["code"] == "unavailable"  # type: ignore[attr-defined]
    assert "shutting down" in got.end["error"]["message"]  # type: ignore[attr-defined]
    assert got.chunks  # type: ignore[attr-defined]


def test_the_engine_writes_small_pieces_and_the_stream_carries_them_all(
    client: httpx.Client,
) -> None:
    """The offline engine makes an answer in pieces of 1-3 tokens, as a model would; the
    stream may merge pieces that come close together (server/coalesce.py) but carries all."""
    body = chat_body("Explain TCP", seed="3")
    request = m.ChatCompletionRequest.model_validate(body)

    async def pieces() -> list[str]:
        engine = OfflineEngine(WebSearcher(), tokens_per_second=0)
        events = engine.stream(request, mode_of(request))
        return [event async for event in events if isinstance(event, str)]

    made = asyncio.run(pieces())
    assert len(made) > 20
    assert max(len(piece.split()) for piece in made) <= 3
    assert stream(client, body).text == "".join(made)


def test_sources_sent_by_the_client_are_cited_as_given(client: httpx.Client) -> None:
    """Attached results reach the answer with the client's numbering; no second search."""
    sources = (
        "Answer using these web search results. Cite them by number, like [1].\n\n"
        "[1] https://example.org/first\nThe first passage talks about lighthouses.\n\n"
        "[2] https://example.org/second\nThe second passage talks about tide tables."
    )
    for extra in ({"task": "WebRetrievalTask"}, {}):
        body = chat_body("What is Bittensor?", **extra)
        body["messages"].insert(0, {"role": "system", "content": sources})
        text = stream(client, body).text
        assert "https://example.org/first" in text and "https://example.org/second" in text
        assert "[2]" in text
        assert "corpus.apex-tui.local" not in text


def test_the_engine_keeps_its_rate_with_few_sleeps(monkeypatch: pytest.MonkeyPatch) -> None:
    """At 2,000 tokens/s the engine sleeps once it is PACE_STEP ahead, not once a piece, and
    ends on time (a clock that moves only when it sleeps: nothing here depends on timing)."""
    from apex_tui.server.engines import offline
    from apex_tui.server.engines.base import Finish

    now = [0.0]
    sleeps: list[float] = []

    async def sleep(delay: float) -> None:
        sleeps.append(delay)
        now[0] += max(0.0, delay)

    clock = types.SimpleNamespace(time=lambda: now[0])
    fake = types.SimpleNamespace(
        sleep=sleep, get_running_loop=lambda: clock, to_thread=asyncio.to_thread
    )
    monkeypatch.setattr(offline, "asyncio", fake)
    body = chat_body(
        "Write a long detailed essay on TCP", samplingParameters={"maxNewTokens": "4000"}
    )
    request = m.ChatCompletionRequest.model_validate(body)

    async def run() -> int:
        engine = OfflineEngine(WebSearcher(), tokens_per_second=2000)
        events = [event async for event in engine.stream(request, mode_of(request))]
        finish = events[-1]
        assert isinstance(finish, Finish)
        return finish.completion_tokens

    tokens = asyncio.run(run())
    assert tokens > 3_000
    timed = [delay for delay in sleeps if delay > 0]
    assert all(delay >= offline.PACE_STEP for delay in timed)
    assert len(timed) <= tokens / 2000 / offline.PACE_STEP + 2  # ~200 a second, not ~1,000
    assert now[0] == pytest.approx(tokens / 2000, abs=offline.PACE_STEP)
