"""What this machine remembers of its chats between runs: the chat open last of each chat type
(the app starts on it), and the settings of chats changed since their last answer.

A chat's settings travel with it on the server: every stored answer carries the settings it was
asked with (``metadata["settings"]``, written by ``ChatSync``), and a chat opened again takes
those of its last turn (:func:`settings_from_turns`), so another client sees them too. What the
server cannot know yet, settings changed (Ctrl+T) since the last send, is kept here until the
next answer is stored with them. One small JSON file in the state dir, replaced atomically.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from apex_tui.services.answer_stream import ChatSettings
from apex_tui.services.atomic_file import read_json_file, write_atomically
from apex_tui.services.config import Defaults

__all__ = [
    "KEPT_SETTINGS",
    "MAX_STORED_SYSTEM_PROMPT",
    "ChatMemory",
    "apply_settings",
    "settings_from_turns",
    "settings_record",
]

KEPT_SETTINGS = ("model", "temperature", "top_p", "max_new_tokens", "seed", "system_prompt")
"""The per-chat settings (Ctrl+T) that persist with a chat."""
MAX_STORED_SYSTEM_PROMPT = 8000
"""Characters of a system prompt stored in an answer's metadata (the server bounds metadata:
a longer one stays on this machine only, rather than risk the answer's final write)."""


def _every_setting(settings: ChatSettings) -> dict[str, Any]:
    return {name: getattr(settings, name) for name in KEPT_SETTINGS}


def settings_record(settings: ChatSettings) -> tuple[dict[str, Any], bool]:
    """(the settings as an answer's metadata stores them, whether that holds all of them)."""
    record = _every_setting(settings)
    complete = len(settings.system_prompt) <= MAX_STORED_SYSTEM_PROMPT
    if not complete:
        del record["system_prompt"]
    return record, complete


def apply_settings(base: ChatSettings, record: Mapping[str, Any]) -> ChatSettings:
    """``base`` with the kept settings of ``record`` that pass the config's rules (a value
    another client or an older version stored that breaks them is left out)."""
    changes: dict[str, Any] = {}
    for name in KEPT_SETTINGS:
        if name not in record:
            continue
        try:
            checked = Defaults.model_validate({name: record[name]})
        except ValidationError:
            continue
        changes[name] = getattr(checked, name)
    return replace(base, **changes)


def settings_from_turns(turns: Sequence[Any], base: ChatSettings) -> ChatSettings:
    """The settings of the last turn that stored them (``metadata["settings"]``), over ``base``."""
    for turn in reversed(turns):
        record = (turn.metadata or {}).get("settings")
        if isinstance(record, dict):
            return apply_settings(base, record)
    return base


class ChatMemory:
    """The last open chat per chat type, and settings not yet sent, by chat (or draft) key."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._last: dict[str, str] = {}
        self._settings: dict[str, dict[str, Any]] = {}
        self._dirty = False
        self.load_error = ""
        self._load()

    def _load(self) -> None:
        data, error = read_json_file(self.path)
        if error:
            self.load_error = f"{self.path} could not be read ({error}); the app starts afresh."
            return
        if not isinstance(data, dict):
            return
        last, settings = data.get("last_chat"), data.get("settings")
        if isinstance(last, dict):
            self._last = {str(k): v for k, v in last.items() if isinstance(v, str) and v}
        if isinstance(settings, dict):
            self._settings = {str(k): v for k, v in settings.items() if isinstance(v, dict)}

    # --- the chat open last --------------------------------------------------------------------

    def last_chat(self, chat_type: str) -> str | None:
        return self._last.get(chat_type)

    def set_last_chat(self, chat_type: str, chat_id: str | None) -> None:
        if self._last.get(chat_type) == chat_id:
            return
        if chat_id:
            self._last[chat_type] = chat_id
        else:
            self._last.pop(chat_type, None)
        self._dirty = True

    # --- settings not yet sent -----------------------------------------------------------------

    def unsent_settings(self, key: str, base: ChatSettings) -> ChatSettings | None:
        """The settings changed for ``key`` since its last answer (over ``base``), if any."""
        record = self._settings.get(key)
        return apply_settings(base, record) if record is not None else None

    def keep_settings(self, key: str, settings: ChatSettings) -> None:
        record = _every_setting(settings)  # on this machine, the system prompt whole
        if self._settings.get(key) != record:
            self._settings[key] = record
            self._dirty = True

    def sent_settings(self, key: str) -> None:
        """An answer stored with the settings of ``key``: the server holds them now."""
        if self._settings.pop(key, None) is not None:
            self._dirty = True

    def move(self, old_key: str, new_key: str) -> None:
        """A new chat got its id: what was kept under its draft key moves along."""
        if old_key in self._settings:
            self._settings[new_key] = self._settings.pop(old_key)
            self._dirty = True

    def forget(self, chat_ids: Sequence[str]) -> None:
        """Deleted chats leave nothing behind."""
        for chat_id in chat_ids:
            if self._settings.pop(chat_id, None) is not None:
                self._dirty = True
            for chat_type, last in list(self._last.items()):
                if last == chat_id:
                    del self._last[chat_type]
                    self._dirty = True

    # --- the file ------------------------------------------------------------------------------

    def save(self) -> None:
        """Write the file if anything changed; raises OSError for the caller to report."""
        if not self._dirty:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        payload = json.dumps({"last_chat": self._last, "settings": self._settings}, indent=1)
        write_atomically(self.path, payload)
        self._dirty = False
