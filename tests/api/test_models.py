"""The wire models follow proto3 JSON both ways (shared/apex-api.md §2)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from apex_tui.api import models as m


def test_both_spellings_and_int64_forms_are_accepted() -> None:
    snake = m.ChatCompletionRequest.from_wire(
        {"seed": 7, "sampling_parameters": {"max_new_tokens": 256, "top_p": 0.9}}
    )
    camel = m.ChatCompletionRequest.from_wire(
        {"seed": "7", "samplingParameters": {"maxNewTokens": "256", "topP": 0.9}}
    )
    assert snake == camel
    assert snake.sampling_parameters is not None
    assert snake.sampling_parameters.max_new_tokens == 256


def test_canonical_output_omits_defaults_keeps_explicit_presence() -> None:
    request = m.ChatCompletionRequest(
        messages=[m.ChatMessage(role="user", content="Hi")], seed=5, stream=False
    )
    assert request.to_wire() == {
        "messages": [{"role": "user", "content": "Hi"}],
        "seed": "5",
        "stream": False,
    }
    assert m.ChatSession().to_wire() == {}
    assert m.UpdateCompletionAttributesRequest(completion_id="c", completion_text="").to_wire() == {
        "completionId": "c",
        "completionText": "",
    }
    assert m.StoredChatCompletion(metadata={}).to_wire() == {"metadata": {}}


def test_duplicate_field_under_both_names_is_rejected() -> None:
    with pytest.raises(ValidationError, match="duplicate field"):
        m.GetStoredChatCompletionsRequest.from_wire({"chatId": "a", "chat_id": "a"})


def test_unknown_fields_and_nulls_are_ignored() -> None:
    parsed = m.WebRetrievalRequest.from_wire(
        {"search_query": "q", "max_results_per_miner": 3, "nMiners": None}
    )
    assert parsed.search_query == "q"
    assert parsed.n_miners is None


def test_int64_rejects_fractions_and_garbage() -> None:
    with pytest.raises(ValidationError):
        m.DeepResearcherResultChunk.from_wire({"seqId": "1.5"})
    with pytest.raises(ValidationError):
        m.DeepResearcherResultChunk.from_wire({"seqId": "one"})
    assert m.DeepResearcherResultChunk.from_wire({"seqId": 2.0}).seq_id == 2


def test_timestamps_round_trip_in_utc_with_z() -> None:
    parsed = m.ChatSession.from_wire({"createdAt": "2025-07-02T15:28:43.154364+02:00"})
    assert parsed.created_at == datetime(2025, 7, 2, 13, 28, 43, 154364, tzinfo=UTC)
    assert parsed.to_wire() == {"createdAt": "2025-07-02T13:28:43.154364Z"}
    nanos = m.ChatSession.from_wire({"updatedAt": "2025-07-02T13:28:43.123456789Z"})
    assert nanos.to_wire() == {"updatedAt": "2025-07-02T13:28:43.123456Z"}
    whole = m.ChatSession(created_at=datetime(2025, 1, 2, 3, 4, 5, 123000, tzinfo=UTC))
    assert whole.to_wire() == {"createdAt": "2025-01-02T03:04:05.123Z"}


def test_chunk_text_and_finish_reason() -> None:
    chunk = m.ChatCompletionChunkResponse.from_wire(
        {
            "choices": [
                {"delta": {"content": "Hel"}},
                {"delta": {"content": "lo"}, "finishReason": "stop"},
            ]
        }
    )
    assert chunk.text == "Hello"
    assert chunk.finish_reason == "stop"


def test_every_method_has_models() -> None:
    assert len(m.METHODS) == 16
    assert m.STREAMING_METHODS == {"ChatCompletionStream"}
