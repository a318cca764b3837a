""":class:`Storage`, the one object the server keeps its state through: the connection, the lock
that guards it, the clock and the transactions. Each method hands its SQL to the module of its
area (``chats``, ``jobs``, ``chat_search``) inside one read or one write transaction.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import apex_tui.server.storage.chat_search as chat_search
import apex_tui.server.storage.chats as chats
import apex_tui.server.storage.jobs as jobs
from apex_tui.server.storage.chats import ChatRow, CompletionRow
from apex_tui.server.storage.jobs import JobRow
from apex_tui.server.storage.schema import connect

__all__ = ["Storage"]

T = TypeVar("T")
SESSIONS_CACHED = 8
"""Chat lists (owner, chat type) kept as JSON text; 10,000 chats are ~1.5 MB."""


class Storage:
    """All persistent state of the server. Methods are synchronous and thread-safe."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._db = connect(self.path)
        self._lock = threading.Lock()
        self._last_us = 0
        self._writes = 0
        """Transactions committed: what a cached reply was read at (see chat_sessions_json)."""
        self._sessions: OrderedDict[tuple[str, str, str], tuple[int, str]] = OrderedDict()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a storage method on a worker thread so the event loop keeps streaming."""
        return await asyncio.to_thread(fn, *args)

    def _now_us(self) -> int:
        """Strictly increasing microsecond clock, so "newest updated first" is a total order."""
        now = time.time_ns() // 1000
        self._last_us = max(now, self._last_us + 1)
        return self._last_us

    def _tx(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                result = fn(self._db)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            self._writes += 1
            return result

    def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        with self._lock:
            return fn(self._db)

    # --- chats and completions ----------------------------------------------------------------

    def create_chat_and_completion(
        self, owner: str, prompt: str, chat_type: str, completion_type: str, title: str
    ) -> tuple[ChatRow, CompletionRow]:
        return self._tx(
            lambda db: chats.create_chat_and_completion(
                db, self._now_us, owner, prompt, chat_type, completion_type, title
            )
        )

    def create_completion(
        self, owner: str, chat_id: str, prompt: str, completion_type: str
    ) -> CompletionRow | None:
        """A new completion in the owner's chat; ``None`` when the chat is not the owner's."""
        return self._tx(
            lambda db: chats.create_completion(
                db, self._now_us, owner, chat_id, prompt, completion_type
            )
        )

    def list_chats(self, owner: str, chat_type: str = "") -> list[ChatRow]:
        return self._read(lambda db: chats.list_chats(db, owner, chat_type))

    def list_chats_raw(self, owner: str, chat_type: str = "") -> list[tuple[Any, ...]]:
        """Like :meth:`list_chats` but plain ``(id, title, chat_type, created_us, updated_us)``
        tuples: GetChatSessions over thousands of chats skips building objects."""
        return self._read(lambda db: chats.list_chats_raw(db, owner, chat_type))

    def chat_sessions_json(self, owner: str, chat_type: str, user_id_json: str) -> str:
        """The chats as comma-separated canonical proto3 JSON ``ChatSession`` objects, newest
        first ("" for none), written by SQLite in one step (see
        :func:`~apex_tui.server.storage.chats.chat_sessions_json`), or the same text kept
        from the last call when nothing was written since (any committed transaction counts):
        an app's start, and every list reload after it, asks for the whole list again."""
        key = (owner, chat_type, user_id_json)
        with self._lock:  # reads and writes take the lock: no write can come in between
            cached = self._sessions.get(key)
            if cached is not None and cached[0] == self._writes:
                self._sessions.move_to_end(key)
                return cached[1]
            text = chats.chat_sessions_json(self._db, owner, chat_type, user_id_json)
            self._sessions[key] = (self._writes, text)
            if len(self._sessions) > SESSIONS_CACHED:
                self._sessions.popitem(last=False)
            return text

    def get_chat(self, owner: str, chat_id: str) -> ChatRow | None:
        return self._read(lambda db: chats.get_chat(db, owner, chat_id))

    def chat_completions(self, owner: str, chat_id: str) -> list[CompletionRow] | None:
        """A chat's completions in creation order; ``None`` when the chat is not the owner's."""
        return self._read(lambda db: chats.chat_completions(db, owner, chat_id))

    def get_completion(self, owner: str, completion_id: str) -> CompletionRow | None:
        return self._read(lambda db: chats.get_completion(db, owner, completion_id))

    def update_chat(
        self, owner: str, chat_id: str, title: str | None, chat_type: str | None
    ) -> ChatRow | None:
        return self._tx(
            lambda db: chats.update_chat(db, self._now_us, owner, chat_id, title, chat_type)
        )

    def delete_chats(self, owner: str, chat_ids: list[str]) -> list[str]:
        """Delete all or nothing; returns ids that are not the owner's (then nothing is deleted)."""
        return self._tx(lambda db: chats.delete_owned(db, "chats", owner, chat_ids))

    def delete_completions(self, owner: str, completion_ids: list[str]) -> list[str]:
        return self._tx(lambda db: chats.delete_owned(db, "completions", owner, completion_ids))

    def search_chat_ids(self, owner: str, term: str) -> list[str]:
        """Chats whose prompts or completions contain ``term`` (case-insensitive), newest first."""
        return self._read(lambda db: chat_search.search_chat_ids(db, owner, term))

    def update_completion(
        self,
        owner: str,
        completion_id: str,
        completion_text: str | None,
        user_prompt_text: str | None,
        metadata: dict[str, Any] | None,
        max_metadata_bytes: int | None = None,
    ) -> CompletionRow | None:
        """Change only what was sent; ``metadata`` keys merge (a ``null`` value removes a key).
        Merged metadata over ``max_metadata_bytes`` raises ``MetadataTooLarge``, rolled back."""
        return self._tx(
            lambda db: chats.update_completion(
                db,
                self._now_us,
                owner,
                completion_id,
                completion_text,
                user_prompt_text,
                metadata,
                max_metadata_bytes,
            )
        )

    def completions_with_research(self, owner: str) -> list[CompletionRow]:
        return self._read(lambda db: chats.completions_with_research(db, owner))

    def seed_chats(self, owner: str, count: int, chat_type: str = "apex") -> None:
        """Bulk-insert ``count`` chats with one completion each (benchmarks and load tests)."""
        self._tx(lambda db: chats.seed_chats(db, self._now_us, owner, count, chat_type))

    # --- research jobs ------------------------------------------------------------------------

    def create_job(self, owner: str, request: dict[str, Any], seed: int) -> JobRow:
        return self._tx(lambda db: jobs.create_job(db, self._now_us, owner, request, seed))

    def get_job(self, job_id: str, owner: str | None = None) -> JobRow | None:
        """The job with its chunks; ``None`` when missing or (given ``owner``) not the owner's."""
        return self._read(lambda db: jobs.get_job(db, job_id, owner))

    def append_job_chunk(self, job_id: str, seq_id: int, chunk: str, status: str) -> None:
        self._tx(lambda db: jobs.append_job_chunk(db, self._now_us, job_id, seq_id, chunk, status))

    def set_job_status(self, job_id: str, status: str, error: str | None = None) -> None:
        self._tx(lambda db: jobs.set_job_status(db, self._now_us, job_id, status, error))

    def unfinished_job_ids(self) -> list[str]:
        return self._read(jobs.unfinished_job_ids)
