"""Chat sync against the real local server: turns stored as Apex stores them, history sent,
interrupted and broken streams still stored (marked)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pytest

from apex_tui.api.client import ApexClient
from apex_tui.api.errors import ApexStreamError
from apex_tui.services.chat_sync import (
    AnswerDelta,
    AnswerEnded,
    ChatSettings,
    ChatSync,
    TurnFinished,
    TurnStarted,
    history_messages,
    title_from_prompt,
)
from apex_tui.services.completion_types import COMPLETION_TYPES, build_chat_request

if TYPE_CHECKING:
    from apex_tui.server.embedded import EmbeddedServer


@pytest.fixture
async def client(apex_server: EmbeddedServer) -> AsyncIterator[ApexClient]:
    async with ApexClient(apex_server.base_url, "k", retry_base_delay=0.01) as c:
        yield c


async def _send(sync: ChatSync, chat_id: str | None, prompt: str, **kw: object) -> list[object]:
    history = await sync.load_turns(chat_id) if chat_id else []
    settings = ChatSettings(**kw)  # type: ignore[arg-type]
    return [e async for e in sync.send(chat_id, prompt, history, settings)]


def test_title_is_first_line_at_most_60_chars() -> None:
    assert title_from_prompt("\n  Hello there  \nmore") == "Hello there"
    long = title_from_prompt("x" * 100)
    assert len(long) == 60 and long.endswith("…")


def test_history_is_sent_oldest_first() -> None:
    from apex_tui.services.chat_sync import Turn

    turns = [Turn("a", "q1", "a1", "basic"), Turn("b", "q2", "", "basic")]
    roles = [(m.role, m.content) for m in history_messages(turns, "q3")]
    assert roles == [("user", "q1"), ("assistant", "a1"), ("user", "q2"), ("user", "q3")]


def test_completion_types_map_to_the_fields_the_server_reads() -> None:
    from apex_tui.server.modes import mode_of

    for name in COMPLETION_TYPES:
        request = build_chat_request(name, history_messages([], "hi"))
        assert mode_of(request).completion_type == name
        assert request.stream is True and request.sampling_parameters is not None


async def test_three_turns_stored_with_history(client: ApexClient) -> None:
    sync = ChatSync(client)
    events = await _send(sync, None, "What is BM25?\nSecond line")
    started = events[0]
    assert isinstance(started, TurnStarted) and started.chat.is_new
    assert started.chat.title == "What is BM25?"
    chat_id = started.chat.id
    streamed = "".join(e.text for e in events if isinstance(e, AnswerDelta))
    finished = events[-1]
    assert isinstance(finished, TurnFinished) and finished.turn.answer == streamed
    # the end of the answer is told before it is stored: once, after the last piece
    ended = [i for i, e in enumerate(events) if isinstance(e, AnswerEnded)]
    assert ended == [len(events) - 2]
    await _send(sync, chat_id, "And how does it rank?", completion_type="reasoning")
    third = await _send(sync, chat_id, "Summarise our conversation")
    assert isinstance(third[0], TurnStarted) and not third[0].chat.is_new
    turns = await sync.load_turns(chat_id)
    assert [t.prompt for t in turns] == [
        "What is BM25?\nSecond line",
        "And how does it rank?",
        "Summarise our conversation",
    ]
    assert all(t.answer and not t.interrupted for t in turns)
    # The offline engine reflects the history it was sent: two earlier turns = four messages.
    assert "conversation of 4 earlier messages" in turns[2].answer
    assert "conversation of 2 earlier messages" in turns[1].answer
    assert turns[1].completion_type == "reasoning"
    assert turns[2].metadata["finish_reason"] and turns[2].metadata["interrupted"] is False
    assert len(await client.get_chat_sessions()) == 1


async def test_cancelled_stream_stores_partial_answer(
    client: ApexClient, apex_server: EmbeddedServer
) -> None:
    apex_server.inject_fault("stall-after=2:60", method="ChatCompletionStream")
    sync = ChatSync(client)
    seen: list[str] = []
    got_text = asyncio.Event()

    async def consume() -> None:
        async for event in sync.send(None, "tell me a long story", [], ChatSettings()):
            if isinstance(event, TurnStarted):
                seen.append(event.chat.id)
            if isinstance(event, AnswerDelta):
                seen.append(event.text)
                if len(seen) == 3:
                    got_text.set()

    task = asyncio.create_task(consume())
    await got_text.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    chat_id, partial = seen[0], "".join(seen[1:])
    (turn,) = await sync.load_turns(chat_id)
    assert turn.answer == partial and partial
    assert turn.interrupted and turn.metadata["interrupted"] is True


async def test_broken_stream_is_stored_marked_and_reraised(
    client: ApexClient, apex_server: EmbeddedServer
) -> None:
    apex_server.inject_fault("drop-after=2", method="ChatCompletionStream")
    sync = ChatSync(client)
    events: list[object] = []
    with pytest.raises(ApexStreamError):
        async for event in sync.send(None, "hello", [], ChatSettings()):
            events.append(event)
    finished = events[-1]
    assert isinstance(finished, TurnFinished)
    assert finished.turn.interrupted and "stream" in finished.turn.error
    assert not [e for e in events if isinstance(e, AnswerEnded)]  # it broke: it did not end
    started = events[0]
    assert isinstance(started, TurnStarted)
    (turn,) = await sync.load_turns(started.chat.id)
    deltas = "".join(e.text for e in events if isinstance(e, AnswerDelta))
    assert turn.answer == deltas and turn.interrupted


async def test_web_search_turn_records_its_sources(client: ApexClient) -> None:
    sync = ChatSync(client)
    events = await _send(sync, None, "retry after rate limiting", completion_type="web-search")
    finished = events[-1]
    assert isinstance(finished, TurnFinished)
    sources = finished.turn.metadata.get("sources")
    assert sources and all(s["url"] for s in sources)


async def test_regenerate_keeps_the_old_turn_as_a_branch(client: ApexClient) -> None:
    sync = ChatSync(client)
    events = await _send(sync, None, "hi", seed=1)
    chat_id = events[0].chat.id  # type: ignore[attr-defined]
    tree = await sync.load_tree(chat_id)
    (old,) = tree.path()
    place = tree.place_after(tree.parent_of(old.completion_id))
    assert place.rank == 1 and place.record_now
    async for _ in sync.regenerate(chat_id, old, [], ChatSettings(seed=2), place):
        pass
    tree = await sync.load_tree(chat_id)
    (new,) = tree.path()
    assert new.completion_id != old.completion_id and new.prompt == "hi"
    assert [t.completion_id for t in tree.siblings(new.completion_id)] == [
        old.completion_id,
        new.completion_id,
    ]
    assert new.metadata["parentCompletionId"] == "" and new.metadata["branchRank"] == 1
    # choosing the old branch is stored: a fresh read shows it
    await sync.choose_branch(tree.choose(old.completion_id))
    assert [t.completion_id for t in (await sync.load_tree(chat_id)).path()] == [old.completion_id]


async def test_a_fork_is_recorded_before_its_answer_streams(
    client: ApexClient, apex_server: EmbeddedServer
) -> None:
    """Another client reading the chat while a branch streams already sees it in its place."""
    sync = ChatSync(client)
    events = await _send(sync, None, "first", seed=1)
    chat_id = events[0].chat.id  # type: ignore[attr-defined]
    await _send(sync, chat_id, "second", seed=1)
    tree = await sync.load_tree(chat_id)
    first, _second = tree.path()
    place = tree.place_after(None)  # an edit of "first": beside it
    apex_server.inject_fault("stall-after=1:30", method="ChatCompletionStream")
    events = sync.send(chat_id, "first, edited", [], ChatSettings(), place=place)
    async for event in events:
        if isinstance(event, AnswerDelta):  # streaming (and stalled): read it from elsewhere
            break
    async with ApexClient(apex_server.base_url, "k") as other:
        tree = await ChatSync(other).load_tree(chat_id)
    await events.aclose()  # stored as interrupted
    edited = tree.path()[0]
    assert edited.prompt == "first, edited" and len(tree.path()) == 1
    assert [t.prompt for t in tree.siblings(edited.completion_id)] == ["first", "first, edited"]
    assert first.completion_id in tree and not edited.answer


def test_settings_from_config_with_overrides() -> None:
    from apex_tui.services.chat_sync import ChatSettings
    from apex_tui.services.config import Config

    config = Config()
    config.defaults.temperature = 0.3
    config.search.n_results = 2
    settings = ChatSettings.from_config(config, seed=9, top_p=None)
    assert (settings.temperature, settings.seed, settings.search_results) == (0.3, 9, 2)
    assert settings.top_p == config.defaults.top_p
    with pytest.raises(TypeError, match="no field"):
        ChatSettings.from_config(config, colour="red")
