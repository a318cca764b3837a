"""Which chats mention a term: the FTS5 trigram index for terms of three characters or more
(it cannot match shorter ones), an escaped ``LIKE`` scan below that. Both are case-insensitive
in every script: the trigram tokenizer folds case itself; the scan compares Python's
``str.casefold`` of both sides (``apex_fold``, registered by ``schema.connect``), since
SQLite's ``lower()`` and ``LIKE`` fold ASCII only (``ñ``, ``ω``, ``пр`` found nothing).
"""

from __future__ import annotations

import sqlite3


def search_chat_ids(db: sqlite3.Connection, owner: str, term: str) -> list[str]:
    """The owner's chats whose prompts or completions contain ``term``, newest first."""
    args: tuple[str, ...]
    if len(term) >= 3:
        phrase = '"' + term.replace('"', '""') + '"'
        match = "SELECT rowid FROM completions_fts WHERE completions_fts MATCH ?"
        where, args = f"c.seq IN ({match})", (phrase,)
    else:
        pattern = "%" + term.casefold().replace("\\", "\\\\").replace("%", "\\%")
        pattern = pattern.replace("_", "\\_") + "%"
        where = (
            "(apex_fold(c.user_prompt_text) LIKE ? ESCAPE '\\' "
            "OR apex_fold(c.completion_text) LIKE ? ESCAPE '\\')"
        )
        args = (pattern, pattern)
    rows = db.execute(
        "SELECT ch.id FROM chats ch WHERE ch.owner=? AND EXISTS ("
        f"SELECT 1 FROM completions c WHERE c.chat_id=ch.id AND {where}) "
        "ORDER BY ch.updated_us DESC, ch.id",
        (owner, *args),
    ).fetchall()
    return [r[0] for r in rows]
