"""Issue 16: the official macrocosmos SDK (2.1.0) runs unchanged against ``apex-tui serve
--grpc-port``, over real gRPC on loopback; what it makes is what Connect clients read, and the
reverse."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

grpc = pytest.importorskip("grpc")
mc = pytest.importorskip("macrocosmos")

from macrocosmos.generated.apex.v1 import apex_pb2, apex_pb2_grpc  # noqa: E402
from macrocosmos.types import MacrocosmosError  # noqa: E402

from .conftest import chat_body, ok, rpc, stream  # noqa: E402
from .grpc_serve import ServeProcess, start_serve  # noqa: E402

KEY, OTHER_KEY = "alpha-key", "beta-key"
PROMPT = "Compare SQLite and Postgres for a small web app"


@pytest.fixture(scope="module")
def serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    server = start_serve(
        tmp_path_factory.mktemp("grpc-sdk"),
        "--api-key",
        KEY,
        "--api-key",
        OTHER_KEY,
        "--tokens-per-second",
        "0",
        "--research-step-seconds",
        "0.02",
    )
    try:
        yield server
    finally:
        code = server.stop()
    assert code == 0, server.log()
    log = server.log()
    assert KEY not in log and OTHER_KEY not in log  # keys never reach the log
    assert "apex_tui.server.access gRPC " in log  # one line per call, as over Connect


@pytest.fixture
def connect(serve: ServeProcess) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=serve.connect_url, headers={"Authorization": f"Bearer {KEY}"}, timeout=30
    ) as http:
        yield http


@pytest.fixture
def stub(serve: ServeProcess) -> Iterator[Any]:
    """The SDK's own generated stub on a plain channel (the SDK has no stored-chat helpers)."""
    with grpc.insecure_channel(serve.grpc_address) as channel:
        yield apex_pb2_grpc.ApexServiceStub(channel)


def _auth(key: str = KEY) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {key}")]


def _call(stub: Any, method: str, request: Any, key: str = KEY) -> Any:
    """One unary call as the SDK makes them: bearer metadata, gzip-compressed request."""
    return getattr(stub, method)(
        request, metadata=_auth(key), compression=grpc.Compression.Gzip, timeout=30
    )


def _client(serve: ServeProcess, key: str = KEY, **options: Any) -> Any:
    return mc.ApexClient(
        api_key=key, base_url=serve.grpc_address, secure=False, app_name="tests", **options
    )


def _async_client(serve: ServeProcess, key: str = KEY) -> Any:
    return mc.AsyncApexClient(
        api_key=key, base_url=serve.grpc_address, secure=False, app_name="tests"
    )


# --- chat -------------------------------------------------------------------------------------


def test_sync_chat_answers_like_connect(serve: ServeProcess, connect: httpx.Client) -> None:
    response = _client(serve).chat.completions.create(
        messages=[{"role": "user", "content": PROMPT}], seed=7
    )
    assert isinstance(response, apex_pb2.ChatCompletionResponse)
    choice = response.choices[0]
    assert choice.finish_reason == "stop" and choice.message.role == "assistant"
    assert "Offline engine" in choice.message.content
    assert response.object == "chat.completion" and response.id.startswith("chatcmpl-")
    assert response.usage.total_tokens == (
        response.usage.prompt_tokens + response.usage.completion_tokens
    )
    # One implementation: the same request over Connect gets the same answer.
    body = chat_body(PROMPT, seed=7)
    body["samplingParameters"] = {
        "temperature": 0.7,
        "topP": 0.95,
        "maxNewTokens": 4096,
        "doSample": True,
    }
    over_connect = ok(connect, "ChatCompletion", body)
    assert over_connect["choices"][0]["message"]["content"] == choice.message.content


