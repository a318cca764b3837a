"""Exporting the open chat: the dialog (format, path), then the file or the browser download.

The chat's text is ``services.chat_export``'s (the CLI's ``chats export`` writes the same); the
dialog is ``ui/screens/export``, mounted only when asked for; where the file goes is
``ui/export.deliver_or_write``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.screen import Screen

from apex_tui.api.models import ChatSession
from apex_tui.services.chat_export import export_chat, export_filename
from apex_tui.ui.controllers.open_chat import OpenChat

if TYPE_CHECKING:
    from apex_tui.ui.screens.export import ExportChoice


class ChatExporter:
    """The "Export chat" command of the main screen."""

    def __init__(
        self,
        screen: Screen[None],
        chat: OpenChat,
        session_of: Callable[[str], ChatSession | None],
    ) -> None:
        self.screen = screen
        self.chat = chat
        self._session_of = session_of

    def export(self) -> None:
        """Ask where (and as what) to export the open chat, then write it there."""
        from apex_tui.ui.export import default_export_dir, export_and_notify
        from apex_tui.ui.screens.export import ExportScreen

        chat_id, turns = self.chat.chat_id, list(self.chat.turns)
        if chat_id is None or not turns:
            self.screen.notify("Nothing to export yet: open a chat or send a prompt first.")
            return
        session = self._session_of(chat_id)
        title = session.title if session is not None else ""
        stem = export_filename(title, chat_id, "md").removesuffix(".md")
        app = self.screen.app

        def chosen(choice: ExportChoice | None) -> None:
            if choice is not None:
                text = export_chat(chat_id, session, turns, choice.fmt)
                export_and_notify(app, text, choice.filename, choice.path)

        dialog = ExportScreen(
            f"Export chat “{title or chat_id}”",
            stem,
            folder=default_export_dir(),
            browser=app.is_web,
        )
        app.push_screen(dialog, chosen)
