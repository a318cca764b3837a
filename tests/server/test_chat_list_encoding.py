"""GetChatSessions is written by SQLite (``Storage.chat_sessions_json``): it must be exactly the
canonical proto3 JSON the wire models give, for awkward titles and every timestamp form."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from apex_tui.api import models as m
from apex_tui.api.protocol import dumps
from apex_tui.server.codec import wire_timestamp
from apex_tui.server.storage import Storage
from apex_tui.server.storage.chats import _sql_timestamp
from apex_tui.server.storage.store import SESSIONS_CACHED

from .conftest import ok

TITLES = [
    "plain",
    'quo"te \\ back',
    "esc\x1b[31m\nline\ttab\x00",
    "é ü 中文 😀 \u2028",
    "",
    "\x7f/",
]


@pytest.mark.parametrize(
    "micros",
    [0, 1, 999, 1000, 1_000_000, 1_700_000_000_123_456, 1_700_000_000_123_000, -1, -1_500_000],
)
def test_sql_timestamps_match_the_python_encoder(micros: int) -> None:
    storage = Storage(":memory:")
    try:
        sql = f"SELECT {_sql_timestamp('?1')}"
        assert storage._db.execute(sql, (micros,)).fetchone()[0] == wire_timestamp(micros)
    finally:
        storage.close()


def test_sql_written_sessions_equal_the_models_canonical_json(tmp_path: Path) -> None:
    storage = Storage(tmp_path / "apex.db")
    try:
        for i, title in enumerate(TITLES):
            storage.create_chat_and_completion("owner", f"prompt {i}", "apex", "basic", title)
        storage.create_chat_and_completion("owner", "typeless", "", "basic", "no type")
        user = 'user-"1"'
        rows = storage.list_chats("owner")
        expected = m.GetChatSessionsResponse(
            chat_sessions=[
                m.ChatSession(
                    id=r.id,
                    user_id=user,
                    title=r.title,
                    chat_type=r.chat_type,
                    created_at=r.created,
                    updated_at=r.updated,
                )
                for r in rows
            ]
        ).to_wire()
        objects = storage.chat_sessions_json("owner", "", json.dumps(user, ensure_ascii=False))
        body = ('{"chatSessions":[' + objects + "]}").encode()
        assert json.loads(body) == expected
        assert body == dumps(expected)  # byte for byte, as the Python encoder wrote it
        only_apex = storage.chat_sessions_json("owner", "apex", '"u"')
        assert len(json.loads(f"[{only_apex}]")) == len(TITLES)
        assert storage.chat_sessions_json("nobody", "", '"u"') == ""
    finally:
        storage.close()


def test_empty_and_listed_replies_over_http(client: httpx.Client) -> None:
    assert ok(client, "GetChatSessions", {}) == {}
    ok(
        client,
        "CreateChatAndCompletion",
        {"user_prompt": "hi", "chat_type": "apex", "completion_type": "basic", "title": 'a "b"'},
    )
    sessions = ok(client, "GetChatSessions", {})["chatSessions"]
    parsed = m.GetChatSessionsResponse.from_wire({"chatSessions": sessions}).chat_sessions
    assert [s.title for s in parsed] == ['a "b"']
    assert parsed[0].created_at is not None and parsed[0].updated_at is not None


def test_a_kept_list_is_served_only_until_the_next_write(tmp_path: Path) -> None:
    """The list is kept between calls (an app's start asks for all of it) and written again
    after any committed change: a new chat, a rename, a delete, a research job's progress."""
    storage = Storage(tmp_path / "apex.db")
    try:
        chat, _ = storage.create_chat_and_completion("owner", "p", "apex", "basic", "first")
        first = storage.chat_sessions_json("owner", "apex", '"u"')
        assert storage.chat_sessions_json("owner", "apex", '"u"') is first  # kept
        assert storage.chat_sessions_json("owner", "apex", '"other"') != first  # its own key
        storage.update_chat("owner", chat.id, "renamed", None)
        renamed = storage.chat_sessions_json("owner", "apex", '"u"')
        assert '"title":"renamed"' in renamed and renamed is not first
        storage.create_chat_and_completion("owner", "q", "apex", "basic", "second")
        assert '"title":"second"' in storage.chat_sessions_json("owner", "apex", '"u"')
        storage.create_job("owner", {"messages": []}, 1)  # any write: the list is read again
        assert storage.chat_sessions_json("owner", "apex", '"u"') is not renamed
        storage.delete_chats("owner", [chat.id])
        assert '"title":"renamed"' not in storage.chat_sessions_json("owner", "apex", '"u"')
        for n in range(SESSIONS_CACHED + 3):  # a bounded number of lists is kept
            storage.chat_sessions_json(f"owner {n}", "", '"u"')
        assert len(storage._sessions) == SESSIONS_CACHED
    finally:
        storage.close()
