"""The prompt bar's drafts: one per chat, kept as typed and written to disk a moment later.

Nothing typed is lost: a draft survives switching chats, quitting and crashes, and a prompt that
could not be sent comes back to the box. (The screen does not keep an edit-and-resend buffer
as a draft: it asks the turn flow before it calls :meth:`DraftKeeper.keep`.)
"""

from __future__ import annotations

from textual.screen import Screen
from textual.timer import Timer

from apex_tui.ui.controllers.open_chat import OpenChat
from apex_tui.ui.drafts import DraftStore, new_chat_key
from apex_tui.ui.widgets.prompt_bar import PromptBar

DRAFT_SAVE_DELAY = 0.4
"""Seconds from the last change to the write of the drafts file."""


class DraftKeeper:
    """Moves text between the prompt bar and the draft store of the open chat."""

    def __init__(self, screen: Screen[None], store: DraftStore, chat: OpenChat) -> None:
        self.screen = screen
        self.store = store
        self.chat = chat
        self._timer: Timer | None = None

    @property
    def prompt_bar(self) -> PromptBar:
        return self.screen.query_one(PromptBar)

    def keep(self, text: str) -> None:
        """The open chat's draft is now ``text`` (saved shortly)."""
        self.store.set(self.chat.draft_key, text)
        self.schedule_save()

    def schedule_save(self) -> None:
        if self._timer is None:
            self._timer = self.screen.set_timer(DRAFT_SAVE_DELAY, self.save)

    def save(self) -> None:
        self._timer = None
        try:
            self.store.save()
        except OSError as exc:
            self.screen.notify(
                f"Drafts could not be saved to {self.store.path}: {exc}. "
                "Check that the state folder is writable.",
                severity="warning",
            )

    def stash(self) -> None:
        """Keep what the prompt bar holds before another chat is shown, and save it now."""
        self.store.set(self.chat.draft_key, self.prompt_bar.text)
        self.save()

    def show(self) -> None:
        """Put the open chat's draft in the prompt bar."""
        self.prompt_bar.load_draft(self.store.get(self.chat.draft_key))

    def clear_prompt(self) -> None:
        """The prompt was sent (or handed to research): empty the box and the draft."""
        self.prompt_bar.clear()
        self.keep("")

    def give_back(self, prompt: str) -> None:
        """An unsent prompt returns to the box (unless the user has typed meanwhile)."""
        if not self.prompt_bar.text.strip():
            self.prompt_bar.load_draft(prompt)
            self.keep(prompt)

    def forget(self, chat_ids: list[str]) -> None:
        """Deleted chats leave no drafts behind."""
        for chat_id in chat_ids:
            self.store.set(chat_id, "")
        self.schedule_save()

    def move_new_chat_draft(self, chat_id: str) -> None:
        """The new chat got its id: its draft is keyed by the id from now on."""
        self.store.move(new_chat_key(self.chat.chat_type), chat_id)
