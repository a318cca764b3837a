"""``WireModel.from_wire_json``: a reply read by pydantic-core in one pass gives exactly what
the checked path (``json.loads`` then ``from_wire``) gives, and the name rules (``wire_names``:
a field under both names, nulls) still apply whenever the bytes could hold either case."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from apex_tui.api import models as m
from apex_tui.api import wire_names


def _chat_list(count: int) -> bytes:
    start = datetime(2026, 11, 25, 15, 48, 37, 554538, tzinfo=UTC)
    sessions = [
        m.ChatSession(
            id=f"chat-{i}",
            user_id="user-1",
            title=f"Chat «{i}» with “quotes” and \\ backslash",
            chat_type="apex" if i % 3 else "gravity",
            created_at=start - timedelta(minutes=i),
            updated_at=start - timedelta(seconds=i * 7, microseconds=i * 1000),
        )
        for i in range(300)
    ]
    reply = m.GetChatSessionsResponse(chat_sessions=sessions)
    return json.dumps(reply.to_wire(), ensure_ascii=False).encode()


def _stored_completions() -> bytes:
    data = {
        "chatCompletions": [
            {
                "id": "c1",
                "chatId": "chat-1",
                "completionType": "web-search",
                "createdAt": "2026-11-25T10:00:00.123456789Z",
                "completedAt": "2026-11-25T12:00:00+02:00",
                "userPromptText": "hi",
                "completionText": "## Answer\n\n```python\nx = 1\n```",
                "metadata": {"model": "m", "sources": [{"url": "https://x", "n": 1}]},
            }
        ]
    }
    return json.dumps(data).encode()


@pytest.mark.parametrize(
    ("model", "body"),
    [
        (m.GetChatSessionsResponse, _chat_list(300)),
        (m.GetStoredChatCompletionsResponse, _stored_completions()),
        (m.GetChatSessionsResponse, b"{}"),
        (
            m.GetDeepResearcherJobResponse,
            b'{"jobId":"j","status":"running","result":[{"seqId":"3","content":"x"}]}',
        ),
        (m.ChatSession, b'{"id":"a","createdAt":"2026-11-25T10:00:00.5Z"}'),
    ],
)
def test_the_one_pass_result_is_the_checked_result(model: type[m.WireModel], body: bytes) -> None:
    assert not wire_names.needs_checks(model, body)  # so this is the one-pass path
    fast = model.from_wire_json(body)
    checked = model.from_wire(json.loads(body))
    assert type(fast) is type(checked)
    assert fast == checked
    assert fast.to_wire() == checked.to_wire()


def test_every_time_is_aware_and_equal_to_the_checked_parse() -> None:
    body = _chat_list(50)
    fast = m.GetChatSessionsResponse.from_wire_json(body)
    checked = m.GetChatSessionsResponse.from_wire(json.loads(body))
    for a, b in zip(fast.chat_sessions, checked.chat_sessions, strict=True):
        assert a.updated_at is not None and a.updated_at.tzinfo is not None
        assert a.updated_at == b.updated_at and a.created_at == b.created_at


@pytest.mark.parametrize(
    "body",
    [
        b'{"chatSessions":[{"id":"a","chat_type":"apex"}]}',  # snake_case alone: fine
        b'{"chatSessions":[{"id":"a","title":null}]}',  # null means default
        b'{"chatSessions":[{"id":"a","title":"say null"}]}',  # harmless, but not provable
        b'{"chatSessions":[{"id":"a","userId":"caf\\u00e9"}]}',  # an escape: not provable
    ],
)
def test_bytes_the_rules_could_act_on_take_the_checked_path(body: bytes) -> None:
    assert wire_names.needs_checks(m.GetChatSessionsResponse, body)
    parsed = m.GetChatSessionsResponse.from_wire_json(body)
    assert parsed == m.GetChatSessionsResponse.from_wire(json.loads(body))
    assert parsed.chat_sessions[0].id == "a"


@pytest.mark.parametrize(
    "body",
    [
        b'{"chatSessions":[{"id":"a","userId":"u","user_id":"v"}]}',
        b'{"chatSessions":[{"id":"a","userId":"u","user\\u005fid":"v"}]}',  # escaped key
        b'{"chat_sessions":[],"chatSessions":[]}',
    ],
)
def test_a_field_under_both_names_is_rejected_on_every_path(body: bytes) -> None:
    with pytest.raises(ValidationError, match="duplicate field"):
        m.GetChatSessionsResponse.from_wire_json(body)
    with pytest.raises(ValidationError, match="duplicate field"):
        m.GetChatSessionsResponse.from_wire(json.loads(body))


def test_nulls_mean_defaults_at_every_depth() -> None:
    body = b'{"chatCompletions":[{"id":"c","chatId":null,"metadata":{"k":null}}],"x":null}'
    parsed = m.GetStoredChatCompletionsResponse.from_wire_json(body)
    completion = parsed.chat_completions[0]
    assert completion.chat_id == "" and completion.metadata == {"k": None}  # a Struct keeps nulls


def test_the_callers_json_is_not_changed() -> None:
    data = {"chatSessions": [{"id": "a", "title": None}]}
    m.GetChatSessionsResponse.from_wire(data)
    assert data == {"chatSessions": [{"id": "a", "title": None}]}


def test_a_reply_that_does_not_fit_raises_on_both_paths() -> None:
    body = b'{"chatSessions":[{"id":5}]}'
    with pytest.raises(ValidationError):
        m.GetChatSessionsResponse.from_wire_json(body)
    with pytest.raises(ValidationError):
        m.GetChatSessionsResponse.from_wire(json.loads(body))
    with pytest.raises(ValueError):
        m.GetChatSessionsResponse.from_wire_json(b"not json")


def test_naive_and_oddly_spelled_times_still_read_as_utc() -> None:
    body = b'{"id":"a","createdAt":"2026-11-25T10:00:00","updatedAt":" 2026-11-25t10:00:00z "}'
    parsed = m.ChatSession.from_wire_json(body)
    expected = datetime(2026, 11, 25, 10, tzinfo=UTC)
    assert parsed.created_at == expected and parsed.updated_at == expected
    assert parsed.created_at is not None and parsed.created_at.utcoffset() == timedelta(0)
