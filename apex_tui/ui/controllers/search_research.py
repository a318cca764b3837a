"""What the web-search and research panes mean for the chat: results attached to the next
prompt, the sources of a web-search answer, research jobs started from the conversation, and
finished reports saved into a chat.

The panes only display and ask (``SearchPane.AttachResults``, ``ResearchPane.SaveReportToChat``);
the screen routes those messages here. Showing the panes is :class:`SidePanes`' job.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.screen import Screen

from apex_tui.api.errors import ApexError
from apex_tui.api.models import WebSearchResult
from apex_tui.services.chat_sync import ChatSettings, history_messages, search_sources
from apex_tui.services.completion_types import sources_message
from apex_tui.ui.controllers.open_chat import OpenChat
from apex_tui.ui.controllers.research_report import store_report_in_chat
from apex_tui.ui.controllers.side_panes import SidePanes
from apex_tui.ui.toasts import report
from apex_tui.ui.widgets.prompt_bar import PromptBar
from apex_tui.ui.workers import start_worker

if TYPE_CHECKING:
    from apex_tui.api.client import ApexClient
    from apex_tui.ui.widgets.research_jobs import JobView


class SearchResearchController:
    """Attached sources, web searches asked for by the chat, research jobs and their reports."""

    def __init__(
        self,
        screen: Screen[None],
        client: ApexClient,
        chat: OpenChat,
        panes: SidePanes,
        *,
        is_streaming: Callable[[], bool],
        reload_chats: Callable[[], object],
        open_chat: Callable[[str], None],
        adopt_chat: Callable[[str], None],
    ) -> None:
        """``open_chat`` shows (or reloads) a chat; ``adopt_chat`` makes a chat created for the
        new chat (a research job started from it) the open one, as its first send would."""
        self.screen = screen
        self._client = client
        self.chat = chat
        self.panes = panes
        self._is_streaming = is_streaming
        self._reload_chats = reload_chats
        self._open_chat = open_chat
        self._adopt_chat = adopt_chat
        self.attached: list[WebSearchResult] = []
        """Questions of jobs started from the new chat, whose chat is not known yet."""

    @property
    def prompt_bar(self) -> PromptBar:
        return self.screen.query_one(PromptBar)

    # --- searching ---------------------------------------------------------------------------

    def web_search(self, query: str) -> None:
        """Run a search in the pane (shown if hidden), from the palette or the prompt bar."""
        panes = self.panes

        def search() -> None:
            if not panes.search_pane.display:
                panes.show(panes.search_pane, True)
            panes.search_pane.search(query)
            panes.search_pane.query_one("#search-results").focus()

        panes.when_ready(search)

    async def fetch_sources(self, prompt: str, settings: ChatSettings) -> list[WebSearchResult]:
        """The sources of a web-search answer, asked for as ``ChatSync`` would (one miner's
        ranked list, so the numbers the answer cites match), and shown in the search pane."""
        sources = await search_sources(self._client, prompt, settings)
        await self.panes.mounted()
        self.panes.search_pane.show_sources(
            prompt,
            sources,
            n_miners=1,
            n_results=settings.search_results,
            max_response_time=settings.search_max_time,
        )
        return sources

    # --- attached sources --------------------------------------------------------------------

    def attach(self, results: list[WebSearchResult]) -> None:
        """Results the user picked in the search pane go with the next prompt (once each)."""
        known = {r.url for r in self.attached}
        self.attached += [r for r in results if r.url not in known or not r.url]
        self.prompt_bar.show_attached(len(self.attached))

    def take_attached(self) -> list[WebSearchResult] | None:
        """The attached results for the next send (None when there are none)."""
        return list(self.attached) if self.attached else None

    def clear_attached(self) -> None:
        self.attached = []
        self.prompt_bar.show_attached(0)

    # --- research ----------------------------------------------------------------------------

    def start_research(self, question: str) -> None:
        """Start a job for ``question`` with the conversation so far (and the attached sources)
        as its messages; the job is a turn of the open chat (a new chat's first)."""
        if not question.strip():
            self.screen.notify("Type a research question in the prompt first.", severity="warning")
            return
        history = history_messages(self.chat.turns, question)[:-1]
        sources = self.take_attached()
        if sources:  # they go with the job, as with a prompt, and leave the prompt bar
            history = [sources_message(sources), *history]
            self.clear_attached()
        chat_id, chat_type = self.chat.chat_id, self.chat.chat_type
        shown = self.chat.turns  # the job's turn follows the end of the branch shown
        branch = self.chat.tree.place_after(shown[-1].completion_id if shown else None).metadata()
        panes = self.panes

        def start() -> None:
            if not panes.research_pane.display:
                panes.show(panes.research_pane, True)
            panes.research_pane.start_job(
                question, history, chat_id=chat_id, chat_type=chat_type, branch=branch
            )
            if sources:
                n = len(sources)
                self.screen.notify(f"Research started with the {n} attached source{'s' * (n > 1)}.")

        panes.when_ready(start)

    def research_started(self, job: JobView) -> None:
        """The job's turn is in its chat: the list shows it at once, the open chat shows it."""
        self._reload_chats()
        if not job.chat_id or self._is_streaming():
            return
        if job.started_in_new_chat and self.chat.chat_id is None:
            self._adopt_chat(job.chat_id)
        elif job.chat_id == self.chat.chat_id:
            self._open_chat(job.chat_id)  # reloaded: the question and "Researching…"

    def research_finished(self, job: JobView) -> None:
        """The report replaced "Researching…" in the job's chat: show it if that one is open."""
        self._reload_chats()
        if job.chat_id and job.chat_id == self.chat.chat_id and not self._is_streaming():
            self._open_chat(job.chat_id)

    def save_report_asked(self, job: JobView) -> None:
        """The research pane asks to have ``job``'s report in a chat. A job linked to a chat
        has it there already (one chat per job): that chat is opened. Otherwise, or when
        another stored chat is open, the report is added to the open chat."""
        if self._is_streaming():
            self.screen.notify(
                "An answer is still streaming; save the report when it has finished.",
                severity="warning",
            )
            return
        open_id = self.chat.chat_id
        if job.chat_id and open_id in (None, job.chat_id):
            where = "this chat" if open_id == job.chat_id else "its own chat, opened now"
            self._open_chat(job.chat_id)
            self.screen.notify(f"The report is in {where}.", title="Deep research")
            return
        start_worker(self.screen, self.save_report, job, group="save-report")

    async def save_report(self, job: JobView) -> None:
        chat_id = self.chat.chat_id
        shown = self.chat.turns
        place = self.chat.tree.place_after(shown[-1].completion_id if shown else None)
        try:
            saved = await store_report_in_chat(
                self._client,
                job,
                chat_id=chat_id,
                chat_type=self.chat.chat_type,
                place=place if chat_id is not None else None,
            )
        except ApexError as exc:
            report(self.screen, "The report was not saved", exc)
            return
        where = "a new chat" if saved.new_chat else "this chat"
        self.screen.notify(f"Report saved to {where}.", title="Deep research")
        self._reload_chats()
        if self.chat.chat_id == chat_id and not self._is_streaming():
            self._open_chat(saved.chat_id)
