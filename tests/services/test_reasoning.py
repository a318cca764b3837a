"""Reasoning told apart from the answer: the incremental splitter, and what ChatSync streams
and stores when a model reasons (the openai engine against the scripted model server)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from fakes.stack import model_stack

from apex_tui.api.client import ApexClient
from apex_tui.services.chat_sync import (
    AnswerDelta,
    ChatSettings,
    ChatSync,
    ReasoningDelta,
    TurnFinished,
    stored_reasoning,
)
from apex_tui.services.reasoning import Piece, ThinkSplitter, split_reasoning
from apex_tui.services.recovery import RecoveryStore, UnsavedAnswer, restore_unsaved

if TYPE_CHECKING:
    from apex_tui.server.embedded import EmbeddedServer


def test_tags_cut_across_chunks_are_still_found() -> None:
    splitter = ThinkSplitter()
    pieces: list[Piece] = []
    for chunk in ["Hi <th", "ink>plan", " this</thi", "nk>Answer <", "b>x"]:
        pieces += splitter.feed(chunk)
    pieces += splitter.finish()
    reasoning = "".join(p.text for p in pieces if p.reasoning)
    answer = "".join(p.text for p in pieces if not p.reasoning)
    assert (reasoning, answer) == ("plan this", "Hi Answer <b>x")


def test_whole_texts_split_with_or_without_an_opening_tag() -> None:
    assert split_reasoning("<think>a</think>\n\nB") == ("a", "B")
    assert split_reasoning("steps first</think>The answer") == ("steps first", "The answer")
    assert split_reasoning("no reasoning at all") == ("", "no reasoning at all")
    assert split_reasoning("<think>never closed") == ("never closed", "")


@pytest.mark.parametrize("model", ["reasoner", "thinker"])
async def test_reasoning_is_shown_apart_and_stored_in_metadata(tmp_path: Path, model: str) -> None:
    with model_stack(tmp_path, model=model) as stack:
        async with ApexClient(stack.server.base_url, "k", max_retries=0) as client:
            sync = ChatSync(client)
            settings = ChatSettings(completion_type="reasoning", max_new_tokens=64)
            events = [e async for e in sync.send(None, "explain the tides", [], settings)]
            stored = (await sync.load_turns(events[0].chat.id))[0]  # type: ignore[union-attr]
    answer = "".join(e.text for e in events if isinstance(e, AnswerDelta))
    reasoning = "".join(e.text for e in events if isinstance(e, ReasoningDelta))
    expected = "Let me think about it." if model == "reasoner" else "hidden steps"
    assert reasoning == expected
    assert answer == "explain the tides" and "think" not in answer
    finished = next(e for e in events if isinstance(e, TurnFinished)).turn
    assert finished.answer == stored.answer == "explain the tides"
    assert stored.reasoning == expected and stored.metadata["reasoning"] == expected
    # usage and the finish reason come from the upstream
    assert stored.metadata["finish_reason"] == "stop"
    assert stored.metadata["usage"]["prompt_tokens"] == 11
    # the reasoning type told the model to reason
    system = stack.model.calls[-1].body["messages"][0]
    assert system["role"] == "system" and "<think>" in system["content"]


async def test_an_answer_cut_at_the_token_limit_says_so(tmp_path: Path) -> None:
    with model_stack(tmp_path, model="strict") as stack:
        async with ApexClient(stack.server.base_url, "k", max_retries=0) as client:
            settings = ChatSettings(max_new_tokens=3)
            events = [
                e async for e in ChatSync(client).send(None, "one two three four", [], settings)
            ]
    turn = next(e for e in events if isinstance(e, TurnFinished)).turn
    assert turn.answer == "one two three" and turn.finish_reason == "length"
    # "strict" refused stream_options with a 400: asked again without it, so no usage
    assert "stream_options" not in stack.model.calls[-1].body
    assert turn.metadata["usage"]["completion_tokens"] == 3  # counted pieces instead


async def test_an_unsaved_answer_keeps_its_reasoning_and_writes_it_back(tmp_path: Path) -> None:
    store = RecoveryStore(tmp_path / "recovered")
    with model_stack(tmp_path, model="reasoner", faults_enabled=True) as stack:
        async with ApexClient(stack.server.base_url, "k", retry_base_delay=0.01) as client:
            sync = ChatSync(client, recovery=store)
            settings = ChatSettings(completion_type="reasoning", max_new_tokens=64)
            stack.server.inject_fault("status=503", method="UpdateCompletionAttributes", times=10)
            events = [e async for e in sync.send(None, "explain the tides", [], settings)]
            turn = next(e for e in events if isinstance(e, TurnFinished)).turn
            assert not turn.saved and turn.recovery_file
            [kept] = store.pending()
            assert kept.answer == "explain the tides"
            assert kept.metadata["reasoning"] == "Let me think about it."
            stack.server.clear_faults()
            report = await restore_unsaved(client, store)
            assert [a.completion_id for a in report.restored] == [turn.completion_id]
            stored = (await sync.load_turns(events[0].chat.id))[0]  # type: ignore[union-attr]
    assert stored.answer == "explain the tides"
    assert stored.reasoning == "Let me think about it."


async def test_reasoning_alone_is_kept_and_written_back(
    apex_server: EmbeddedServer, tmp_path: Path
) -> None:
    """A stream cut inside the model's reasoning leaves no answer text: still kept."""
    store = RecoveryStore(tmp_path / "recovered")
    async with ApexClient(apex_server.base_url, "k", retry_base_delay=0.01) as client:
        created = await client.create_chat_and_completion("why")
        assert created.parsed_chat and created.parsed_completion
        chat_id, completion_id = created.parsed_chat.id, created.parsed_completion.id
        store.keep(
            UnsavedAnswer(chat_id, completion_id, "why", "", metadata={"reasoning": "steps"})
        )
        report = await restore_unsaved(client, store)
        assert [a.completion_id for a in report.restored] == [completion_id]
        stored = await client.get_chat_completion(completion_id)
    assert stored.completion_text == "" and (stored.metadata or {})["reasoning"] == "steps"
    assert store.pending() == []


async def test_a_long_reasoning_is_stored_cut_and_never_costs_the_answer(
    apex_server: EmbeddedServer,
) -> None:
    """The server takes at most 256 KB of metadata: a reasoning longer than half of that is
    stored cut (saying so), beside 50 long sources, and the write goes through."""
    huge = "é\n\x01" * 200_000
    stored = stored_reasoning(huge)
    assert stored.startswith("é\n\x01é")
    assert "more characters of reasoning were not stored" in stored
    assert stored_reasoning("short") == "short"
    sources = [{"url": f"https://example.org/{i}", "relevant": "x" * 300} for i in range(50)]
    async with ApexClient(apex_server.base_url, "k", max_retries=0) as client:
        created = await client.create_chat_and_completion("why")
        assert created.parsed_completion
        reply = await client.update_completion_attributes(
            created.parsed_completion.id,
            completion_text="the answer",
            metadata={"reasoning": stored, "sources": sources},
        )
    assert (reply.metadata or {})["reasoning"] == stored
