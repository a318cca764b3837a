"""Following research jobs for the research pane: start, resume, follow, announce, list the past.

Tracking (submit, polling with backoff, ``seqId`` de-duplication, the watch list on disk) is
:class:`~apex_tui.services.research.ResearchTracker`'s job. The follower keeps what the pane
knows of each job (a :class:`JobView`), runs one worker per followed job on the pane, applies each
update to its ``JobView`` and announces a job's end (a toast and the bell, whatever is in view);
the pane is told what to redraw through :class:`JobDisplay`.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol

from textual.css.query import NoMatches

from apex_tui.api.errors import ApexError
from apex_tui.shorten import shorten
from apex_tui.ui.safe_text import make_inert
from apex_tui.ui.toasts import report
from apex_tui.ui.widgets.research_jobs import Clock, JobView

if TYPE_CHECKING:
    from textual.widget import Widget
    from textual.worker import Worker

    from apex_tui.api.models import ChatMessage
    from apex_tui.services.research import ResearchTracker, ResearchUpdate

__all__ = ["JobDisplay", "JobFollower"]


class JobDisplay(Protocol):
    """What the follower asks of the pane that shows the jobs."""

    def select(self, job_id: str) -> None:
        """Show this job (a job just started)."""

    def jobs_changed(self) -> None:
        """Jobs came or went (the list is drawn again)."""

    def job_changed(self, view: JobView) -> None:
        """A job's state changed (its row, and its summary if it is shown)."""

    def job_progressed(self, view: JobView, added: str, *, finished: bool) -> None:
        """An update brought `added` log text (and, when `finished`, the outcome)."""

    def log_loaded(self, view: JobView) -> None:
        """A job's log was fetched (show it again if it is the one shown)."""

    def job_started(self, view: JobView) -> None:
        """A job submitted here is on the server (and its chat, when it is linked to one)."""

    def job_finished(self, view: JobView) -> None:
        """A followed job reached a final status (after the toast and the bell)."""


