"""The open chat's settings (Ctrl+T, the prompt bar's ⚙): the dialog, what the prompt bar says
of them, and writing what the app remembers of its chats (``services.chat_memory``) soon after
it changed."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.screen import Screen
from textual.timer import Timer

from apex_tui.services.chat_sync import ChatSettings
from apex_tui.services.config import Config
from apex_tui.ui.controllers.open_chat import OpenChat
from apex_tui.ui.widgets.prompt_bar import PromptBar

if TYPE_CHECKING:
    from apex_tui.api.models import ChatSession

SAVE_DELAY = 0.4
"""Seconds from the last change to the write of the chats file (as for drafts)."""


class ChatSettingsFlow:
    """Shows and edits the open chat's settings; saves what the app remembers of its chats."""

    def __init__(
        self,
        screen: Screen[None],
        chat: OpenChat,
        config: Callable[[], Config],
        session_of: Callable[[str], ChatSession | None],
    ) -> None:
        self.screen = screen
        self.chat = chat
        self._config = config
        self._session_of = session_of
        self._timer: Timer | None = None

    @property
    def prompt_bar(self) -> PromptBar:
        return self.screen.query_one(PromptBar)

    def show(self) -> None:
        """The prompt bar says which of the open chat's settings differ from the defaults."""
        self.prompt_bar.show_settings(self.chat.summary())

    def edit(self) -> None:
        """The settings dialog for the open chat (mounted when asked for)."""
        from apex_tui.ui.screens.chat_settings import ChatSettingsScreen

        chat_id = self.chat.chat_id
        session = self._session_of(chat_id) if chat_id else None
        title = f"“{session.title}”" if session else "the new chat"

        def apply(settings: ChatSettings | None) -> None:
            if settings is not None:
                self.chat.set_settings_of(chat_id, settings)
                self.show()
                self.screen.notify("Chat settings kept for this chat's next answers.")

        server = self._config().server
        listed = (server.upstream_url, server.upstream_key) if server.engine == "openai" else None
        screen = ChatSettingsScreen(self.chat.settings, title, model_server=listed or (None, None))
        self.screen.app.push_screen(screen, apply)

    # --- the chats file ------------------------------------------------------------------------

    def schedule_save(self) -> None:
        if self._timer is None and self.screen.is_attached:
            self._timer = self.screen.set_timer(SAVE_DELAY, self.save)

    def save(self) -> None:
        self._timer = None
        memory = self.chat.memory
        try:
            memory.save()
        except OSError as exc:
            self.screen.notify(
                f"Chat settings could not be saved to {memory.path}: {exc.strerror or exc}. "
                "Check that the state folder is writable.",
                severity="warning",
            )
