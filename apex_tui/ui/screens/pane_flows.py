"""The web-search and deep-research panes on the main screen: showing, focusing, maximising,
and what their messages mean for the chat (attached sources, reports saved into chats).

Both panes are mounted once and hidden with ``display``, so searches finish and research jobs
keep being followed (and announced) whatever is in view. They are not part of the first frame:
``mount_side_panes`` imports and mounts them once the chat list is shown (or at once when a key
or command needs them), which keeps their modules (Markdown, markdown-it) and their styling off
the start-up path. Where they go depends on the width:
beside the conversation from ``WIDE`` columns, below it from ``NARROW`` up, and over it (like
maximised) below that.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import work
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widget import Widget

from apex_tui.api.errors import ApexError
from apex_tui.api.models import WebSearchResult
from apex_tui.services.chat_sync import history_messages, search_sources
from apex_tui.ui.research_controller import store_report_in_chat
from apex_tui.ui.widgets.key_hints import KeyHints
from apex_tui.ui.widgets.prompt_bar import PLACEHOLDER

if TYPE_CHECKING:
    from apex_tui.services.chat_sync import ChatSettings, ChatSync, Turn
    from apex_tui.services.config import Config
    from apex_tui.services.state import JobStore
    from apex_tui.ui.widgets.prompt_bar import PromptBar
    from apex_tui.ui.widgets.research_jobs import JobView
    from apex_tui.ui.widgets.research_pane import ResearchPane
    from apex_tui.ui.widgets.search_pane import SearchPane

WIDE = 140
"""From this width the panes sit right of the conversation."""
NARROW = 100
"""Below this width an open pane covers the conversation (the prompt bar stays)."""
SHORT_PLACEHOLDER = "Ask Apex…  (Enter sends)"


class PaneFlows(Screen[None]):
    """Mixed into MainScreen; MainScreen sets the state attributes and composes the panes."""

    PANE_BINDINGS = [
        Binding("f3", "toggle_search", "Search", id="pane.search"),
        Binding("f5", "toggle_research", "Research", id="pane.research"),
        Binding("f9", "maximise", "Maximise", id="pane.maximise"),
        Binding("ctrl+o", "cycle_focus", "Next area", show=False, id="pane.next_area"),
        Binding("ctrl+b", "toggle_sidebar", "Chat list on/off", show=False, id="pane.sidebar"),
    ]

    sync: ChatSync
    config: Config
    _job_store: JobStore
    chat_id: str | None
    chat_type: str
    turns: list[Turn]
    streaming: bool

    if TYPE_CHECKING:

        @property
        def prompt_bar(self) -> PromptBar: ...
        def report(self, what: str, error: ApexError) -> None: ...
        def load_sessions(self) -> object: ...
        def load_chat(self, chat_id: str) -> object: ...
        def open_chat_id(self, chat_id: str) -> None: ...

    def init_pane_flows(self) -> None:
        self.attached: list[WebSearchResult] = []
        self._panes: tuple[SearchPane, ResearchPane] | None = None
        self._panes_ready = False
        self._pane_waiters: list[Callable[[], object]] = []

    # --- the panes, mounted after the first frame ----------------------------------------------

    def mount_side_panes(self) -> None:
        """Create and mount both panes (once; hidden). The research pane then resumes the
        watched jobs. Their children exist once mounted: use :meth:`with_panes` to act on them."""
        if self._panes is not None:
            return
        try:
            side = self.query_one("#side")
        except NoMatches:  # not composed yet
            return
        from apex_tui.services.research import ResearchTracker
        from apex_tui.ui.widgets.research_pane import ResearchPane
        from apex_tui.ui.widgets.search_pane import SearchPane

        search = self.config.search
        search_pane = SearchPane(
            self.sync.client,
            n_miners=search.n_miners,
            n_results=search.n_results,
            max_response_time=search.max_response_time,
            id="search-pane",
        )
        search_pane.display = False
        tracker = ResearchTracker(self.sync.client, self._job_store)
        research_pane = ResearchPane(tracker, id="research-pane")
        research_pane.display = False
        self._panes = (search_pane, research_pane)
        mounting = side.mount(search_pane, research_pane)

        async def mounted() -> None:
            await mounting
            self._panes_ready = True
            waiters, self._pane_waiters = self._pane_waiters, []
            for waiter in waiters:
                waiter()

        self.call_later(mounted)

    def with_panes(self, callback: Callable[[], object]) -> None:
        """Run ``callback`` now if the panes are mounted, else as soon as they are."""
        if self._panes_ready:
            callback()
            return
        self._pane_waiters.append(callback)
        self.mount_side_panes()

    async def panes_mounted(self) -> None:
        if not self._panes_ready:
            done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self.with_panes(lambda: None if done.done() else done.set_result(None))
            await done

    def open_panes(self) -> list[Widget]:
        """The panes on show (none before they are mounted)."""
        return [p for p in self._panes if p.display] if self._panes else []

    @property
    def search_pane(self) -> SearchPane:
        """The search pane (created now if it was not yet; see :meth:`with_panes`)."""
        self.mount_side_panes()
        if self._panes is None:
            raise NoMatches("the search pane is not mounted (the screen is not composed)")
        return self._panes[0]

    @property
    def research_pane(self) -> ResearchPane:
        self.mount_side_panes()
        if self._panes is None:
            raise NoMatches("the research pane is not mounted (the screen is not composed)")
        return self._panes[1]

    # --- layout ------------------------------------------------------------------------------

    def pane_shown(self, pane: Widget) -> bool:
        return bool(pane.display)

    def layout_panes(self, width: int | None = None) -> None:
        """Place the side column for this width and the panes shown."""
        width = width if width is not None else self.size.width
        try:
            side = self.query_one("#side")
        except NoMatches:  # not composed yet
            return
        open_panes = self.open_panes()
        side.display = bool(open_panes)
        self.set_width_classes(width, bool(open_panes))
        self.query_one(KeyHints).compact = width < NARROW
        self.prompt_bar.input.placeholder = SHORT_PLACEHOLDER if width < NARROW else PLACEHOLDER
        if not open_panes:
            self.remove_class("-maximised")
        self.refresh_bindings()

    def set_width_classes(self, width: int, panes_open: bool) -> None:
        """The screen's layout classes for this width. Called once before the widgets mount
        too: adding a class to a mounted screen restyles every widget (~0.1-0.2 s at start)."""
        self.set_class(width < NARROW, "-narrow")
        self.set_class(NARROW <= width < WIDE, "-stacked")
        self.set_class(panes_open and width < NARROW, "-covered")

    def _show_pane(self, pane: Widget, show: bool) -> None:
        pane.display = show
        self.layout_panes()
        if show:
            pane.focus() if pane.can_focus else self._focus_inside(pane)
        elif self.focused is None or pane in self.focused.ancestors_with_self:
            self.prompt_bar.input.focus()

    def _focus_inside(self, pane: Widget) -> None:
        search = self.search_pane
        if pane is search:
            target = search.query_one("#search-query")
            if search.current is not None and search.current.results:
                target = search.query_one("#search-results")
        else:
            target = pane.query_one("#research-jobs")
        target.focus()

    def _toggle(self, pane: Widget) -> None:
        """Hidden → shown and focused; shown elsewhere → focused; focused → hidden."""
        focused_inside = self.focused is not None and pane in self.focused.ancestors_with_self
        if not pane.display:
            self._show_pane(pane, True)
        elif not focused_inside:
            self._focus_inside(pane)
        else:
            self._show_pane(pane, False)

    def action_toggle_search(self) -> None:
        self.with_panes(lambda: self._toggle(self.search_pane))

    def action_toggle_research(self) -> None:
        self.with_panes(lambda: self._toggle(self.research_pane))

    def focus_search_query(self) -> None:
        """Show the search pane and put the cursor in its query box."""

        def focus() -> None:
            if not self.search_pane.display:
                self._show_pane(self.search_pane, True)
            self.search_pane.action_focus_query()

        self.with_panes(focus)

    def action_maximise(self) -> None:
        if not self.open_panes():
            self.notify("Open the search (F3) or research (F5) pane first.")
            return
        self.toggle_class("-maximised")
        if self.has_class("-maximised") and not self._focus_in_side():
            pane = self.search_pane if self.search_pane.display else self.research_pane
            self._focus_inside(pane)

    def _focus_in_side(self) -> bool:
        focused = self.focused
        return focused is not None and any(
            p in focused.ancestors_with_self for p in self.open_panes()
        )

    def action_toggle_sidebar(self) -> None:
        sessions = self.query_one("#sessions")
        sessions.display = not sessions.display
        focused = self.focused
        if not sessions.display and focused is not None and sessions in focused.ancestors_with_self:
            self.prompt_bar.input.focus()

    def action_cycle_focus(self) -> None:
        """Prompt → conversation → open panes → chat list → prompt (only what is visible)."""
        areas: list[Widget] = [self.prompt_bar.input, self.query_one("#conversation")]
        areas += self.open_panes()
        areas.append(self.query_one("#chat-list"))
        visible = [a for a in areas if a.is_on_screen or a is self.prompt_bar.input]
        current = next(
            (
                i
                for i, a in enumerate(visible)
                if self.focused and a in self.focused.ancestors_with_self
            ),
            -1,
        )
        target = visible[(current + 1) % len(visible)]
        if target.id in ("search-pane", "research-pane"):
            self._focus_inside(target)
        else:
            target.focus()

    # --- searching ---------------------------------------------------------------------------

    def web_search(self, query: str) -> None:
        """Run a search in the pane (shown if hidden), from the palette or the prompt bar."""

        def search() -> None:
            if not self.search_pane.display:
                self._show_pane(self.search_pane, True)
            self.search_pane.search(query)
            self.search_pane.query_one("#search-results").focus()

        self.with_panes(search)

    async def fetch_sources(self, prompt: str, settings: ChatSettings) -> list[WebSearchResult]:
        """The sources of a web-search answer, asked for as ``ChatSync`` would (one miner's
        ranked list, so the numbers the answer cites match), and shown in the search pane."""
        sources = await search_sources(self.sync.client, prompt, settings)
        await self.panes_mounted()
        self.search_pane.show_sources(
            prompt,
            sources,
            n_miners=1,
            n_results=settings.search_results,
            max_response_time=settings.search_max_time,
        )
        return sources

    def on_search_pane_attach_results(self, message: SearchPane.AttachResults) -> None:
        known = {r.url for r in self.attached}
        self.attached += [r for r in message.results if r.url not in known or not r.url]
        self.prompt_bar.show_attached(len(self.attached))

    def take_attached(self) -> list[WebSearchResult] | None:
        """The attached results for the next send (None when there are none)."""
        return list(self.attached) if self.attached else None

    def clear_attached(self) -> None:
        self.attached = []
        self.prompt_bar.show_attached(0)

    # --- research ----------------------------------------------------------------------------

    def start_research(self, question: str) -> None:
        """Start a job for ``question`` with the conversation so far as its messages."""
        if not question.strip():
            self.notify("Type a research question in the prompt first.", severity="warning")
            return
        history = history_messages(self.turns, question)[:-1]

        def start() -> None:
            if not self.research_pane.display:
                self._show_pane(self.research_pane, True)
            self.research_pane.start_job(question, history)

        self.with_panes(start)

    def on_research_pane_job_finished(self, message: ResearchPane.JobFinished) -> None:
        # The pane has toasted and rung; the job's linked chat changed on the server.
        self.load_sessions()

    def on_research_pane_save_report_to_chat(self, message: ResearchPane.SaveReportToChat) -> None:
        if self.streaming:
            self.notify(
                "An answer is still streaming; save the report when it has finished.",
                severity="warning",
            )
            return
        self.save_report(message.job)

    @work(group="save-report")
    async def save_report(self, job: JobView) -> None:
        chat_id = self.chat_id
        try:
            saved = await store_report_in_chat(
                self.sync.client,
                job,
                chat_id=chat_id,
                chat_type=self.chat_type,
            )
        except ApexError as exc:
            self.report("The report was not saved", exc)
            return
        where = "a new chat" if saved.new_chat else "this chat"
        self.notify(f"Report saved to {where}.", title="Deep research")
        self.load_sessions()
        if self.chat_id == chat_id and not self.streaming:
            self.open_chat_id(saved.chat_id)
