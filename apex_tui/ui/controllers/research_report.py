"""Saving a finished research report into a chat, as the Apex web app stored it.

The research pane only *asks* (``ResearchPane.SaveReportToChat``); the app shell knows which chat
is open and calls :func:`store_report_in_chat` in a worker. The completion carries
``metadata["deep-researcher"] = {jobId, status, createdAt}`` (shared/apex-api.md §3.2) so
GetCompletionsWithDeepResearcherEntry lists it as past research.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from apex_tui.api.models import format_timestamp
from apex_tui.services.branches import NewTurnPlace

if TYPE_CHECKING:
    from apex_tui.api.client import ApexClient
    from apex_tui.api.models import StoredChatCompletion
    from apex_tui.ui.widgets.research_jobs import JobView

REPORT_COMPLETION_TYPE = "chain-of-thought"
"""The completion type the web app gave its research completions."""


@dataclass
class SavedReport:
    chat_id: str
    completion: StoredChatCompletion
    new_chat: bool


def research_metadata(job: JobView) -> dict[str, dict[str, str]]:
    """The ``deep-researcher`` entry that links a completion to its job."""
    created = format_timestamp(job.created_at) if job.created_at else ""
    return {"deep-researcher": {"jobId": job.job_id, "status": job.status, "createdAt": created}}


async def store_report_in_chat(
    client: ApexClient,
    job: JobView,
    *,
    chat_id: str | None,
    chat_type: str = "apex",
    place: NewTurnPlace | None = None,
) -> SavedReport:
    """Append the report to ``chat_id`` (or a new chat titled after the question) and link the job.

    The prompt of the stored turn is the research question; its answer is the report, or the
    failure when the job failed, so the chat history says what happened either way. ``place``:
    where it goes in the chat's branches (after the end of the branch shown).
    """
    prompt = job.title or f"Deep research {job.job_id}"
    text = job.report if job.status == "completed" else f"Research failed: {job.error}"
    new_chat = chat_id is None
    if chat_id is None:
        created = await client.create_chat_and_completion(
            prompt,
            chat_type=chat_type,
            completion_type=REPORT_COMPLETION_TYPE,
            title=" ".join(prompt.split())[:60],
        )
        assert created.parsed_chat is not None and created.parsed_completion is not None
        chat_id, completion_id = created.parsed_chat.id, created.parsed_completion.id
    else:
        parsed = await client.create_completion(
            chat_id, prompt, completion_type=REPORT_COMPLETION_TYPE
        )
        completion_id = parsed.id
    metadata: dict[str, object] = dict(research_metadata(job))
    if place is not None:
        metadata.update(place.metadata())
    stored = await client.update_completion_attributes(
        completion_id, completion_text=text, metadata=metadata
    )
    return SavedReport(chat_id=chat_id, completion=stored, new_chat=new_chat)
