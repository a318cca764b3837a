"""The deep-research pane: every job, the selected job's live log, its report.

Tracking (submit, polling with backoff, ``seqId`` de-duplication, the watch list on disk) is
:class:`~apex_tui.services.research.ResearchTracker`'s job; the pane runs one worker per followed
job, draws what each update brings and talks up with messages (``SaveReportToChat``,
``JobFinished``). Mount it once and hide it with ``display`` rather than removing it, so jobs
keep being followed (and announced) whatever is in view.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.css.query import NoMatches
from textual.message import Message
from textual.widgets import ContentSwitcher, Markdown, OptionList, Static
from textual.widgets.option_list import Option, OptionDoesNotExist
from textual.worker import Worker

from apex_tui.api.errors import ApexError
from apex_tui.api.models import ChatMessage
from apex_tui.services.research import ResearchUpdate
from apex_tui.ui.safe_text import make_inert
from apex_tui.ui.widgets.pane_copy import copy_out
from apex_tui.ui.widgets.research_jobs import Clock, JobView
from apex_tui.ui.widgets.research_log import ResearchLog

if TYPE_CHECKING:
    from apex_tui.services.research import ResearchTracker

PAST_PREFIX = "past:"


def _utc_now() -> datetime:
    return datetime.now(UTC)


class ResearchPane(Vertical):
    """Job list over the selected job's live log or final report."""

    DEFAULT_CSS = """
    ResearchPane { height: 1fr; }
    ResearchPane > #research-heading { height: 1; padding: 0 1; text-style: bold; }
    ResearchPane > #research-jobs { height: auto; max-height: 35%; min-height: 3; }
    ResearchPane > #research-summary { height: auto; max-height: 5; padding: 0 1; }
    ResearchPane > ContentSwitcher { height: 1fr; }
    ResearchPane #research-log { border-top: solid $primary; }
    ResearchPane #research-report-box { height: 1fr; border-top: solid $success; padding: 0 1; }
    """

    BINDINGS = [
        Binding("r", "toggle_report", "Report/log", id="research.toggle_report"),
        Binding("c", "copy", "Copy", id="research.copy"),
        Binding("e", "export", "Export", id="research.export"),
        Binding("s", "save_to_chat", "Save to chat", id="research.save_to_chat"),
        Binding("x", "forget", "Forget job", id="research.forget", show=False),
        Binding("g", "refresh_past", "Reload past", id="research.refresh", show=False),
    ]

    class SaveReportToChat(Message):
        """The user wants this job's report stored in the open chat (see research_controller)."""

        def __init__(self, job: JobView) -> None:
            super().__init__()
            self.job = job

    class JobFinished(Message):
        """A followed job reached a final status (the pane has already toasted and rung)."""

        def __init__(self, job: JobView) -> None:
            super().__init__()
            self.job = job

    def __init__(
        self,
        tracker: ResearchTracker | None = None,
        *,
        export_dir: Path | None = None,
        clock: Clock = _utc_now,
        resume: bool = True,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.tracker = tracker
        self.export_dir = export_dir
        self.clock = clock
        self._resume = resume
        self.jobs: dict[str, JobView] = {}
        self.past: dict[str, JobView] = {}
        self.selected: JobView | None = None
        self._followers: dict[str, Worker[None]] = {}

    def compose(self) -> ComposeResult:
        yield Static("Deep research", id="research-heading", markup=False)
        yield OptionList(id="research-jobs")
        yield Static(id="research-summary", markup=False)
        with ContentSwitcher(initial="research-log"):
            yield ResearchLog(id="research-log")
            with VerticalScroll(id="research-report-box"):
                yield Markdown(id="research-report", open_links=False)

    def on_mount(self) -> None:
        try:
            log, report_box = self.query_one(ResearchLog), self.query_one("#research-report-box")
        except NoMatches:  # the app quit while this (deferred) pane was mounting
            return
        log.border_title = "Progress log"
        report_box.border_title = "Report (r: log)"
        self.set_interval(1.0, self._tick_elapsed)
        if self._resume:
            self.resume_watched()
        self._refresh_list()

    # --- starting and following ----------------------------------------------------------

    def start_job(
        self, prompt: str, history: list[ChatMessage] | None = None, *, link_chat: bool = True
    ) -> None:
        """Submit a research job for ``prompt`` (after ``history``) and follow it."""
        if not prompt.strip():
            self.app.notify("Type a research question first.", severity="warning")
            return
        if self.tracker is None:
            self.app.notify("Not connected to a server — open Settings.", severity="error")
            return
        self._submit(prompt, list(history or []), link_chat)

    @work(group="research-submit")
    async def _submit(self, prompt: str, history: list[ChatMessage], link_chat: bool) -> None:
        assert self.tracker is not None
        try:
            job_id = await self.tracker.submit(prompt, history=history, link_chat=link_chat)
        except ApexError as err:
            self.app.notify(f"Research could not start: {err}", severity="error", timeout=10)
            return
        view = JobView(job_id, title=prompt, status="pending", created_at=self.clock(), loaded=True)
        watched = self.tracker.store.get(job_id)
        if watched is not None:
            view = JobView.from_watched(watched)
            view.loaded = True
        self.jobs[job_id] = view
        self.past.pop(job_id, None)
        self.select(job_id)
        self.follow(job_id)

    def resume_watched(self) -> None:
        """Pick up the jobs a previous run was watching; unfinished ones are followed again."""
        if self.tracker is None:
            return
        for watched in self.tracker.list_jobs():
            view = self.jobs.setdefault(watched.job_id, JobView.from_watched(watched))
            if not view.done:
                self.follow(watched.job_id)
        self._load_past()

    def follow(self, job_id: str) -> None:
        """Follow a job in the background (a second call for the same job does nothing)."""
        if job_id in self._followers or self.tracker is None:
            return
        self.jobs.setdefault(job_id, JobView(job_id))
        self._followers[job_id] = self._follow(job_id)

    @work(group="research-follow")
    async def _follow(self, job_id: str) -> None:
        assert self.tracker is not None
        view = self.jobs[job_id]
        try:
            # from_start: this run shows the whole log; the pane itself skips steps it has.
            async for update in self.tracker.follow(job_id, from_start=True):
                self._apply(view, update)
        except ApexError as err:
            view.notice = f"Stopped following: {err}"
            self.app.notify(
                f"Lost track of research job {job_id[:8]}: {err}", severity="error", timeout=10
            )
        except NoMatches:
            return  # the pane is being taken down while the app quits; the job stays watched
        finally:
            self._followers.pop(job_id, None)
        self._refresh_row(view)
        if self.selected is view:
            self._show_summary()

    def _apply(self, view: JobView, update: ResearchUpdate) -> None:
        """Draw one update: new steps (never one twice), status, outcome, notices."""
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
            self.app.notify(
                f"Research job {view.job_id[:8]}: {make_inert(update.notice)}", severity="warning"
            )
        view.notice = update.notice
        view.updated_at = self.clock()
        if update.done:
            view.report = update.report or view.report
            view.error = update.error
        if self.selected is view:
            log = self.query_one(ResearchLog)
            if added:
                log.add(added)
            if update.done:
                log.flush()
                self._show_outcome(view)
            self._show_summary()
        self._refresh_row(view)
        if update.done and was_live:
            self._announce(view)

    def _announce(self, view: JobView) -> None:
        """A toast and the terminal bell, whatever pane is in view."""
        title = " ".join(make_inert(view.title).split())[:50] or view.job_id[:8]
        if view.status == "completed":
            self.app.notify(f"Research finished: {title}", title="Deep research")
        else:
            self.app.notify(
                f"Research failed: {title} — {make_inert(view.error)}",
                title="Deep research",
                severity="error",
                timeout=10,
            )
        self.app.bell()
        self.post_message(self.JobFinished(view))
        self._load_past()

    # --- past research -------------------------------------------------------------------

    @work(exclusive=True, group="research-past")
    async def _load_past(self) -> None:
        """Completions that link a job (GetCompletionsWithDeepResearcherEntry), not watched here."""
        if self.tracker is None:
            return
        try:
            completions = await self.tracker.client.get_completions_with_deep_researcher_entry()
        except ApexError as err:
            self.app.notify(f"Past research could not be listed: {err}", severity="warning")
            return
        past: dict[str, JobView] = {}
        for completion in completions:
            view = JobView.from_completion(completion)
            if view is not None and view.job_id not in self.jobs and view.job_id not in past:
                past[view.job_id] = view
        self.past = past
        self._refresh_list()

    # --- the list ------------------------------------------------------------------------

    def _ordered(self) -> list[JobView]:
        epoch = datetime.min.replace(tzinfo=UTC)
        return sorted(self.jobs.values(), key=lambda v: v.created_at or epoch, reverse=True)

    def _refresh_list(self) -> None:
        now = self.clock()
        jobs = self.query_one("#research-jobs", OptionList)
        keep = jobs.highlighted_option.id if jobs.highlighted_option else None
        options: list[Option | None] = [Option(v.row(now), id=v.job_id) for v in self._ordered()]
        if self.past:
            options.append(Option(Text("Past research", style="bold dim"), disabled=True))
            options.extend(
                Option(v.row(now), id=PAST_PREFIX + v.job_id) for v in self.past.values()
            )
        jobs.set_options(options)
        if keep is not None:
            with contextlib.suppress(OptionDoesNotExist):
                jobs.highlighted = jobs.get_option_index(keep)
        self._update_heading()

    def _update_heading(self) -> None:
        running = sum(1 for v in self.jobs.values() if not v.done)
        heading = f"Deep research — {len(self.jobs)} job{'s' if len(self.jobs) != 1 else ''}"
        if running:
            heading += f", {running} running"
        if not self.jobs and not self.past:
            heading += " (start one from the prompt bar in research mode)"
        self.query_one("#research-heading", Static).update(heading)

    def _refresh_row(self, view: JobView) -> None:
        jobs = self.query_one("#research-jobs", OptionList)
        option_id = PAST_PREFIX + view.job_id if view.past else view.job_id
        try:
            jobs.replace_option_prompt(option_id, view.row(self.clock()))
        except OptionDoesNotExist:
            self._refresh_list()
            return
        self._update_heading()

    def _tick_elapsed(self) -> None:
        for view in self.jobs.values():
            if not view.done:
                self._refresh_row(view)

    # --- selection and display -----------------------------------------------------------

    @on(OptionList.OptionHighlighted, "#research-jobs")
    def _on_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        option_id = event.option.id or ""
        if option_id.startswith(PAST_PREFIX):
            view = self.past.get(option_id[len(PAST_PREFIX) :])
        else:
            view = self.jobs.get(option_id)
        if view is not None and view is not self.selected:
            self._show(view)

    def select(self, job_id: str) -> None:
        """Show a job (its list row is highlighted too)."""
        self._refresh_list()
        view = self.jobs.get(job_id) or self.past.get(job_id)
        if view is None:
            return
        jobs = self.query_one("#research-jobs", OptionList)
        option_id = PAST_PREFIX + job_id if view.past else job_id
        jobs.highlighted = jobs.get_option_index(option_id)
        self._show(view)

    def _show(self, view: JobView) -> None:
        self.selected = view
        self.query_one(ResearchLog).show(view.text, finished=view.done)
        self._show_summary()
        switcher = self.query_one(ContentSwitcher)
        if view.done and view.report:
            self._show_outcome(view)
        else:
            switcher.current = "research-log"
        if not view.loaded and (view.done or view.past):
            self._load_log(view)

    def _show_summary(self) -> None:
        if self.selected is not None:
            self.query_one("#research-summary", Static).update(self.selected.summary())

    def _show_outcome(self, view: JobView) -> None:
        """A finished job opens on its report; a failed one stays on its log (with the error)."""
        if view.report:
            self.query_one("#research-report", Markdown).update(make_inert(view.report))
            self.query_one(ContentSwitcher).current = "research-report-box"

    @work(group="research-fetch")
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
        self._refresh_row(view)
        if self.selected is view:
            self._show(view)

    # --- actions -------------------------------------------------------------------------

    def action_toggle_report(self) -> None:
        view = self.selected
        switcher = self.query_one(ContentSwitcher)
        if switcher.current == "research-report-box":
            switcher.current = "research-log"
        elif view is not None and view.report:
            self._show_outcome(view)
        else:
            self.app.notify("No report yet: it appears when the job completes.")

    def action_copy(self) -> None:
        """Copy the report (or, before there is one, the log) as Markdown source."""
        view = self.selected
        if view is None:
            return
        text, what = (view.report, "report") if view.report else (view.text, "log")
        if not text.strip():
            self.app.notify("Nothing to copy yet.", severity="warning")
            return
        copy_out(self.app, text, f"Research {what}")

    def action_export(self) -> None:
        """Write the job (question, status, report or log) to a Markdown file."""
        view = self.selected
        if view is None:
            return
        folder = self.export_dir or Path.cwd()
        path = folder / f"research-{view.job_id[:8]}.md"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path.write_text(view.export_text(), encoding="utf-8")
        except OSError as err:
            self.app.notify(
                f"Could not write {path}: {err.strerror or err}. Check the folder's permissions.",
                severity="error",
            )
            return
        self.app.notify(f"Exported to {path}")

    def action_save_to_chat(self) -> None:
        view = self.selected
        if view is None:
            return
        if not view.done:
            self.app.notify("The job is still running; save it when it has finished.")
            return
        self.post_message(self.SaveReportToChat(view))

    def action_forget(self) -> None:
        """Drop a finished job from this machine's watch list (the server keeps it)."""
        view = self.selected
        if view is None or view.past or self.tracker is None:
            return
        if not view.done:
            self.app.notify("The job is still running; forget it once it has finished.")
            return
        self.tracker.store.remove(view.job_id)
        del self.jobs[view.job_id]
        self.selected = None
        self.query_one(ResearchLog).show("", finished=True)
        self.query_one("#research-summary", Static).update("")
        self._refresh_list()
        self.app.notify(f"Forgot research job {view.job_id[:8]} (it stays on the server).")
        self._load_past()

    def action_refresh_past(self) -> None:
        self._load_past()
