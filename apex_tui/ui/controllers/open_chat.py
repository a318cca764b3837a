"""Which chat the main screen shows: its type, its id, its turns and each chat's settings.

One plain object (no widgets) that the screen owns and hands to the flows that need it: the
turn flow adds turns to ``tree`` and names a new chat, the branch flow switches branches in
it, the research flow reads the conversation so far (``turns``: the chosen branch), the drafts
are keyed by ``draft_key``.
"""

from __future__ import annotations

from collections.abc import Callable

from apex_tui.services.branches import BranchTree
from apex_tui.services.chat_sync import ChatSettings, Turn
from apex_tui.services.config import Config
from apex_tui.ui.drafts import new_chat_key


class OpenChat:
    """The open chat (``chat_id`` None: a new chat, created on the server by its first send)."""

    def __init__(self, chat_type: str, config: Callable[[], Config]) -> None:
        self.chat_type = chat_type
        self.chat_id: str | None = None
        self.tree: BranchTree[Turn] = BranchTree()
        """Every turn of the chat, in all its branches."""
        self._settings: dict[str | None, ChatSettings] = {}
        self._config = config  # read when needed: the settings screen may replace the config

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

    @property
    def settings(self) -> ChatSettings:
        """Settings of the open chat (a new chat starts from the config's defaults)."""
        return self.settings_of(self.chat_id)

    @settings.setter
    def settings(self, settings: ChatSettings) -> None:
        self._settings[self.chat_id] = settings

    def settings_of(self, chat_id: str | None) -> ChatSettings:
        if chat_id not in self._settings:
            self._settings[chat_id] = ChatSettings.from_config(self._config())
        return self._settings[chat_id]

    def set_settings_of(self, chat_id: str | None, settings: ChatSettings) -> None:
        self._settings[chat_id] = settings

    def start_new(self) -> None:
        """A new, empty chat (its settings start again from the config)."""
        self.chat_id = None
        self.tree = BranchTree()
        self._settings.pop(None, None)

    def open(self, chat_id: str) -> None:
        """Another chat; its turns arrive when it has loaded."""
        self.chat_id = chat_id
        self.tree = BranchTree()

    def created(self, chat_id: str, settings: ChatSettings) -> None:
        """The new chat got its id from the server: it keeps the settings it was sent with."""
        self.chat_id = chat_id
        self._settings[chat_id] = self._settings.pop(None, settings)
