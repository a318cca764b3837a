"""The chat list beside the conversation: loading it, searching the chats' text, renaming and
deleting chats, and moving a chat to the top when it changes.

The sessions pane only displays and asks (``SearchRequested``, ``RenameRequested``,
``DeleteRequested``); the screen routes those messages here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

from textual.screen import Screen

from apex_tui.api.errors import ApexError
from apex_tui.api.models import ChatSession
from apex_tui.services.chat_sync import ChatSync
from apex_tui.ui.controllers.open_chat import OpenChat
from apex_tui.ui.controllers.prompt_drafts import DraftKeeper
from apex_tui.ui.screens.confirm import ConfirmDeleteScreen
from apex_tui.ui.toasts import report
from apex_tui.ui.widgets.sessions import SessionsPane
from apex_tui.ui.widgets.status_line import StatusLine
from apex_tui.ui.workers import start_worker

SessionsPrefetch = tuple[str, asyncio.Future[list[ChatSession]]]
"""(chat type, the server's answer) asked for before the screen mounted."""


class ChatListController:
    """The chats of the current type, as the sessions pane shows them."""

    def __init__(
        self,
        screen: Screen[None],
        sync: ChatSync,
        chat: OpenChat,
        drafts: DraftKeeper,
        *,
        prefetch: SessionsPrefetch | None,
        refuse_while_streaming: Callable[[str], bool],
        open_chat_deleted: Callable[[], None],
    ) -> None:
        self.screen = screen
        self.sync = sync
        self.chat = chat
        self.drafts = drafts
        self._prefetch = prefetch
        self._refuse_while_streaming = refuse_while_streaming
        self._open_chat_deleted = open_chat_deleted

    @property
    def sessions(self) -> SessionsPane:
        return self.screen.query_one(SessionsPane)

    @property
    def status(self) -> StatusLine:
        return self.screen.query_one(StatusLine)

    async def load(self) -> None:
        """Fill the list with the chats of the open chat's type (errors become a toast)."""
        self.status.activity = "loading chats…"
        prefetch, self._prefetch = self._prefetch, None
        try:
            if prefetch is not None and prefetch[0] == self.chat.chat_type:
                # Asked for when the app mounted: the server answers while this screen mounts.
                sessions = await prefetch[1]
            else:
                if prefetch is not None:
                    prefetch[1].cancel()
                sessions = await self.sync.client.get_chat_sessions(self.chat.chat_type)
        except ApexError as exc:
            self.status.activity = f"chats not loaded: {exc.message}"
            report(self.screen, "Could not load your chats", exc)
            return
        self.status.activity = ""
        self.sessions.set_sessions(sessions, self.chat.chat_type)
        if self.chat.chat_id is not None:
            self.sessions.highlight(self.chat.chat_id)

    def search(self, term: str) -> None:
        """Show only the chats whose text mentions ``term`` (a newer search replaces it)."""
        start_worker(self.screen, self.search_chats, term, group="search", exclusive=True)

    async def search_chats(self, term: str) -> None:
        self.status.activity = f"searching “{term}”…"
        try:
            ids = await self.sync.client.search_chat_ids(term)
        except ApexError as exc:
            self.status.activity = ""
            report(self.screen, "Search failed", exc)
            return
        self.status.activity = ""
        self.sessions.show_search(term, ids)
        shown = len(self.sessions.visible_ids)
        if not shown:
            self.screen.notify(f"No {self.chat.chat_type} chat mentions “{term}”.", title="Search")

    def rename(self, chat_id: str, old_title: str, new_title: str) -> None:
        """Store the title the list already shows; a refusal puts the old one back."""
        start_worker(self.screen, self.rename_chat, chat_id, old_title, new_title, group="rename")

    async def rename_chat(self, chat_id: str, old_title: str, new_title: str) -> None:
        try:
            await self.sync.rename(chat_id, new_title)
        except ApexError as exc:
            self.sessions.set_title(chat_id, old_title)
            report(self.screen, f"Rename refused; the title is back to “{old_title}”", exc)

    def ask_delete(self, chat_ids: list[str]) -> None:
        """Delete these chats once the user confirms."""
        titles = [(s.title if (s := self.sessions.session(i)) else i) for i in chat_ids]

        def confirmed(yes: bool | None) -> None:
            if yes:
                start_worker(self.screen, self.delete_chats, chat_ids, group="delete-chats")

        self.screen.app.push_screen(ConfirmDeleteScreen(titles), confirmed)

    async def delete_chats(self, chat_ids: list[str]) -> None:
        if self.chat.chat_id in chat_ids and self._refuse_while_streaming("delete the open chat"):
            return
        try:
            ok = await self.sync.delete_chats(chat_ids)
        except ApexError as exc:
            report(self.screen, "Could not delete", exc)
            return
        if not ok:
            self.screen.notify(
                "The server did not delete them; reload and retry.", severity="warning"
            )
            return
        self.sessions.remove_chats(chat_ids)
        self.drafts.forget(chat_ids)
        self.chat.forget(chat_ids)
        if self.chat.chat_id in chat_ids:
            self._open_chat_deleted()
        n = len(chat_ids)
        self.screen.notify(f"Deleted {n} chat{'s' if n != 1 else ''}.")

    def touched(self, chat_id: str, title: str = "") -> None:
        """Move a chat to the top of the list (new chats appear at once)."""
        now = datetime.now(UTC)
        session = self.sessions.session(chat_id)
        if session is None:
            session = ChatSession(
                id=chat_id, title=title, chat_type=self.chat.chat_type, created_at=now
            )
        self.sessions.upsert(session.model_copy(update={"updated_at": now}))

    def highlight(self, chat_id: str) -> None:
        self.sessions.highlight(chat_id)
