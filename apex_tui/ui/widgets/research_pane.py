"""The deep-research pane: every job, the selected job's live log, its report.

Tracking (submit, polling with backoff, ``seqId`` de-duplication, the watch list on disk) is
:class:`~apex_tui.services.research.ResearchTracker`'s job; the pane's
:class:`~apex_tui.ui.widgets.research_follow.JobFollower` runs one worker per followed job and
keeps each job's state. The pane draws the list, the selected job's log or report, and talks up
with messages (``SaveReportToChat``, ``JobFinished``). Mount it once and hide it with ``display``
rather than removing it, so jobs keep being followed (and announced) whatever is in view.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.css.query import NoMatches
from textual.message import Message
from textual.widgets import ContentSwitcher, Markdown, OptionList, Static
from textual.widgets.option_list import Option, OptionDoesNotExist

from apex_tui.api.models import ChatMessage
from apex_tui.ui.export import deliver_or_write
from apex_tui.ui.safe_text import make_inert
from apex_tui.ui.widgets.pane_copy import copy_out
from apex_tui.ui.widgets.research_checklist import ResearchChecklist
from apex_tui.ui.widgets.research_follow import JobFollower
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
        """The user wants this job's report stored in the open chat (research_report)."""

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
        self._follower = JobFollower(self, self, tracker, clock)
        self.export_dir = export_dir
        self._resume = resume
        self.selected: JobView | None = None

    @property
    def tracker(self) -> ResearchTracker | None:
        return self._follower.tracker

    @property
    def clock(self) -> Clock:
        return self._follower.clock

    @clock.setter
    def clock(self, clock: Clock) -> None:
        self._follower.clock = clock

    @property
    def jobs(self) -> dict[str, JobView]:
        """Jobs started or watched on this machine, by id."""
        return self._follower.jobs

    @property
    def past(self) -> dict[str, JobView]:
        """Jobs known only from stored completions (past research), by id."""
        return self._follower.past

    def compose(self) -> ComposeResult:
        yield Static("Deep research", id="research-heading", markup=False)
        yield OptionList(id="research-jobs")
        yield Static(id="research-summary", markup=False)
        yield ResearchChecklist(id="research-plan")
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
        self._follower.start(prompt, list(history or []), link_chat=link_chat)

    def resume_watched(self) -> None:
        """Pick up the jobs a previous run was watching; unfinished ones are followed again."""
        self._follower.resume_watched()

    def follow(self, job_id: str) -> None:
        """Follow a job in the background (a second call for the same job does nothing)."""
        self._follower.follow(job_id)

    # --- what the follower reports (JobDisplay) ------------------------------------------

    def jobs_changed(self) -> None:
        self._refresh_list()

    def job_changed(self, view: JobView) -> None:
        self._refresh_row(view)
        if self.selected is view:
            self._show_summary()

    def job_progressed(self, view: JobView, added: str, *, finished: bool) -> None:
        """Draw one update of the selected job: new log text, its outcome, its summary."""
        if self.selected is view:
            log = self.query_one(ResearchLog)
            if added:
                log.add(added)
            if finished:
                log.flush()
                self._show_outcome(view)
            self._show_summary()
        self._refresh_row(view)

    def log_loaded(self, view: JobView) -> None:
        self._refresh_row(view)
        if self.selected is view:
            self._show(view)

    def job_finished(self, view: JobView) -> None:
        self.post_message(self.JobFinished(view))

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
            self._follower.load_log(view)

    def _show_summary(self) -> None:
        if self.selected is not None:
            self.query_one("#research-summary", Static).update(self.selected.summary())
        self.query_one(ResearchChecklist).show(self.selected)

    def _show_outcome(self, view: JobView) -> None:
        """A finished job opens on its report; a failed one stays on its log (with the error)."""
        if view.report:
            self.query_one("#research-report", Markdown).update(make_inert(view.report))
            self.query_one(ContentSwitcher).current = "research-report-box"

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
        """Write the job (question, status, report or log) to a Markdown file (in a browser:
        a download)."""
        view = self.selected
        if view is None:
            return
        done = deliver_or_write(
            self.app,
            view.export_text(),
            f"research-{view.job_id[:8]}.md",
            self.export_dir or Path.cwd(),
        )
        self.app.notify(done.message, severity="error" if done.error else "information")

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
        self._follower.forget(view)
        self.selected = None
        self.query_one(ResearchLog).show("", finished=True)
        self.query_one("#research-summary", Static).update("")
        self.query_one(ResearchChecklist).show(None)
        self._refresh_list()
        self.app.notify(f"Forgot research job {view.job_id[:8]} (it stays on the server).")
        self._follower.load_past()

    def action_refresh_past(self) -> None:
        self._follower.load_past()
