"""The web-search and deep-research panes beside (or over) the conversation: mounting them,
placing them for the terminal's width, showing, focusing and maximising them.

Both panes are mounted once and hidden with ``display``, so searches finish and research jobs
keep being followed (and announced) whatever is in view. They are not part of the first frame:
:meth:`SidePanes.mount` imports and mounts them once the chat list is shown (or at once when a
key or command needs them), which keeps their modules (Markdown, markdown-it) and their styling
off the start-up path. Where they go depends on the width: beside the conversation from
``WIDE`` columns, below it from ``NARROW`` up, and over it (like maximised) below that.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input

from apex_tui.ui.widgets.key_hints import KeyHints
from apex_tui.ui.widgets.one_line import OneLine
from apex_tui.ui.widgets.prompt_bar import PLACEHOLDER, PromptBar
from apex_tui.ui.widgets.sessions import FILTER_PLACEHOLDER, SHORT_FILTER_PLACEHOLDER

if TYPE_CHECKING:
    from apex_tui.api.client import ApexClient
    from apex_tui.services.config import Config
    from apex_tui.services.state import JobStore
    from apex_tui.ui.widgets.research_pane import ResearchPane
    from apex_tui.ui.widgets.search_pane import SearchPane

WIDE = 140
"""From this width the panes sit right of the conversation."""
NARROW = 100
"""Below this width an open pane covers the conversation (the prompt bar stays)."""
SHORT_PLACEHOLDER = "Ask Apex…  (Enter sends)"


class SidePanes:
    """The ``#side`` column of the screen and the two panes in it."""

    def __init__(
        self,
        screen: Screen[None],
        client: ApexClient,
        job_store: JobStore,
        config: Callable[[], Config],
    ) -> None:
        self.screen = screen
        self._client = client
        self._job_store = job_store
        self._config = config
        self._panes: tuple[SearchPane, ResearchPane] | None = None
        self._ready = False
        self._waiters: list[Callable[[], object]] = []
        self._mode_before_research: str | None = None

    @property
    def prompt_bar(self) -> PromptBar:
        return self.screen.query_one(PromptBar)

    # --- the panes, mounted after the first frame ----------------------------------------------

    @property
    def created(self) -> bool:
        """The panes exist (they may still be mounting)."""
        return self._panes is not None

    @property
    def ready(self) -> bool:
        """The panes are mounted, with their children."""
        return self._ready

    def mount(self) -> None:
        """Create and mount both panes (once; hidden). The research pane then resumes the
        watched jobs. Their children exist once mounted: use :meth:`when_ready` to act on them."""
        if self._panes is not None:
            return
        try:
            side = self.screen.query_one("#side")
        except NoMatches:  # not composed yet
            return
        if not side.is_attached:  # the app is exiting (a quit before the delayed mount)
            return
        from apex_tui.services.research import ResearchTracker
        from apex_tui.ui.widgets.research_pane import ResearchPane
        from apex_tui.ui.widgets.search_pane import SearchPane

        search = self._config().search
        search_pane = SearchPane(
            self._client,
            n_miners=search.n_miners,
            n_results=search.n_results,
            max_response_time=search.max_response_time,
            id="search-pane",
        )
        search_pane.display = False
        tracker = ResearchTracker(self._client, self._job_store)
        research_pane = ResearchPane(tracker, id="research-pane")
        research_pane.display = False
        self._panes = (search_pane, research_pane)
        mounting = side.mount(search_pane, research_pane)

        async def mounted() -> None:
            await mounting
            self._ready = True
            waiters, self._waiters = self._waiters, []
            for waiter in waiters:
                waiter()

        self.screen.call_later(mounted)

    def when_ready(self, callback: Callable[[], object]) -> None:
        """Run ``callback`` now if the panes are mounted, else as soon as they are."""
        if self._ready:
            callback()
            return
        self._waiters.append(callback)
        self.mount()

    async def mounted(self) -> None:
        """Wait until the panes are mounted (mounting them now if they were not yet)."""
        if not self._ready:
            done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self.when_ready(lambda: None if done.done() else done.set_result(None))
            await done

    def open_panes(self) -> list[Widget]:
        """The panes on show (none before they are mounted)."""
        return [p for p in self._panes if p.display] if self._panes else []

    @property
    def search_pane(self) -> SearchPane:
        """The search pane (created now if it was not yet; see :meth:`when_ready`)."""
        self.mount()
        if self._panes is None:
            raise NoMatches("the search pane is not mounted (the screen is not composed)")
        return self._panes[0]

    @property
    def research_pane(self) -> ResearchPane:
        self.mount()
        if self._panes is None:
            raise NoMatches("the research pane is not mounted (the screen is not composed)")
        return self._panes[1]

    # --- layout ------------------------------------------------------------------------------

    def layout(self, width: int | None = None) -> None:
        """Place the side column for this width and the panes shown."""
        screen = self.screen
        width = width if width is not None else screen.size.width
        try:
            side = screen.query_one("#side")
        except NoMatches:  # not composed yet
            return
        open_panes = self.open_panes()
        side.display = bool(open_panes)
        side.set_class(len(open_panes) == 2, "-both")
        self.set_width_classes(width, bool(open_panes))
        narrow = width < NARROW
        screen.query_one(KeyHints).compact = narrow
        self.prompt_bar.input.placeholder = SHORT_PLACEHOLDER if narrow else PLACEHOLDER
        chat_filter = screen.query_one("#chat-filter", Input)
        chat_filter.placeholder = SHORT_FILTER_PLACEHOLDER if narrow else FILTER_PLACEHOLDER
        if not open_panes:
            screen.remove_class("-maximised")
        self._say_way_back(open_panes)
        screen.refresh_bindings()

    def _say_way_back(self, open_panes: list[Widget]) -> None:
        """The line over a pane that covers the chat: how to get the chat back."""
        names = " and ".join(
            "web search" if p is self.search_pane else "research" for p in open_panes
        )
        if self.screen.has_class("-maximised"):
            back = f"{names.capitalize()} · F9: the chat beside it again · Esc closes"
        else:
            back = f"{names.capitalize()} · Esc closes it: back to the chat"
        self.screen.query_one("#side-back", OneLine).say(back)

    def set_width_classes(self, width: int, panes_open: bool) -> None:
        """The screen's layout classes for this width. Called once before the widgets mount
        too: adding a class to a mounted screen restyles every widget (~0.1-0.2 s at start)."""
        self.screen.set_class(width < NARROW, "-narrow")
        self.screen.set_class(NARROW <= width < WIDE, "-stacked")
        self.screen.set_class(width >= WIDE, "-beside")
        self.screen.set_class(panes_open and width < NARROW, "-covered")

    # --- showing and focusing ----------------------------------------------------------------

    def show(self, pane: Widget, show: bool = True, *, focus: bool = True) -> None:
        """Show (and focus, unless ``focus`` is False) or hide ``pane``; hiding it gives its
        focus back to the prompt."""
        pane.display = show
        self.layout()
        focused = self.screen.focused
        if show:
            if focus:
                pane.focus() if pane.can_focus else self.focus_inside(pane)
            return
        if pane is self.research_pane:
            self._restore_mode()
        if focused is None or pane in focused.ancestors_with_self:
            self.prompt_bar.input.focus()

    def _no_research_yet(self) -> bool:
        research = self.research_pane
        return not research.jobs and not research.past

    def _ask_for_research(self) -> None:
        """No job to look at, so the next keystrokes are the question: the cursor goes to the
        prompt, in deep-research mode (the mode it had comes back when the pane closes with
        the prompt still empty). Typed into the empty job list, a question would be lost to
        the list's keys (r, c, e, s)."""
        bar = self.prompt_bar
        if bar.completion_type != "deep-research":
            self._mode_before_research = bar.completion_type
            bar.completion_type = "deep-research"
        bar.input.focus()

    def close_waiting_research(self, focused: Widget | None) -> bool:
        """Esc in the prompt F5 put the cursor in (no job yet) closes the research pane again,
        as Esc closes a pane the focus is in. True when it did."""
        panes = self.open_panes()
        if self._panes is None or self._panes[1] not in panes:
            return False
        if focused is not self.prompt_bar.input or not self._no_research_yet():
            return False
        self.show(self.research_pane, False)
        return True

    def _restore_mode(self) -> None:
        before, self._mode_before_research = self._mode_before_research, None
        bar = self.prompt_bar
        if before is not None and bar.completion_type == "deep-research" and not bar.text:
            bar.completion_type = before

    def focus_inside(self, pane: Widget) -> None:
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
        focused = self.screen.focused
        focused_inside = focused is not None and pane in focused.ancestors_with_self
        if pane is self.research_pane and self._no_research_yet():
            if pane.display and (focused_inside or focused is self.prompt_bar.input):
                self.show(pane, False)  # the prompt is where F5 put the cursor
            else:
                self.show(pane, True, focus=False)
                self._ask_for_research()
            return
        if not pane.display:
            self.show(pane, True)
        elif not focused_inside:
            self.focus_inside(pane)
        else:
            self.show(pane, False)

    def uncover(self) -> bool:
        """Panes that cover the chat (80 columns, or maximised) step aside so the chat and its
        list show again: closed at 80 columns, back beside the chat when maximised. True when
        something moved."""
        screen = self.screen
        moved = screen.has_class("-maximised") or screen.has_class("-covered")
        if screen.has_class("-maximised"):
            screen.remove_class("-maximised")
            self._say_way_back(self.open_panes())
        if screen.has_class("-covered"):
            for pane in self.open_panes():
                self.show(pane, False)
        return moved

    def toggle_search(self) -> None:
        self.when_ready(lambda: self._toggle(self.search_pane))

    def toggle_research(self) -> None:
        self.when_ready(lambda: self._toggle(self.research_pane))

    def focus_search_query(self) -> None:
        """Show the search pane and put the cursor in its query box."""

        def focus() -> None:
            if not self.search_pane.display:
                self.show(self.search_pane, True)
            self.search_pane.action_focus_query()

        self.when_ready(focus)

    def maximise(self) -> None:
        """The open pane fills the screen (and takes the focus), or goes back."""
        screen = self.screen
        if not self.open_panes():
            screen.notify("Open the search (F3) or research (F5) pane first.")
            return
        screen.toggle_class("-maximised")
        self._say_way_back(self.open_panes())
        if screen.has_class("-maximised") and not self._focus_in_side():
            pane = self.search_pane if self.search_pane.display else self.research_pane
            self.focus_inside(pane)

    def _focus_in_side(self) -> bool:
        focused = self.screen.focused
        return focused is not None and any(
            p in focused.ancestors_with_self for p in self.open_panes()
        )

    def toggle_sidebar(self) -> None:
        """Hide or show the chat list (its focus goes to the prompt)."""
        sessions = self.screen.query_one("#sessions")
        sessions.display = not sessions.display
        focused = self.screen.focused
        if not sessions.display and focused is not None and sessions in focused.ancestors_with_self:
            self.prompt_bar.input.focus()

    def cycle_focus(self) -> None:
        """Prompt → conversation → open panes → chat list → prompt (only what is visible)."""
        screen = self.screen
        prompt = self.prompt_bar.input
        areas: list[Widget] = [prompt, screen.query_one("#conversation")]
        areas += self.open_panes()
        areas.append(screen.query_one("#chat-list"))
        visible = [a for a in areas if a.is_on_screen or a is prompt]
        focused = screen.focused
        current = next(
            (i for i, a in enumerate(visible) if focused and a in focused.ancestors_with_self),
            -1,
        )
        target = visible[(current + 1) % len(visible)]
        if target.id in ("search-pane", "research-pane"):
            self.focus_inside(target)
        else:
            target.focus()