async def test_async_chat_and_a_streamed_answer(serve: ServeProcess, connect: httpx.Client) -> None:
    client = _async_client(serve)
    messages = [
        {"role": "system", "content": "Answer briefly."},
        {"role": "user", "content": "What is Bittensor?"},
    ]
    whole = await client.chat.completions.create(messages=messages, seed=11)
    assert whole.choices[0].message.content
    chunks = [
        chunk
        async for chunk in await client.chat.completions.create(
            messages=messages, seed=11, stream=True
        )
    ]
    assert len(chunks) > 3
    assert all(isinstance(c, apex_pb2.ChatCompletionChunkResponse) for c in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert chunks[-1].usage.completion_tokens > 0
    text = "".join(c.choices[0].delta.content for c in chunks)
    assert text == whole.choices[0].message.content  # streamed = unary, same seed
    body = chat_body("", seed=11, stream=True)
    body["messages"] = messages
    body["samplingParameters"] = {"temperature": 0.7, "topP": 0.95, "maxNewTokens": 4096}
    body["samplingParameters"]["doSample"] = True
    assert stream(connect, body).text == text


def test_a_request_timeout_reaches_the_server(serve: ServeProcess) -> None:
    """The SDK's ``timeout`` is both the gRPC deadline and the request's ``timeout`` field."""
    response = _client(serve, timeout=20).chat.completions.create(
        messages=[{"role": "user", "content": "hello"}]
    )
    assert response.choices[0].message.content


# --- web search and deep research -------------------------------------------------------------


def test_web_search(serve: ServeProcess) -> None:
    response = _client(serve).web_search.search(
        search_query="bittensor validators", n_miners=2, max_results_per_miner=2
    )
    assert isinstance(response, apex_pb2.WebRetrievalResponse)
    assert 1 <= len(response.results) <= 4
    for result in response.results:
        assert result.url.startswith("https://") and result.relevant in result.content


async def test_a_deep_research_job_polled_to_the_end(serve: ServeProcess) -> None:
    client = _async_client(serve)
    job = await client.deep_research.create_job(
        messages=[{"role": "user", "content": "How do Bittensor subnets reward miners?"}],
        seed=42,
    )
    assert job.status == "pending" and job.job_id and job.created_at.endswith("Z")
    seen: list[int] = []
    for _ in range(400):  # research steps are 0.02 s apart: this ends long before the bound
        polled = await client.deep_research.get_job_results(job.job_id)
        seen += [c.seq_id for c in polled.result if c.seq_id > (seen[-1] if seen else 0)]
        if polled.status == "completed":
            break
        assert polled.status in ("pending", "running")
        await asyncio.sleep(0.02)
    assert polled.status == "completed", polled
    assert seen == list(range(1, len(seen) + 1)) == [c.seq_id for c in polled.result]
    final = json.loads(polled.result[-1].chunk)[0]["content"]
    assert final.startswith("# Final Answer")
    assert not polled.HasField("error")


# --- stored chats through the SDK's generated stub ----------------------------------------------


def test_stored_chats_create_update_rename_list_search_delete(stub: Any) -> None:
    created = _call(
        stub,
        "CreateChatAndCompletion",
        apex_pb2.CreateChatAndCompletionRequest(
            user_prompt="How do zebras sleep?", chat_type="apex", completion_type="basic"
        ),
    )
    chat_id, first_id = created.parsed_chat.id, created.parsed_completion.id
    assert created.parsed_chat.title == "How do zebras sleep?"
    assert created.parsed_completion.completion_text == ""
    assert created.parsed_chat.created_at.seconds > 0  # a real Timestamp
    second = _call(
        stub,
        "CreateCompletion",
        apex_pb2.CreateCompletionRequest(
            chat_id=chat_id, user_prompt="And giraffes?", completion_type="reasoning"
        ),
    ).parsed_completion
    update = apex_pb2.UpdateCompletionAttributesRequest(
        completion_id=first_id, completion_text="Standing up, mostly."
    )
    update.metadata.update({"rating": 5, "tags": ["animals"], "deep-researcher": {"jobId": "j1"}})
    updated = _call(stub, "UpdateCompletionAttributes", update).completion
    assert updated.completion_text == "Standing up, mostly."
    assert dict(updated.metadata)["rating"] == 5
    renamed = _call(
        stub,
        "UpdateChatAttributes",
        apex_pb2.UpdateChatAttributesRequest(chat_id=chat_id, attributes={"title": "Zebras"}),
    ).chat
    assert renamed.title == "Zebras" and renamed.updated_at.ToDatetime() >= (
        renamed.created_at.ToDatetime()
    )
    sessions = _call(stub, "GetChatSessions", apex_pb2.GetChatSessionsRequest(chat_type="apex"))
    assert [s.title for s in sessions.chat_sessions if s.id == chat_id] == ["Zebras"]
    found = _call(
        stub,
        "SearchChatIdsByPromptAndCompletionText",
        apex_pb2.SearchChatIdsByPromptAndCompletionTextRequest(search_term="standing"),
    )
    assert list(found.chat_ids) == [chat_id]
    stored = _call(
        stub, "GetStoredChatCompletions", apex_pb2.GetStoredChatCompletionsRequest(chat_id=chat_id)
    )
    assert [c.id for c in stored.chat_completions] == [first_id, second.id]
    one = _call(
        stub, "GetChatCompletion", apex_pb2.GetChatCompletionRequest(completion_id=second.id)
    )
    assert one.user_prompt_text == "And giraffes?" and one.completion_type == "reasoning"
    research = _call(
        stub,
        "GetCompletionsWithDeepResearcherEntry",
        apex_pb2.google_dot_protobuf_dot_empty__pb2.Empty(),
    )
    assert first_id in [c.id for c in research.completions]
    gone = _call(
        stub, "DeleteCompletions", apex_pb2.DeleteCompletionsRequest(completion_ids=[second.id])
    )
    assert gone.success
    assert _call(stub, "DeleteChats", apex_pb2.DeleteChatsRequest(chat_ids=[chat_id])).success
    after = _call(stub, "GetChatSessions", apex_pb2.GetChatSessionsRequest())
    assert chat_id not in [s.id for s in after.chat_sessions]
    with pytest.raises(grpc.RpcError) as missing:
        _call(
            stub,
            "GetStoredChatCompletions",
            apex_pb2.GetStoredChatCompletionsRequest(chat_id=chat_id),
        )
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND


# --- errors -----------------------------------------------------------------------------------


def test_a_wrong_or_missing_key_is_unauthenticated(serve: ServeProcess, stub: Any) -> None:
    with pytest.raises(MacrocosmosError, match="UNAUTHENTICATED"):
        _client(serve, key="not-a-key").chat.completions.create(
            messages=[{"role": "user", "content": "hi"}]
        )
    with pytest.raises(grpc.RpcError) as wrong:
        _call(stub, "GetChatSessions", apex_pb2.GetChatSessionsRequest(), key="not-a-key")
    assert wrong.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "invalid API key" in wrong.value.details()
    with pytest.raises(grpc.RpcError) as missing:
        stub.GetChatSessions(apex_pb2.GetChatSessionsRequest(), timeout=30)
    assert missing.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "Authorization: Bearer" in missing.value.details()


def test_a_bad_argument_is_invalid_argument_as_over_connect(
    serve: ServeProcess, stub: Any, connect: httpx.Client
) -> None:
    with pytest.raises(MacrocosmosError, match="INVALID_ARGUMENT"):
        _client(serve).web_search.search(search_query="tcp", n_miners=0)
    with pytest.raises(grpc.RpcError) as bad:
        _call(
            stub,
            "ChatCompletion",
            apex_pb2.ChatCompletionRequest(messages=[apex_pb2.ChatMessage(role="robot")]),
        )
    assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    over_connect = rpc(connect, "ChatCompletion", {"messages": [{"role": "robot"}]})
    assert over_connect.status_code == 400
    assert bad.value.details() == over_connect.json()["message"]  # the same handler said it
    with pytest.raises(grpc.RpcError) as unknown:
        _call(stub, "GetChatCompletion", apex_pb2.GetChatCompletionRequest(completion_id="nope"))
    assert unknown.value.code() == grpc.StatusCode.NOT_FOUND


# --- one store: gRPC and Connect see the same data, per key ------------------------------------


def test_made_over_grpc_read_over_connect(stub: Any, connect: httpx.Client) -> None:
    created = _call(
        stub,
        "CreateChatAndCompletion",
        apex_pb2.CreateChatAndCompletionRequest(
            user_prompt="Made over gRPC", chat_type="gravity", title="From the SDK"
        ),
    )
    update = apex_pb2.UpdateCompletionAttributesRequest(
        completion_id=created.parsed_completion.id, completion_text="grpc answer"
    )
    update.metadata.update({"count": 2, "ratio": 0.5, "nested": {"ok": True, "none": None}})
    _call(stub, "UpdateCompletionAttributes", update)
    chats = ok(connect, "GetChatSessions", {"chatType": "gravity"})["chatSessions"]
    assert [c["title"] for c in chats if c["id"] == created.parsed_chat.id] == ["From the SDK"]
    reply = rpc(connect, "GetStoredChatCompletions", {"chatId": created.parsed_chat.id})
    assert '"count":2,' in reply.text  # a whole number stays one (Struct numbers are doubles)
    completion = reply.json()["chatCompletions"][0]
    assert completion["completionText"] == "grpc answer"
    assert completion["metadata"] == {
        "count": 2,
        "ratio": 0.5,
        "nested": {"ok": True, "none": None},
    }
    created_at = created.parsed_chat.created_at.ToJsonString()
    assert ok(connect, "GetChatSessions", {})["chatSessions"][0]["createdAt"] == created_at


def test_made_over_connect_read_over_grpc(stub: Any, connect: httpx.Client) -> None:
    made = ok(
        connect,
        "CreateChatAndCompletion",
        {"userPrompt": "Made over Connect", "chatType": "apex", "completionType": "basic"},
    )
    completion_id = made["parsedCompletion"]["id"]
    ok(
        connect,
        "UpdateCompletionAttributes",
        {"completionId": completion_id, "completionText": "connect answer", "metadata": {"n": 3}},
    )
    stored = _call(
        stub, "GetChatCompletion", apex_pb2.GetChatCompletionRequest(completion_id=completion_id)
    )
    assert stored.completion_text == "connect answer"
    assert stored.user_prompt_text == "Made over Connect"
    assert dict(stored.metadata) == {"n": 3}
    assert stored.created_at.ToJsonString() == made["parsedCompletion"]["createdAt"]
    # another key sees none of it, over either front end
    with pytest.raises(grpc.RpcError) as hidden:
        _call(
            stub,
            "GetChatCompletion",
            apex_pb2.GetChatCompletionRequest(completion_id=completion_id),
            key=OTHER_KEY,
        )
    assert hidden.value.code() == grpc.StatusCode.NOT_FOUND
    others = _call(stub, "GetChatSessions", apex_pb2.GetChatSessionsRequest(), key=OTHER_KEY)
    assert made["parsedChat"]["id"] not in [s.id for s in others.chat_sessions]


# --- the documented examples, unchanged --------------------------------------------------------

EXAMPLES = Path(__file__).parent / "sdk_examples"


def test_the_documented_examples_run_unchanged(tmp_path: Path) -> None:
    """The docs' chat and deep-research submit examples, pointed at the server only through
    the SDK's environment variables (they carry a placeholder key: a server without
    ``--api-key`` accepts any)."""
    server = start_serve(tmp_path, "--tokens-per-second", "0")
    env = {"MACROCOSMOS_BASE_URL": server.grpc_address, "MACROCOSMOS_USE_HTTPS": "false"}
    try:
        runs = {
            name: subprocess.run(
                [sys.executable, str(EXAMPLES / name)],
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            for name in ("quickstart_chat.py", "deep_research_submit.py")
        }
    finally:
        assert server.stop() == 0
    for name, done in runs.items():
        assert done.returncode == 0, f"{name}: {done.stderr}"
    chat = runs["quickstart_chat.py"].stdout
    assert 'finish_reason: "stop"' in chat and "cosmonaut" in chat
    assert 'status: "pending"' in runs["deep_research_submit.py"].stdout
