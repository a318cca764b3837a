"""What the research pane knows about one job, and how a job looks in its list.

``JobView`` is UI state only: the tracking itself (polling, backoff, de-duplication, the watch
list on disk) lives in :mod:`apex_tui.services.research`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from rich.text import Text

from apex_tui.api.models import ParsedCompletion
from apex_tui.services.research import TERMINAL_STATUSES
from apex_tui.services.state import WatchedJob
from apex_tui.services.text_safety import json_text
from apex_tui.shorten import cell_width, shorten
from apex_tui.ui.safe_text import make_inert

Clock = Callable[[], datetime]

STATUS_MARKS = {
    "pending": ("○", "yellow"),
    "running": ("◐", "cyan"),
    "completed": ("✓", "green"),
    "failed": ("✗", "red"),
}


def parse_when(value: str | datetime | None) -> datetime | None:
    """An ISO 8601 time (the API's plain strings, ``Z`` or offset) as an aware datetime."""
    if value is None or isinstance(value, datetime):
        return value
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def format_elapsed(seconds: float) -> str:
    """``42s``, ``3m 05s``, ``1h 02m``: short enough for a list column."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m {seconds % 60:02d}s"
    return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m"


@dataclass
class JobView:
    """One job as the pane shows it: identity, progress, the text so far, the outcome."""

    job_id: str
    title: str = ""
    status: str = "pending"
    created_at: datetime | None = None
    updated_at: datetime | None = None
    text: str = ""
    """Every step's text so far, in ``seqId`` order."""
    steps: int = 0
    last_seq: int = 0
    report: str = ""
    error: str = ""
    notice: str = ""
    """A passing condition worth showing (e.g. "retrying after 503"); cleared by the next poll."""
    loaded: bool = False
    """The log has been fetched from the server (finished jobs are fetched when first opened)."""
    past: bool = False
    """Known only from a stored completion (GetCompletionsWithDeepResearcherEntry)."""
    chat_id: str = ""
    """The chat whose turn links the job (its report is written there), if any."""
    started_in_new_chat: bool = False
    """Submitted by this window from a new chat, which the job's turn makes: the window moves
    into that chat once the job is linked (only this window's submission says so)."""

    @property
    def done(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @classmethod
    def from_watched(cls, job: WatchedJob) -> JobView:
        return cls(
            job_id=job.job_id,
            title=job.prompt,
            status=job.status or "pending",
            created_at=parse_when(job.submitted_at),
            updated_at=parse_when(job.updated_at),
            chat_id=job.chat_id,
        )

    @classmethod
    def from_completion(cls, completion: ParsedCompletion) -> JobView | None:
        """A past job from a stored completion whose metadata links it; None when it does not."""
        entry: Any = (completion.metadata or {}).get("deep-researcher")
        if not isinstance(entry, dict) or not isinstance(entry.get("jobId"), str):
            return None
        status = entry.get("status") if isinstance(entry.get("status"), str) else "completed"
        created = entry.get("createdAt")
        return cls(
            job_id=entry["jobId"],
            title=completion.user_prompt_text,
            status=status or "completed",
            created_at=parse_when(created if isinstance(created, str) else None)
            or completion.created_at,
            report=completion.completion_text if status == "completed" else "",
            past=True,
            chat_id=completion.chat_id,
        )

    def elapsed(self, now: datetime) -> float:
        """Seconds from submission to now (running) or to the last update (finished)."""
        if self.created_at is None:
            return 0.0
        end = self.updated_at if self.done and self.updated_at else now
        return (end - self.created_at).total_seconds()

    def row(self, now: datetime, width: int = 10_000) -> Text:
        """The job's line in the list: status, start time, elapsed, steps, title; within
        ``width`` columns (the title ends at a whole word, the notice goes first)."""
        mark, colour = STATUS_MARKS.get(self.status, ("?", "magenta"))
        row = Text(no_wrap=True, overflow="ellipsis")
        row.append(f"{mark} {self.status:<9}", style=colour)
        if self.created_at is not None:
            local = self.created_at.astimezone()
            same_day = local.date() == now.astimezone().date()
            row.append(f" {local:%H:%M:%S}" if same_day else f" {local:%b %d %H:%M}", style="dim")
            row.append(f" {format_elapsed(self.elapsed(now)):>7}")
        steps = f"{self.steps} steps" if self.loaded or self.steps else "  …"
        row.append(f" {steps:>9}  ", style="dim")
        room = width - row.cell_len
        title = shorten(make_inert(self.title), max(1, room)) or self.job_id
        row.append(title, style="bold" if not self.done else "")
        notice = f"  ({make_inert(self.notice)})" if self.notice else ""
        if notice and row.cell_len + cell_width(notice) <= width:
            row.append(notice, style="italic yellow")
        return row

    def summary(self) -> Text:
        """The line above the log: id, status and, when there is one, the error or notice."""
        line = Text(no_wrap=False)
        line.append(f"Job {self.job_id}", style="bold")
        line.append(f" · {self.status}")
        if self.created_at is not None:
            line.append(f" · started {self.created_at.astimezone():%Y-%m-%d %H:%M:%S}")
        if self.error:
            line.append(f"\nFailed: {make_inert(self.error)}", style="bold red")
            line.append("\nStart a new research job to try again.", style="red")
        if self.notice:
            line.append(f"\n{make_inert(self.notice)}", style="italic yellow")
        return line

    def export_text(self) -> str:
        """A Markdown file: what was asked, when, how it ended, then the report (or the log)."""
        created = f"{self.created_at:%Y-%m-%d %H:%M:%S %Z}" if self.created_at else "unknown"
        head = [
            f"# Research: {' '.join(self.title.split()) or self.job_id}",
            "",
            f"- Job: `{self.job_id}`",
            f"- Status: {self.status}",
            f"- Started: {created}",
        ]
        if self.error:
            head.append(f"- Error: {self.error}")
        body = self.report or self.text
        return make_inert("\n".join(head) + "\n\n" + body.strip() + "\n")

    def export_json(self) -> str:
        """The job as JSON: question, status, times, error, the report and the whole log."""
        data = {
            "job_id": self.job_id,
            "question": self.title,
            "status": self.status,
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "error": self.error,
            "report": self.report,
            "log": self.text,
        }
        return json_text(data) + "\n"
