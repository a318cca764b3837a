"""The database's shape: the DDL, its version in ``PRAGMA user_version`` and the migration to it,
how times are stored (integer microseconds since the epoch, UTC), and opening a connection
with the pragmas the store relies on.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

__all__ = ["SCHEMA_VERSION", "Clock", "StorageError", "connect", "migrate", "us_to_datetime"]

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE chats (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    title TEXT NOT NULL,
    chat_type TEXT NOT NULL,
    created_us INTEGER NOT NULL,
    updated_us INTEGER NOT NULL
);
CREATE INDEX chats_by_owner ON chats(owner, updated_us DESC);
CREATE TABLE completions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    chat_id TEXT NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
    owner TEXT NOT NULL,
    completion_type TEXT NOT NULL,
    created_us INTEGER NOT NULL,
    completed_us INTEGER,
    user_prompt_text TEXT NOT NULL,
    completion_text TEXT NOT NULL,
    metadata TEXT NOT NULL,
    error_message TEXT NOT NULL DEFAULT ''
);
CREATE INDEX completions_by_chat ON completions(chat_id, seq);
CREATE INDEX completions_by_owner ON completions(owner);
CREATE VIRTUAL TABLE completions_fts USING fts5(
    user_prompt_text, completion_text, content='completions', content_rowid='seq',
    tokenize='trigram'
);
CREATE TRIGGER completions_ai AFTER INSERT ON completions BEGIN
    INSERT INTO completions_fts(rowid, user_prompt_text, completion_text)
    VALUES (new.seq, new.user_prompt_text, new.completion_text);
END;
CREATE TRIGGER completions_ad AFTER DELETE ON completions BEGIN
    INSERT INTO completions_fts(completions_fts, rowid, user_prompt_text, completion_text)
    VALUES ('delete', old.seq, old.user_prompt_text, old.completion_text);
END;
CREATE TRIGGER completions_au AFTER UPDATE ON completions BEGIN
    INSERT INTO completions_fts(completions_fts, rowid, user_prompt_text, completion_text)
    VALUES ('delete', old.seq, old.user_prompt_text, old.completion_text);
    INSERT INTO completions_fts(rowid, user_prompt_text, completion_text)
    VALUES (new.seq, new.user_prompt_text, new.completion_text);
END;
CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    status TEXT NOT NULL,
    created_us INTEGER NOT NULL,
    updated_us INTEGER NOT NULL,
    request TEXT NOT NULL,
    seed INTEGER NOT NULL,
    error TEXT
);
CREATE TABLE job_chunks (
    job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    seq_id INTEGER NOT NULL,
    chunk TEXT NOT NULL,
    PRIMARY KEY (job_id, seq_id)
);
"""

Clock = Callable[[], int]
"""The store's strictly increasing microsecond clock (``Storage._now_us``), called inside a
write's transaction so "newest updated first" is a total order."""


class StorageError(RuntimeError):
    """The database cannot be opened or has a schema this version does not know."""


def us_to_datetime(micros: int) -> datetime:
    return datetime.fromtimestamp(micros / 1_000_000, tz=UTC)


def _fold(text: str | None) -> str | None:
    """``str.casefold`` for SQL (``apex_fold``): case-insensitive matching in every script."""
    return text.casefold() if isinstance(text, str) else text


def connect(path: str) -> sqlite3.Connection:
    """Open (or create) the database at ``path`` with WAL and foreign keys on, and bring its
    schema to :data:`SCHEMA_VERSION`; a file that is not SQLite is a :class:`StorageError`."""
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    try:
        db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    except sqlite3.Error as exc:
        raise StorageError(f"cannot open database {path}: {exc}") from exc
    db.create_function("apex_fold", 1, _fold, deterministic=True)  # see chat_search
    try:  # the first statements are where a file that is not SQLite shows itself
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA foreign_keys=ON")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA busy_timeout=5000")
    except sqlite3.Error as exc:
        db.close()
        raise StorageError(
            f"cannot open database {path}: {exc}; move that file aside or pass another --db"
        ) from exc
    migrate(db, path)
    return db


def migrate(db: sqlite3.Connection, path: str) -> None:
    """Create the schema in an empty database; refuse one newer than this version knows."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version == SCHEMA_VERSION:
        return
    if version > SCHEMA_VERSION:
        raise StorageError(
            f"database {path} has schema version {version}, newer than this apex-tui "
            f"understands ({SCHEMA_VERSION}); upgrade apex-tui or use another --db file"
        )
    script = f"BEGIN IMMEDIATE;\n{_SCHEMA}\nPRAGMA user_version={SCHEMA_VERSION};\nCOMMIT;"
    try:
        db.executescript(script)
    except sqlite3.Error as exc:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise StorageError(f"cannot create the schema in {path}: {exc}") from exc
