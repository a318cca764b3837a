"""Which chat the main screen shows: its type, its id, its turns and each chat's settings.

One plain object (no widgets) that the screen owns and hands to the flows that need it: the
turn flow adds turns to ``tree`` and names a new chat, the branch flow switches branches in
it, the research flow reads the conversation so far (``turns``: the chosen branch), the drafts
are keyed by ``draft_key``.

A chat's settings (Ctrl+T) persist with it: a stored chat takes those of the last answer of the
branch shown (``metadata["settings"]``) when its turns load, unless settings changed since then
are kept on this machine (``services.chat_memory``); the chat open last of each type is
remembered too, so the app starts on it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from apex_tui.services.branches import BranchTree
from apex_tui.services.chat_memory import ChatMemory, settings_from_turns, settings_record
from apex_tui.services.chat_sync import ChatSettings, Turn
from apex_tui.services.config import Config
from apex_tui.ui.drafts import new_chat_key


class OpenChat:
    """The open chat (``chat_id`` None: a new chat, created on the server by its first send)."""

    def __init__(
        self,
        chat_type: str,
        config: Callable[[], Config],
        memory: ChatMemory,
        remembered: Callable[[], object] = lambda: None,
    ) -> None:
        """``remembered`` runs after ``memory`` changed (the screen saves it soon)."""
        self.chat_type = chat_type
        self.chat_id: str | None = None
        self.tree: BranchTree[Turn] = BranchTree()
        """Every turn of the chat, in all its branches."""
        self.memory = memory
        self._settings: dict[str | None, ChatSettings] = {}
        self._config = config  # read when needed: the settings screen may replace the config
        self._remembered = remembered

    @property
    def turns(self) -> list[Turn]:
        """The chosen branch, first turn first: what is shown, and the history sent."""
        return self.tree.path()

    def load(self, turns: list[Turn]) -> None:
        """The chat's stored turns (every branch, oldest first) have arrived."""
        self.tree = BranchTree(turns)

    @property
    def draft_key(self) -> str:
        return self.chat_id or new_chat_key(self.chat_type)

    def _key(self, chat_id: str | None) -> str:
        return chat_id or new_chat_key(self.chat_type)

    @property
    def settings(self) -> ChatSettings:
        """Settings of the open chat (a new chat starts from the config's defaults)."""
        return self.settings_of(self.chat_id)

    @settings.setter
    def settings(self, settings: ChatSettings) -> None:
        self._settings[self.chat_id] = settings

    def defaults(self) -> ChatSettings:
        return ChatSettings.from_config(self._config())

    def settings_of(self, chat_id: str | None) -> ChatSettings:
        if chat_id not in self._settings:
            base = self.defaults()
            unsent = self.memory.unsent_settings(self._key(chat_id), base)
            self._settings[chat_id] = unsent or base
        return self._settings[chat_id]

    def set_settings_of(self, chat_id: str | None, settings: ChatSettings) -> None:
        """The user changed a chat's settings: kept on this machine until an answer stores them."""
        self._settings[chat_id] = settings
        self.memory.keep_settings(self._key(chat_id), settings)
        self._remembered()

    def took_stored(self, chat_id: str, turns: Sequence[Turn]) -> None:
        """A stored chat's turns loaded: it takes the settings of the last answer of ``turns``
        (the branch shown, not the newest turn of another branch), unless some changed since
        are kept here."""
        base = self.defaults()
        if self.memory.unsent_settings(chat_id, base) is None:
            current = self._settings.get(chat_id, base)
            stored = settings_from_turns(turns, base)
            self._settings[chat_id] = replace(stored, completion_type=current.completion_type)

    def answered(self, chat_id: str, settings: ChatSettings) -> None:
        """An answer was stored with ``settings``: the server holds them now."""
        if settings_record(settings)[1]:
            self.memory.sent_settings(chat_id)
            self._remembered()

    def summary(self) -> str:
        """The open chat's settings that differ from the config's defaults, in a few words."""
        return settings_summary(self.settings, self.defaults())

    def start_new(self) -> None:
        """A new, empty chat (its settings start again from the config)."""
        self.chat_id = None
        self.tree = BranchTree()
        self._settings.pop(None, None)
        self.memory.sent_settings(new_chat_key(self.chat_type))
        self.memory.set_last_chat(self.chat_type, None)
        self._remembered()

    def open(self, chat_id: str) -> None:
        """Another chat; its turns arrive when it has loaded."""
        self.chat_id = chat_id
        self.tree = BranchTree()
        self.memory.set_last_chat(self.chat_type, chat_id)
        self._remembered()

    def created(self, chat_id: str, settings: ChatSettings) -> None:
        """The new chat got its id from the server: it keeps the settings it was sent with."""
        self.chat_id = chat_id
        self._settings[chat_id] = self._settings.pop(None, settings)
        self.memory.move(new_chat_key(self.chat_type), chat_id)
        self.memory.set_last_chat(self.chat_type, chat_id)
        self._remembered()

    def forget(self, chat_ids: Sequence[str]) -> None:
        """Deleted chats: nothing of them is kept."""
        for chat_id in chat_ids:
            self._settings.pop(chat_id, None)
        self.memory.forget(chat_ids)
        self._remembered()


def settings_summary(settings: ChatSettings, defaults: ChatSettings) -> str:
    """ "model x · temperature 0.3 · seed 7 · system prompt": what differs from the defaults."""
    parts = []
    if settings.model != defaults.model:
        parts.append(f"model {settings.model or 'server default'}")
    if settings.temperature != defaults.temperature:
        parts.append(f"temperature {settings.temperature:g}")
    if settings.top_p != defaults.top_p:
        parts.append(f"top_p {settings.top_p:g}")
    if settings.max_new_tokens != defaults.max_new_tokens:
        parts.append(f"max {settings.max_new_tokens} tokens")
    if settings.seed != defaults.seed:
        parts.append(f"seed {settings.seed}" if settings.seed is not None else "random seed")
    if settings.system_prompt != defaults.system_prompt:
        parts.append("system prompt" if settings.system_prompt else "no system prompt")
    return " · ".join(parts)
