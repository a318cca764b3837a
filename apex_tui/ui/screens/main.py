"""The main screen: sessions pane | conversation (+ search / research panes) over the prompt bar,
a status line and the footer.

The screen composes the widgets, owns one controller per flow and routes its key bindings and
the widgets' messages to them (``apex_tui.ui.controllers``):

- ``OpenChat``: which chat is open, its turns and each chat's settings (plain state; what
  outlives a run, the last chat and settings not sent yet, is ``services.chat_memory``'s);
- ``ChatSettingsFlow``: the open chat's settings dialog and what the prompt bar says of them;
- ``DraftKeeper``: the prompt bar's draft per chat;
- ``ChatListController``: the chat list (load, search, rename, delete);
- ``SidePanes``: mounting, placing, showing and focusing the search and research panes;
- ``SearchResearchController``: attached sources, a web-search answer's sources, research jobs
  and their reports;
- ``TurnController``: send and stream, stop, regenerate, edit, delete and copy turns;
- ``BranchSwitcher``: moving to another branch of the chat (``<`` ``>``, a click on "‹ ›"),
  deleting a turn and what follows from it;
- ``SelectionCopier``: copying a mouse selection (``y``, Ctrl+C; ``Y`` as Markdown);
- ``UnsavedAnswers``: answers the server did not save (reported, kept, restored at start);
- ``ChatExporter``: the open chat to a Markdown or JSON file (or a browser download).

Opening a chat (new, another type, from the list) stays here: it touches every flow. The
rest is one thin method per key and message, routed to a flow: that is why this module is over
400 lines.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Input, Static, TextArea

from apex_tui.api.errors import ApexError
from apex_tui.services.chat_memory import ChatMemory
from apex_tui.services.chat_sync import ChatSettings, ChatSync
from apex_tui.services.config import Config, state_dir
from apex_tui.services.keymap import usable_keymap
from apex_tui.services.state import JobStore
from apex_tui.ui.controllers.branches import BRANCH_ACTIONS, BranchSwitcher
from apex_tui.ui.controllers.chat_list import ChatListController, SessionsPrefetch
from apex_tui.ui.controllers.chat_settings_flow import ChatSettingsFlow
from apex_tui.ui.controllers.exports import ChatExporter
from apex_tui.ui.controllers.open_chat import OpenChat
from apex_tui.ui.controllers.prompt_drafts import DraftKeeper
from apex_tui.ui.controllers.search_research import SearchResearchController
from apex_tui.ui.controllers.selection import (
    SELECTION_ACTIONS,
    SELECTION_BINDINGS,
    SelectionCopier,
)
from apex_tui.ui.controllers.side_panes import SidePanes
from apex_tui.ui.controllers.turn_view import branch_views
from apex_tui.ui.controllers.turns import TURN_ACTIONS, TurnController
from apex_tui.ui.controllers.unsaved import UnsavedAnswers
from apex_tui.ui.drafts import DraftStore
from apex_tui.ui.messages import (
    ChatChosen,
    ChatSettingsRequested,
    DeleteRequested,
    DraftChanged,
    PromptSubmitted,
    RenameRequested,
    SearchRequested,
)
from apex_tui.ui.toasts import report
from apex_tui.ui.welcome import update_welcome, welcome_text
from apex_tui.ui.widgets.conversation import ConversationView
from apex_tui.ui.widgets.key_hints import KeyHints
from apex_tui.ui.widgets.one_line import OneLine
from apex_tui.ui.widgets.prompt_bar import RESEARCH_MODE, PromptBar
from apex_tui.ui.widgets.sessions import SessionsPane
from apex_tui.ui.widgets.status_line import StatusLine

if TYPE_CHECKING:
    from apex_tui.ui.widgets.research_pane import ResearchPane
    from apex_tui.ui.widgets.search_pane import SearchPane

CHAT_TYPES = ("apex", "gravity")
SIDE_PANES_DELAY = 1.5
"""Seconds after mounting by which the search/research panes are mounted at the latest."""
SIDE_PANES_AFTER_LIST = 0.1
"""...or this long after the chat list was filled (a frame or more: the list shows first)."""

# The ctrl- and F-keys work wherever the focus is (priority: a remapped key that a text box
# also binds stays the app's; services.keymap keeps them off keys that type text).
CHAT_BINDINGS = [
    Binding("ctrl+n", "new_chat", "New chat", priority=True, id="chat.new"),
    Binding(
        "ctrl+g",
        "toggle_chat_type",
        "apex/gravity",
        show=False,
        priority=True,
        id="chat.toggle_type",
    ),
    Binding("ctrl+f", "focus_filter", "Filter chats", show=False, priority=True, id="chat.filter"),
    Binding(
        "ctrl+l", "focus_sessions", "Chat list", show=False, priority=True, id="chat.focus_list"
    ),
    Binding(
        "ctrl+t", "chat_settings", "Chat settings", show=False, priority=True, id="chat.settings"
    ),
    Binding("i", "focus_prompt", "Prompt", id="chat.focus_prompt"),
    Binding("escape", "back", "Close pane / back to prompt", show=False, id="chat.back"),
]
PANE_BINDINGS = [
    Binding("f3", "toggle_search", "Search", priority=True, id="pane.search"),
    Binding("f5", "toggle_research", "Research", priority=True, id="pane.research"),
    Binding("f9", "maximise", "Maximise", priority=True, id="pane.maximise"),
    Binding("ctrl+o", "cycle_focus", "Next area", show=False, priority=True, id="pane.next_area"),
    Binding(
        "ctrl+b", "toggle_sidebar", "Chat list on/off", show=False, priority=True, id="pane.sidebar"
    ),
]
TURN_BINDINGS = [
    Binding("escape", "stop", "Stop", priority=True, id="chat.stop"),
    Binding("escape", "cancel_edit", "Cancel edit", priority=True, id="chat.cancel_edit"),
    Binding("ctrl+r", "regenerate", "Regenerate", show=False, priority=True, id="chat.regenerate"),
    Binding("c", "copy_answer", "Copy answer", id="chat.copy_answer"),
    Binding("b", "copy_code", "Copy code", id="chat.copy_code"),
    Binding("e", "edit_turn", "Edit & resend", id="chat.edit"),
    Binding("d,delete", "delete_turn", "Delete turn", id="chat.delete_turn"),
    Binding("less_than_sign,alt+left", "previous_branch", "‹ Branch", id="chat.previous_branch"),
    Binding("greater_than_sign,alt+right", "next_branch", "Branch ›", id="chat.next_branch"),
]


class MainScreen(Screen[None]):
    """Everything a chat needs on one screen."""

    BINDINGS = [*CHAT_BINDINGS, *PANE_BINDINGS, *TURN_BINDINGS, *SELECTION_BINDINGS]

    def __init__(
        self,
        sync: ChatSync,
        config: Config,
        drafts: DraftStore,
        server: str,
        *,
        state_path: Path | None = None,
        sessions_prefetch: SessionsPrefetch | None = None,
    ) -> None:
        super().__init__()
        self.sync = sync
        self.config = config
        self.server_description = server
        chat_type = config.defaults.chat_type if config.defaults.chat_type else "apex"
        sync.chat_type = chat_type
        job_store = JobStore(state_path / "research.json") if state_path else JobStore()
        memory = ChatMemory((state_path or state_dir()) / "chats.json")
        # The flows, each handed what it needs of the others (late: they are built in turn).
        self.chat = OpenChat(
            chat_type, lambda: self.config, memory, lambda: self.chat_settings.schedule_save()
        )
        self.chat_settings = ChatSettingsFlow(
            self, self.chat, lambda: self.config, lambda key: self.sessions.session(key)
        )
        self.drafts = DraftKeeper(self, drafts, self.chat)
        self.panes = SidePanes(self, sync.client, job_store, lambda: self.config)
        self.chat_list = ChatListController(
            self,
            sync,
            self.chat,
            self.drafts,
            prefetch=sessions_prefetch,
            refuse_while_streaming=lambda what: self.turn_flow.refuse_while_streaming(what),
            open_chat_deleted=self.action_new_chat,
        )
        self.search_flow = SearchResearchController(
            self,
            sync.client,
            self.chat,
            self.panes,
            is_streaming=lambda: self.turn_flow.streaming,
            reload_chats=self.load_sessions,
            open_chat=self.open_chat_id,
            adopt_chat=self.adopt_chat,
        )
        self.unsaved = UnsavedAnswers(self, sync)
        self.exporter = ChatExporter(self, self.chat, lambda key: self.sessions.session(key))
        self.turn_flow = TurnController(
            self, sync, self.chat, self.drafts, self.search_flow, self.chat_list, self.unsaved
        )
        self.branch_flow = BranchSwitcher(
            self,
            sync,
            self.chat,
            refuse_while_streaming=self.turn_flow.refuse_while_streaming,
            cancel_edit=self.turn_flow.cancel_edit,
        )
        self.selection = SelectionCopier(self)

    def compose(self) -> ComposeResult:
        self.panes.set_width_classes(self.app.size.width, panes_open=False)  # before any mount
        yield StatusLine(id="status-line")
        with Horizontal(id="body"):
            yield SessionsPane(self.chat.chat_type, id="sessions")
            with Vertical(id="main-column"):
                with Horizontal(id="work"):
                    with Vertical(id="chat-column"):
                        yield Static(id="welcome", markup=False)
                        yield ConversationView(id="conversation")
                    with Vertical(id="side"):  # its panes mount after the first frame
                        yield OneLine(id="side-back")
                yield PromptBar(self.config.defaults.completion_type, id="prompt-bar")
        yield KeyHints()

    def on_mount(self) -> None:
        status = self.status
        status.server = self.server_description
        status.chat_type = self.chat.chat_type
        self.query_one("#welcome", Static).update(
            welcome_text(self.server_description, usable_keymap(self.config.keymap))
        )
        update_welcome(self)
        self.drafts.show()
        self.prompt_bar.input.focus()
        self.panes.layout()
        if self.chat.memory.load_error:  # the last chat and unsent settings are lost
            self.notify(self.chat.memory.load_error, severity="warning", timeout=10)
        last = self.chat.memory.last_chat(self.chat.chat_type)
        if last is not None:  # the app starts on the chat the user was in
            self.query_one("#welcome").display = False
            self.open_chat_id(last, restoring=True)
        self.chat_settings.show()
        self.load_sessions()
        self.unsaved.start()  # answers a server did not save last time go back now
        # The side panes are not in the first frame: they mount once the chat list is shown
        # (load_sessions), or after this delay if the list is slow, or when a key needs them.
        self.set_timer(SIDE_PANES_DELAY, self.panes.mount)

    def on_unmount(self) -> None:
        with contextlib.suppress(OSError):  # reported while running; nothing more to do now
            self.chat.memory.save()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "focus_prompt":  # shown where a letter is not typed into a box
            return not isinstance(self.focused, Input | TextArea)
        if action == "maximise":
            return bool(self.panes.open_panes())
        if action in TURN_ACTIONS:
            return self.turn_flow.allows(action)
        if action in BRANCH_ACTIONS:
            return self.branch_flow.allows()
        if action in SELECTION_ACTIONS:
            return self.selection.allows()
        return True

    def on_resize(self, event: events.Resize) -> None:
        self.panes.layout(event.size.width)

    # --- shortcuts (widgets, and the state tests and benchmarks read) -------------------------

    @property
    def sessions(self) -> SessionsPane:
        return self.query_one(SessionsPane)

    @property
    def view(self) -> ConversationView:
        return self.query_one(ConversationView)

    @property
    def prompt_bar(self) -> PromptBar:
        return self.query_one(PromptBar)

    @property
    def status(self) -> StatusLine:
        return self.query_one(StatusLine)

    @property
    def search_pane(self) -> SearchPane:
        return self.panes.search_pane

    @property
    def research_pane(self) -> ResearchPane:
        return self.panes.research_pane

    @property
    def chat_id(self) -> str | None:
        return self.chat.chat_id

    @property
    def chat_type(self) -> str:
        return self.chat.chat_type

    @property
    def settings(self) -> ChatSettings:
        return self.chat.settings

    @property
    def streaming(self) -> bool:
        return self.turn_flow.streaming

    # --- opening chats -----------------------------------------------------------------------

    @work(exclusive=True, group="sessions")
    async def load_sessions(self) -> None:
        try:
            await self.chat_list.load()
        finally:
            if not self.panes.created:  # first load: the list's frame is painted, then the panes
                self.set_timer(SIDE_PANES_AFTER_LIST, self.panes.mount)

    def action_new_chat(self) -> None:
        if self.turn_flow.refuse_while_streaming("start a new chat"):
            return
        self.stash_draft()
        self.chat.start_new()
        self.turn_flow.cancel_edit()
        self.view.clear()
        update_welcome(self)
        self.drafts.show()
        self.chat_settings.show()
        self.prompt_bar.input.focus()

    def action_toggle_chat_type(self) -> None:
        if self.turn_flow.refuse_while_streaming("switch chat type"):
            return
        self.stash_draft()
        chat_type = CHAT_TYPES[(CHAT_TYPES.index(self.chat.chat_type) + 1) % len(CHAT_TYPES)]
        self.chat.chat_type = chat_type
        self.sync.chat_type = chat_type
        self.status.chat_type = chat_type
        self.sessions.action_clear_filter()
        self.sessions.set_sessions([], chat_type)
        last = self.chat.memory.last_chat(chat_type)  # that type's chat open last, if any
        if last is not None:
            self.open_chat_id(last, restoring=True)
        else:
            self.action_new_chat()
        self.load_sessions()

    def action_focus_filter(self) -> None:
        self.panes.uncover()  # a pane covering the list (80 columns) steps aside
        self.sessions.query_one("#chat-filter").focus()

    def action_focus_sessions(self) -> None:
        self.panes.uncover()
        self.sessions.query_one("#chat-list").focus()

    def action_focus_prompt(self) -> None:
        self.prompt_bar.input.focus()

    def action_back(self) -> None:
        """Esc where nothing nearer takes it: close the pane the focus is in, else the panes
        that cover the chat (80 columns, or maximised: their top line says Esc brings the chat
        back), else go back to the prompt (what the next keystroke is most likely meant for)."""
        focused = self.focused
        for pane in self.panes.open_panes():
            if focused is not None and pane in focused.ancestors_with_self:
                self.panes.show(pane, False)
                return
        if self.panes.close_waiting_research(focused):
            return
        self.panes.uncover()
        self.prompt_bar.input.focus()

    @on(ChatChosen)
    def _open_chat(self, event: ChatChosen) -> None:
        if event.chat_id == self.chat.chat_id:
            self.prompt_bar.input.focus()  # the next keystroke is a prompt for it
            return
        if self.turn_flow.refuse_while_streaming("open another chat"):
            return
        self.open_chat_id(event.chat_id)

    def open_chat_id(self, chat_id: str, *, restoring: bool = False) -> None:
        """Show a chat (the open one is reloaded from the server). Another chat gives the
        prompt the focus; reloading the open one (a research job's turn arrived) leaves the
        focus where the user is. ``restoring``: the chat open last time, which may have been
        deleted meanwhile."""
        if chat_id != self.chat.chat_id:
            self.stash_draft()
            self.chat.open(chat_id)
            self.turn_flow.cancel_edit()
            self.view.clear()
            self.drafts.show()
            self.chat_settings.show()
            self.prompt_bar.input.focus()
        self.load_chat(chat_id, restoring)

    def adopt_chat(self, chat_id: str) -> None:
        """A chat the server made for the new chat becomes the open one (its draft and settings
        move to it, as on a first send)."""
        if self.chat.chat_id is None:
            self.drafts.move_new_chat_draft(chat_id)
            self.chat.created(chat_id, self.chat.settings)
        self.open_chat_id(chat_id)

    @work(exclusive=True, group="load-chat")
    async def load_chat(self, chat_id: str, restoring: bool = False) -> None:
        self.status.activity = "loading chat…"
        try:
            turns = await self.sync.load_turns(chat_id)
        except ApexError as exc:
            self.status.activity = ""
            if chat_id != self.chat.chat_id:
                return
            if restoring and exc.code == "not_found":  # gone since: the welcome instead
                self.action_new_chat()
                return
            update_welcome(self)
            report(self, "Could not open the chat", exc)
            return
        self.status.activity = ""
        if chat_id != self.chat.chat_id:  # the user moved on meanwhile
            return
        self.chat.load(turns)
        shown = self.chat.turns  # the branch shown: its last answer's settings are the chat's
        self.chat.took_stored(chat_id, shown)
        self.chat_settings.show()
        self.view.set_turns(branch_views(self.chat.tree, shown))
        update_welcome(self)
        asked = [t for t in shown if "deep-researcher" not in t.metadata]  # not a job's turn
        if asked:
            self.prompt_bar.completion_type = asked[-1].completion_type

    # --- the chat list's requests ------------------------------------------------------------

    @on(SearchRequested)
    def _search(self, event: SearchRequested) -> None:
        self.chat_list.search(event.term)

    @on(RenameRequested)
    def _rename(self, event: RenameRequested) -> None:
        self.chat_list.rename(event.chat_id, event.old_title, event.new_title)

    @on(DeleteRequested)
    def _delete(self, event: DeleteRequested) -> None:
        self.chat_list.ask_delete(event.chat_ids)

    # --- per-chat settings -------------------------------------------------------------------

    @on(ChatSettingsRequested)
    def _chat_settings_requested(self) -> None:
        self.action_chat_settings()

    def action_chat_settings(self) -> None:
        self.chat_settings.edit()

    # --- drafts ------------------------------------------------------------------------------

    @on(DraftChanged)
    def _draft_changed(self, event: DraftChanged) -> None:
        if self.turn_flow.editing is None:  # an edit-and-resend buffer is not a draft
            self.drafts.keep(event.text)

    def stash_draft(self) -> None:
        """Keep what the prompt bar holds now (the ``DraftChanged`` of its last keys may still
        be queued: on quit or hang-up they would never arrive), and save it, with what the
        app remembers of its chats."""
        if self.turn_flow.editing is None:
            self.drafts.stash()
        self.chat_settings.save()

    # --- turns -------------------------------------------------------------------------------

    @on(PromptSubmitted)
    def _submitted(self, event: PromptSubmitted) -> None:
        if event.completion_type == RESEARCH_MODE:  # a research job runs beside any stream
            self.search_flow.start_research(event.text)
            self.drafts.clear_prompt()
            return
        self.turn_flow.submit(event.text, event.completion_type)

    def action_stop(self) -> None:
        self.turn_flow.stop()

    def action_cancel_edit(self) -> None:
        self.turn_flow.cancel_edit()

    def action_regenerate(self) -> None:
        self.turn_flow.regenerate()

    def action_edit_turn(self) -> None:
        self.turn_flow.edit()

    def action_delete_turn(self) -> None:
        self.branch_flow.ask_delete(self.turn_flow.target_turn())

    def action_copy_answer(self) -> None:
        self.turn_flow.copy_answer()

    def action_copy_code(self) -> None:
        self.turn_flow.copy_code()

    def action_previous_branch(self) -> None:
        self.branch_flow.switch(-1)

    def action_next_branch(self) -> None:
        self.branch_flow.switch(1)

    def on_conversation_view_branch_clicked(self, message: ConversationView.BranchClicked) -> None:
        self.branch_flow.switch(message.step, message.key)

    # --- the mouse selection -----------------------------------------------------------------

    def on_click(self, event: events.Click) -> None:
        self.selection.clicked(event)  # a double or triple click outside the conversation

    def on_text_selected(self) -> None:
        self.refresh_bindings()  # the copy keys show while something is selected

    def action_copy_text(self) -> None:
        self.selection.copy_or_skip()  # Ctrl+C (Textual's binding), the app's clipboard path

    def action_copy_selection(self) -> None:
        self.selection.copy()

    def action_copy_selection_markdown(self) -> None:
        self.selection.copy(markdown=True)

    # --- the side panes ----------------------------------------------------------------------

    def action_toggle_search(self) -> None:
        self.panes.toggle_search()

    def action_toggle_research(self) -> None:
        self.panes.toggle_research()

    def action_maximise(self) -> None:
        self.panes.maximise()

    def action_cycle_focus(self) -> None:
        self.panes.cycle_focus()

    def action_toggle_sidebar(self) -> None:
        self.panes.toggle_sidebar()

    def action_export_chat(self) -> None:
        self.exporter.export()

    def action_export_report(self) -> None:
        """Export the research pane's selected job (the pane is shown to pick one if none is)."""

        def export() -> None:
            pane = self.research_pane
            if pane.selected is None:
                self.panes.show(pane, True)
            pane.action_export()

        self.panes.when_ready(export)

    def on_search_pane_attach_results(self, message: SearchPane.AttachResults) -> None:
        self.search_flow.attach(message.results)

    def on_research_pane_job_started(self, message: ResearchPane.JobStarted) -> None:
        self.search_flow.research_started(message.job)

    def on_research_pane_job_finished(self, message: ResearchPane.JobFinished) -> None:
        # The pane has toasted and rung; the job's linked chat changed on the server.
        self.search_flow.research_finished(message.job)

    def on_research_pane_save_report_to_chat(self, message: ResearchPane.SaveReportToChat) -> None:
        self.search_flow.save_report_asked(message.job)
