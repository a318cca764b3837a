"""The main screen: sessions pane | conversation (+ search / research panes) over the prompt bar,
a status line and the footer.

The screen owns the chat state (open chat, its turns, per-chat settings, drafts) and runs the
service calls in workers; widgets only display and talk up with messages. Turn flows
(send, stream, stop, regenerate, edit, delete, copy) live in ``TurnFlows``; the web-search and
research panes in ``PaneFlows``.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.keys import format_key
from textual.screen import Screen
from textual.widgets import Static

from apex_tui.api.errors import ApexError
from apex_tui.api.models import ChatSession
from apex_tui.services.chat_sync import ChatSettings, ChatSync, Turn
from apex_tui.services.config import Config
from apex_tui.services.state import JobStore
from apex_tui.ui.drafts import DraftStore, new_chat_key
from apex_tui.ui.messages import (
    ChatChosen,
    ChatSettingsRequested,
    DeleteRequested,
    DraftChanged,
    RenameRequested,
    SearchRequested,
)
from apex_tui.ui.screens.chat_settings import ChatSettingsScreen
from apex_tui.ui.screens.confirm import ConfirmDeleteScreen
from apex_tui.ui.screens.pane_flows import PaneFlows
from apex_tui.ui.screens.turn_flows import TurnFlows, turn_view
from apex_tui.ui.widgets.conversation import ConversationView
from apex_tui.ui.widgets.key_hints import KeyHints
from apex_tui.ui.widgets.prompt_bar import PromptBar
from apex_tui.ui.widgets.sessions import SessionsPane
from apex_tui.ui.widgets.status_line import StatusLine

CHAT_TYPES = ("apex", "gravity")
DRAFT_SAVE_DELAY = 0.4
SIDE_PANES_DELAY = 1.5
"""Seconds after mounting by which the search/research panes are mounted at the latest."""
SIDE_PANES_AFTER_LIST = 0.1
"""...or this long after the chat list was filled (a frame or more: the list shows first)."""


def welcome_text(server: str, keymap: dict[str, str]) -> str:
    """What an empty conversation shows: where we are connected and the keys that matter."""

    def key(binding_id: str, default: str) -> str:
        keys = keymap.get(binding_id, default).split(",")[0].strip()
        return format_key(keys)

    rows = [
        (
            key("prompt.send", "enter"),
            "send the prompt",
            key("prompt.newline", "ctrl+j"),
            "new line",
        ),
        (key("pane.search", "f3"), "web search pane", key("pane.research", "f5"), "deep research"),
        (key("chat.new", "ctrl+n"), "new chat", key("app.help", "f1"), "every key"),
    ]
    lines = [f"Welcome to apex-tui — server: {server}.", ""]
    lines += [f"  {a:<8} {b:<18} {c:<8} {d}" for a, b, c, d in rows]
    lines += [
        "",
        "Pick a mode beside the prompt (web-search, deep-research…) and type below to start.",
    ]
    return "\n".join(lines)


class MainScreen(TurnFlows, PaneFlows, Screen[None]):
    """Everything a chat needs on one screen."""

    BINDINGS = [
        Binding("ctrl+n", "new_chat", "New chat", id="chat.new"),
        Binding("ctrl+g", "toggle_chat_type", "apex/gravity", show=False, id="chat.toggle_type"),
        Binding("ctrl+f", "focus_filter", "Filter chats", show=False, id="chat.filter"),
        Binding("ctrl+l", "focus_sessions", "Chat list", show=False, id="chat.focus_list"),
        Binding("ctrl+t", "chat_settings", "Chat settings", show=False, id="chat.settings"),
        *PaneFlows.PANE_BINDINGS,
        *TurnFlows.TURN_BINDINGS,
    ]

    def __init__(
        self,
        sync: ChatSync,
        config: Config,
        drafts: DraftStore,
        server: str,
        *,
        state_path: Path | None = None,
        sessions_prefetch: tuple[str, asyncio.Future[list[ChatSession]]] | None = None,
    ) -> None:
        super().__init__()
        self.sync = sync
        self._sessions_prefetch = sessions_prefetch
        self.config = config
        self.drafts = drafts
        self.server_description = server
        self.chat_type = config.defaults.chat_type if config.defaults.chat_type else "apex"
        sync.chat_type = self.chat_type
        self.chat_id: str | None = None
        self.turns: list[Turn] = []
        self._settings: dict[str | None, ChatSettings] = {}
        self._draft_timer: object | None = None
        self._job_store = JobStore(state_path / "research.json") if state_path else JobStore()
        self.init_turn_flows()
        self.init_pane_flows()

    def compose(self) -> ComposeResult:
        self.set_width_classes(self.app.size.width, panes_open=False)  # before anything mounts
        yield StatusLine(id="status-line")
        with Horizontal(id="body"):
            yield SessionsPane(self.chat_type, id="sessions")
            with Vertical(id="main-column"):
                with Horizontal(id="work"):
                    with Vertical(id="chat-column"):
                        yield Static(id="welcome", markup=False)
                        yield ConversationView(id="conversation")
                    yield Vertical(id="side")  # its panes mount after the first frame
                yield PromptBar(self.config.defaults.completion_type, id="prompt-bar")
        yield KeyHints()

    def on_mount(self) -> None:
        status = self.query_one(StatusLine)
        status.server = self.server_description
        status.chat_type = self.chat_type
        self.query_one("#welcome", Static).update(
            welcome_text(self.server_description, dict(self.config.keymap))
        )
        self.update_welcome()
        self._show_draft()
        self.prompt_bar.input.focus()
        self.layout_panes()
        self.load_sessions()
        # The side panes are not in the first frame: they mount once the chat list is shown
        # (load_sessions), or after this delay if the list is slow, or when a key needs them.
        self.set_timer(SIDE_PANES_DELAY, self.mount_side_panes)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "maximise":
            return bool(self.open_panes())
        return super().check_action(action, parameters)

    def on_resize(self, event: events.Resize) -> None:
        self.layout_panes(event.size.width)

    # --- shortcuts ---------------------------------------------------------------------------

    @property
    def sessions(self) -> SessionsPane:
        return self.query_one(SessionsPane)

    @property
    def draft_key(self) -> str:
        return self.chat_id or new_chat_key(self.chat_type)

    @property
    def settings(self) -> ChatSettings:
        """Settings of the open chat (a new chat starts from the config's defaults)."""
        if self.chat_id not in self._settings:
            self._settings[self.chat_id] = ChatSettings.from_config(self.config)
        return self._settings[self.chat_id]

    def report(self, what: str, error: ApexError) -> None:
        """Every service error becomes a toast: what failed, the server's words, what to do."""
        self.notify(f"{error.message}\n{error.hint}", title=what, severity="error", timeout=10)

    # --- sessions ----------------------------------------------------------------------------

    @work(exclusive=True, group="sessions")
    async def load_sessions(self) -> None:
        try:
            await self._load_sessions()
        finally:
            if self._panes is None:  # first load: the list's frame is painted, then the panes
                self.set_timer(SIDE_PANES_AFTER_LIST, self.mount_side_panes)

    async def _load_sessions(self) -> None:
        self.status.activity = "loading chats…"
        prefetch, self._sessions_prefetch = self._sessions_prefetch, None
        try:
            if prefetch is not None and prefetch[0] == self.chat_type:
                # Asked for when the app mounted: the server answers while this screen mounts.
                sessions = await prefetch[1]
            else:
                if prefetch is not None:
                    prefetch[1].cancel()
                sessions = await self.sync.client.get_chat_sessions(self.chat_type)
        except ApexError as exc:
            self.status.activity = f"chats not loaded: {exc.message}"
            self.report("Could not load your chats", exc)
            return
        self.status.activity = ""
        self.sessions.set_sessions(sessions, self.chat_type)
        if self.chat_id is not None:
            self.sessions.highlight(self.chat_id)

    def action_new_chat(self) -> None:
        if self.refuse_while_streaming("start a new chat"):
            return
        self._stash_draft()
        self.chat_id = None
        self.turns = []
        self._settings.pop(None, None)
        self.cancel_edit()
        self.view.clear()
        self.update_welcome()
        self._show_draft()
        self.prompt_bar.input.focus()

    def action_toggle_chat_type(self) -> None:
        if self.refuse_while_streaming("switch chat type"):
            return
        self._stash_draft()
        self.chat_type = CHAT_TYPES[(CHAT_TYPES.index(self.chat_type) + 1) % len(CHAT_TYPES)]
        self.sync.chat_type = self.chat_type
        self.status.chat_type = self.chat_type
        self.sessions.action_clear_filter()
        self.sessions.set_sessions([], self.chat_type)
        self.action_new_chat()
        self.load_sessions()

    def action_focus_filter(self) -> None:
        self.sessions.query_one("#chat-filter").focus()

    def action_focus_sessions(self) -> None:
        self.sessions.query_one("#chat-list").focus()

    @on(ChatChosen)
    def _open_chat(self, event: ChatChosen) -> None:
        if event.chat_id == self.chat_id or self.refuse_while_streaming("open another chat"):
            return
        self.open_chat_id(event.chat_id)

    def open_chat_id(self, chat_id: str) -> None:
        """Show a chat (the open one is reloaded from the server)."""
        if chat_id != self.chat_id:
            self._stash_draft()
            self.chat_id = chat_id
            self.turns = []
            self.cancel_edit()
            self.view.clear()
            self._show_draft()
        self.load_chat(chat_id)

    @work(exclusive=True, group="load-chat")
    async def load_chat(self, chat_id: str) -> None:
        self.status.activity = "loading chat…"
        try:
            turns = await self.sync.load_turns(chat_id)
        except ApexError as exc:
            self.status.activity = ""
            self.report("Could not open the chat", exc)
            return
        self.status.activity = ""
        if chat_id != self.chat_id:  # the user moved on meanwhile
            return
        self.turns = turns
        self.view.set_turns([turn_view(t) for t in turns])
        self.update_welcome()
        if turns:
            self.prompt_bar.completion_type = turns[-1].completion_type

    @on(SearchRequested)
    def _search(self, event: SearchRequested) -> None:
        self.search_chats(event.term)

    @work(exclusive=True, group="search")
    async def search_chats(self, term: str) -> None:
        self.status.activity = f"searching “{term}”…"
        try:
            ids = await self.sync.client.search_chat_ids(term)
        except ApexError as exc:
            self.status.activity = ""
            self.report("Search failed", exc)
            return
        self.status.activity = ""
        self.sessions.show_search(term, ids)
        shown = len(self.sessions.visible_ids)
        if not shown:
            self.notify(f"No {self.chat_type} chat mentions “{term}”.", title="Search")

    @on(RenameRequested)
    def _rename(self, event: RenameRequested) -> None:
        self.rename_chat(event.chat_id, event.old_title, event.new_title)

    @work(group="rename")
    async def rename_chat(self, chat_id: str, old_title: str, new_title: str) -> None:
        try:
            await self.sync.rename(chat_id, new_title)
        except ApexError as exc:
            self.sessions.set_title(chat_id, old_title)
            self.report(f"Rename refused; the title is back to “{old_title}”", exc)

    @on(DeleteRequested)
    def _delete(self, event: DeleteRequested) -> None:
        ids = event.chat_ids
        titles = [(s.title if (s := self.sessions.session(i)) else i) for i in ids]

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.delete_chats(ids)

        self.app.push_screen(ConfirmDeleteScreen(titles), confirmed)

    @work(group="delete-chats")
    async def delete_chats(self, chat_ids: list[str]) -> None:
        if self.chat_id in chat_ids and self.refuse_while_streaming("delete the open chat"):
            return
        try:
            ok = await self.sync.delete_chats(chat_ids)
        except ApexError as exc:
            self.report("Could not delete", exc)
            return
        if not ok:
            self.notify("The server did not delete them; reload and retry.", severity="warning")
            return
        self.sessions.remove_chats(chat_ids)
        for chat_id in chat_ids:
            self.drafts.set(chat_id, "")
        self._schedule_draft_save()
        if self.chat_id in chat_ids:
            self.action_new_chat()
        n = len(chat_ids)
        self.notify(f"Deleted {n} chat{'s' if n != 1 else ''}.")

    def note_chat_touched(self, chat_id: str, title: str = "") -> None:
        """Move a chat to the top of the list (new chats appear at once)."""
        now = datetime.now(UTC)
        session = self.sessions.session(chat_id)
        if session is None:
            session = ChatSession(id=chat_id, title=title, chat_type=self.chat_type, created_at=now)
        self.sessions.upsert(session.model_copy(update={"updated_at": now}))

    # --- per-chat settings -------------------------------------------------------------------

    @on(ChatSettingsRequested)
    def _chat_settings_requested(self) -> None:
        self.action_chat_settings()

    def action_chat_settings(self) -> None:
        session = self.sessions.session(self.chat_id) if self.chat_id else None
        title = f"“{session.title}”" if session else "the new chat"
        key = self.chat_id

        def apply(settings: ChatSettings | None) -> None:
            if settings is not None:
                self._settings[key] = settings
                self.notify("Chat settings applied to the next answers.")

        self.app.push_screen(ChatSettingsScreen(self.settings, title), apply)

    # --- drafts ------------------------------------------------------------------------------

    @on(DraftChanged)
    def _draft_changed(self, event: DraftChanged) -> None:
        if self.editing is None:  # an edit-and-resend buffer is not a draft
            self.drafts.set(self.draft_key, event.text)
            self._schedule_draft_save()

    def _schedule_draft_save(self) -> None:
        if self._draft_timer is None:
            self._draft_timer = self.set_timer(DRAFT_SAVE_DELAY, self.save_drafts)

    def save_drafts(self) -> None:
        self._draft_timer = None
        try:
            self.drafts.save()
        except OSError as exc:
            self.notify(
                f"Drafts could not be saved to {self.drafts.path}: {exc}. "
                "Check that the state folder is writable.",
                severity="warning",
            )

    def _stash_draft(self) -> None:
        if self.editing is None:
            self.drafts.set(self.draft_key, self.prompt_bar.text)
            self.save_drafts()

    def _show_draft(self) -> None:
        self.prompt_bar.load_draft(self.drafts.get(self.draft_key))
