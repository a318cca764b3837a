"""SQLite store of chats, completions and research jobs, partitioned by the owner of an API key.

One connection guarded by a lock; callers on the event loop use :meth:`Storage.run` so queries
happen on a worker thread. Every write is one transaction, so a failed request leaves no
half-written row. The schema is versioned with ``PRAGMA user_version``.

:class:`Storage` (``store``) is the one object callers use; the SQL lives by area: ``schema``
(DDL, migration, opening the file), ``chats`` (chats and completions), ``jobs`` (research jobs)
and ``chat_search`` (FTS and ``LIKE``). Import from here: this package is their stable face.
"""

from __future__ import annotations

from apex_tui.server.storage.chats import ChatRow, CompletionRow, MetadataTooLarge
from apex_tui.server.storage.jobs import JobRow
from apex_tui.server.storage.schema import SCHEMA_VERSION, StorageError, us_to_datetime
from apex_tui.server.storage.store import Storage

__all__ = [
    "SCHEMA_VERSION",
    "ChatRow",
    "CompletionRow",
    "JobRow",
    "MetadataTooLarge",
    "Storage",
    "StorageError",
    "us_to_datetime",
]