class JobFollower:
    """The jobs of this run and the past ones, kept up to date through the tracker."""

    def __init__(
        self, owner: Widget, display: JobDisplay, tracker: ResearchTracker | None, clock: Clock
    ) -> None:
        """Workers run on `owner` (they end with it); `display` redraws what changed."""
        self._owner = owner
        self._display = display
        self.tracker = tracker
        self.clock = clock
        self.jobs: dict[str, JobView] = {}
        """Jobs started or watched on this machine, by id."""
        self.past: dict[str, JobView] = {}
        """Jobs known only from stored completions (past research), by id."""
        self._followers: dict[str, Worker[None]] = {}

    def _run(
        self,
        work: Callable[[], Coroutine[Any, Any, None]],
        name: str,
        group: str,
        *,
        exclusive: bool = False,
    ) -> Worker[None]:
        """A worker on the owner, as ``@work(group=..., exclusive=...)`` would start it.

        When the app quits, the pane's children go before its workers are cancelled: a worker
        that resumes in between finds no job list to draw on, and that is no error (it made
        a window closed with Ctrl+Q exit with status 1 now and then)."""

        async def run() -> None:
            try:
                await work()
            except NoMatches:
                if self._owner.app.return_code is None:  # not quitting: a real fault
                    raise

        return self._owner.run_worker(run, name=name, group=group, exclusive=exclusive)

    # --- starting and following ----------------------------------------------------------

    def start(
        self,
        prompt: str,
        history: list[ChatMessage],
        *,
        link_chat: bool,
        chat_id: str | None = None,
        chat_type: str = "apex",
        branch: dict[str, Any] | None = None,
    ) -> None:
        """Submit a research job for ``prompt`` (after ``history``) and follow it; linked to
        ``chat_id`` (the chat it was started from, at the place ``branch`` says) or to a new
        chat of ``chat_type``."""
        app = self._owner.app
        if not prompt.strip():
            app.notify("Type a research question first.", severity="warning")
            return
        if self.tracker is None:
            app.notify("Not connected to a server — open Settings.", severity="error")
            return
        submit = partial(self._submit, prompt, history, link_chat, chat_id, chat_type, branch)
        self._run(submit, "_submit", "research-submit")

    async def _submit(
        self,
        prompt: str,
        history: list[ChatMessage],
        link_chat: bool,
        chat_id: str | None,
        chat_type: str,
        branch: dict[str, Any] | None,
    ) -> None:
        assert self.tracker is not None
        try:
            job_id = await self.tracker.submit(
                prompt,
                history=history,
                link_chat=link_chat,
                chat_id=chat_id,
                chat_type=chat_type,
                branch=branch,
            )
        except ApexError as err:
            self._owner.app.notify(f"Research could not start: {err}", severity="error", timeout=10)
            return
        view = JobView(job_id, title=prompt, status="pending", created_at=self.clock(), loaded=True)
        watched = self.tracker.store.get(job_id)
        if watched is not None:
            view = JobView.from_watched(watched)
            view.loaded = True
        view.started_in_new_chat = link_chat and chat_id is None
        self.jobs[job_id] = view
        self.past.pop(job_id, None)
        self._display.select(job_id)
        self._display.job_started(view)
        self.follow(job_id)

    def resume_watched(self) -> None:
        """Pick up the jobs a previous run was watching; unfinished ones are followed again."""
        if self.tracker is None:
            return
        for watched in self.tracker.list_jobs():
            view = self.jobs.setdefault(watched.job_id, JobView.from_watched(watched))
            if not view.done:
                self.follow(watched.job_id)
        self.load_past()

    def follow(self, job_id: str) -> None:
        """Follow a job in the background (a second call for the same job does nothing)."""
        if job_id in self._followers or self.tracker is None:
            return
        self.jobs.setdefault(job_id, JobView(job_id))
        self._followers[job_id] = self._run(
            partial(self._follow, job_id), "_follow", "research-follow"
        )

    async def _follow(self, job_id: str) -> None:
        assert self.tracker is not None
        view = self.jobs[job_id]
        try:
            # from_start: this run shows the whole log; the pane itself skips steps it has.
            async for update in self.tracker.follow(job_id, from_start=True):
                self.apply(view, update)
        except ApexError as err:
            view.notice = f"Stopped following: {err}"
            self._owner.app.notify(
                f"Lost track of research job {job_id[:8]}: {err}", severity="error", timeout=10
            )
        except NoMatches:
            return  # the pane is being taken down while the app quits; the job stays watched
        finally:
            self._followers.pop(job_id, None)
        self._display.job_changed(view)

    def apply(self, view: JobView, update: ResearchUpdate) -> None:
        """Take in one update: new steps (never one twice), status, outcome, notices."""
        was_live = not view.done
        fresh = [step for step in update.steps if step.seq_id > view.last_seq]
        added = "".join(step.text for step in fresh)
        if fresh:
            view.last_seq = fresh[-1].seq_id
            view.steps += len(fresh)
            view.text += added
        view.loaded = True
        view.status = update.status or view.status
        if update.notice and not view.notice:
            # Once per episode of trouble, not once per failed poll.
            self._owner.app.notify(
                f"Research job {view.job_id[:8]}: {make_inert(update.notice)}", severity="warning"
            )
        view.notice = update.notice
        view.updated_at = self.clock()
        if update.done:
            view.report = update.report or view.report
            view.error = update.error
        self._display.job_progressed(view, added, finished=update.done)
        if update.done and was_live:
            self._announce(view)

    def _announce(self, view: JobView) -> None:
        """A toast and the terminal bell, whatever pane is in view."""
        app = self._owner.app
        title = shorten(make_inert(view.title), 40) or view.job_id[:8]
        if view.status == "completed":
            app.notify(f"Research finished: {title}", title="Deep research")
        else:
            app.notify(
                f"Research failed: {title} — {make_inert(view.error)}",
                title="Deep research",
                severity="error",
                timeout=10,
            )
        app.bell()
        self._display.job_finished(view)
        self.load_past()

    def forget(self, view: JobView) -> None:
        """Drop a job from this machine's watch list (the server keeps it)."""
        assert self.tracker is not None
        self.tracker.store.remove(view.job_id)
        del self.jobs[view.job_id]

    # --- past research and logs ----------------------------------------------------------

    def load_past(self) -> None:
        """List the completions that link a job (GetCompletionsWithDeepResearcherEntry)."""
        self._run(self._load_past, "_load_past", "research-past", exclusive=True)

    async def _load_past(self) -> None:
        """Completions that link a job, except the jobs watched here."""
        if self.tracker is None:
            return
        try:
            completions = await self.tracker.client.get_completions_with_deep_researcher_entry()
        except ApexError as err:
            report(self._owner, "Past research could not be listed", err)
            return
        past: dict[str, JobView] = {}
        for completion in completions:
            view = JobView.from_completion(completion)
            if view is not None and view.job_id not in self.jobs and view.job_id not in past:
                past[view.job_id] = view
        self.past = past
        self._display.jobs_changed()

    def load_log(self, view: JobView) -> None:
        """Fetch the log of a job not followed in this run (once, when it is first shown)."""
        self._run(partial(self._load_log, view), "_load_log", "research-fetch")

    async def _load_log(self, view: JobView) -> None:
        """A job not followed in this run (finished, or known from another client): fetch its
        steps as they stand, once; nothing is marked as shown in the watch list."""
        assert self.tracker is not None
        try:
            update = await self.tracker.fetch(view.job_id)
        except ApexError as err:
            view.notice = f"Log not available: {err}"
            view.loaded = True
        else:
            view.loaded = True
            view.status = update.status or view.status
            view.steps = len(update.steps)
            view.last_seq = update.steps[-1].seq_id if update.steps else 0
            view.text = "".join(step.text for step in update.steps)
            view.report = update.report or view.report
            view.error = update.error
        self._display.log_loaded(view)
