"""Unsent prompt text per chat, kept in the state dir so quit or crash loses nothing.

Drafts are keyed by chat id, or by ``new:<chat_type>`` for a chat not created yet. The
file is rewritten atomically (write + rename) so a crash mid-write leaves the old copy.
"""

from __future__ import annotations

import json
from pathlib import Path

from apex_tui.services.atomic_file import read_json_file, write_atomically


def new_chat_key(chat_type: str) -> str:
    """The draft key of the not-yet-created chat of this type."""
    return f"new:{chat_type}"


class DraftStore:
    """A small JSON map of draft key → text; ``save`` writes only when something changed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._drafts: dict[str, str] = {}
        self._dirty = False
        self.load_error = ""
        self._load()

    def _load(self) -> None:
        data, error = read_json_file(self.path)
        if error:
            self.load_error = (
                f"Drafts file {self.path} could not be read ({error}); starting empty."
            )
            return
        if isinstance(data, dict):
            self._drafts = {str(k): str(v) for k, v in data.items() if isinstance(v, str) and v}

    def get(self, key: str) -> str:
        return self._drafts.get(key, "")

    def set(self, key: str, text: str) -> None:
        """Remember ``text`` for ``key`` (empty text forgets it)."""
        if text:
            if self._drafts.get(key) == text:
                return
            self._drafts[key] = text
        elif key in self._drafts:
            del self._drafts[key]
        else:
            return
        self._dirty = True

    def move(self, old_key: str, new_key: str) -> None:
        """Carry a draft over when a new chat gets its server id."""
        if old_key in self._drafts:
            self._drafts[new_key] = self._drafts.pop(old_key)
            self._dirty = True

    @property
    def dirty(self) -> bool:
        return self._dirty

    def save(self) -> None:
        """Write the file if anything changed; raises OSError for the caller to report."""
        if not self._dirty:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(self.path, json.dumps(self._drafts, ensure_ascii=False, indent=0))
        self._dirty = False
