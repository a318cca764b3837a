"""Deep-research tracking (shared/apex-api.md §5.5, §6): submit a job, poll it with backoff,
show each new step once (de-duplicated by ``seqId``), decide on ``status`` (never on ``error``,
which a completed job may carry), and remember watched jobs so a later run resumes."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from apex_tui.api.client import ApexClient
from apex_tui.api.errors import ApexError
from apex_tui.api.models import (
    ChatCompletionRequest,
    ChatMessage,
    DeepResearcherResultChunk,
    GetDeepResearcherJobResponse,
    SamplingParameters,
)
from apex_tui.services.chat_sync import title_from_prompt
from apex_tui.services.state import JobStore, WatchedJob

__all__ = [
    "TERMINAL_STATUSES",
    "ResearchStep",
    "ResearchTracker",
    "ResearchUpdate",
    "chunk_text",
    "final_report",
]

TERMINAL_STATUSES = frozenset({"completed", "failed", "cancelled", "canceled", "error"})


def chunk_text(chunk: str) -> str:
    """A result chunk's text: a JSON list of deltas normally, anything else as raw text."""
    try:
        data = json.loads(chunk)
    except (ValueError, TypeError):
        return chunk
    if isinstance(data, str):
        return data
    if isinstance(data, dict):
        data = [data]
    if isinstance(data, list):
        parts: list[str] = []
        for item in data:
            if isinstance(item, dict) and isinstance(item.get("content"), str):
                parts.append(item["content"])
            elif isinstance(item, str):
                parts.append(item)
        return "".join(parts)
    return chunk


@dataclass
class ResearchStep:
    seq_id: int
    text: str


def final_report(steps: list[ResearchStep]) -> str:
    """The final answer: from the last ``Final Answer`` heading on, else the last step."""
    for index in range(len(steps) - 1, -1, -1):
        text = steps[index].text
        if "Final Answer" in text or "Final Report" in text:
            return "".join(s.text for s in steps[index:]).strip()
    return steps[-1].text.strip() if steps else ""


@dataclass
class ResearchUpdate:
    job_id: str
    status: str
    steps: list[ResearchStep] = field(default_factory=list)
    """Steps not shown before, in ``seqId`` order."""
    done: bool = False
    error: str = ""
    """Set only when the job failed (a completed job's stray ``error`` is ignored)."""
    report: str = ""
    """The final report, once ``status`` is ``completed``."""
    notice: str = ""
    """A passing trouble worth showing ("… — retrying in 4s" after a 503/429); empty once a
    poll succeeds again."""


def _new_steps(result: list[DeepResearcherResultChunk], after: int) -> list[ResearchStep]:
    unique: dict[int, ResearchStep] = {}
    for item in result:
        if item.seq_id > after and item.seq_id not in unique:
            unique[item.seq_id] = ResearchStep(item.seq_id, chunk_text(item.chunk))
    return [unique[k] for k in sorted(unique)]


class ResearchTracker:
    """Submits and follows deep-research jobs; watched jobs live in a :class:`JobStore`."""

    def __init__(
        self,
        client: ApexClient,
        store: JobStore | None = None,
        *,
        poll_interval: float = 2.0,
        max_poll_interval: float = 20.0,
    ) -> None:
        self.client = client
        self.store = store or JobStore()
        self.poll_interval = poll_interval
        self.max_poll_interval = max_poll_interval

    async def submit(
        self,
        prompt: str,
        *,
        history: list[ChatMessage] | None = None,
        model: str | None = None,
        seed: int | None = None,
        link_chat: bool = True,
        chat_id: str | None = None,
        chat_type: str = "apex",
        branch: dict[str, Any] | None = None,
    ) -> str:
        """Submit a job (fields as the SDK sends them) and start watching it.

        With ``link_chat`` the job is also stored as a turn whose completion carries the
        ``deep-researcher`` metadata, as the Apex web app did, so other clients find it: a turn
        of ``chat_id`` when the job was started from that chat, else a new chat of its own
        (``chat_type``). Its answer says "Researching…" until the report replaces it.
        ``branch``: the metadata that places that turn in ``chat_id``'s branches.
        """
        request = ChatCompletionRequest(
            messages=[*(history or []), ChatMessage(role="user", content=prompt)],
            seed=seed,
            task="InferenceTask",
            model=model,
            mixture=False,
            sampling_parameters=SamplingParameters(
                temperature=0.7, top_p=0.95, max_new_tokens=8192, do_sample=False
            ),
            inference_mode="Chain-of-Thought",
            stream=True,
        )
        reply = await self.client.submit_deep_researcher_job(request)
        job = WatchedJob(
            job_id=reply.job_id,
            prompt=prompt,
            status=reply.status or "pending",
            submitted_at=reply.created_at or datetime.now(UTC).isoformat(),
            updated_at=reply.updated_at,
        )
        self.store.put(job)
        if link_chat and chat_id:
            completion = await self.client.create_completion(
                chat_id, prompt, completion_type="chain-of-thought"
            )
            job.chat_id, job.completion_id = chat_id, completion.id
            job.branch = dict(branch or {})
        elif link_chat:
            created = await self.client.create_chat_and_completion(
                prompt,
                chat_type=chat_type,
                completion_type="chain-of-thought",
                title=title_from_prompt(prompt),
            )
            assert created.parsed_chat is not None and created.parsed_completion is not None
            job.chat_id = created.parsed_chat.id
            job.completion_id = created.parsed_completion.id
        if job.completion_id:
            await self.client.update_completion_attributes(
                job.completion_id,
                completion_text="Researching…",
                metadata={**job.branch, "deep-researcher": self._entry(job)},
            )
            self.store.put(job)
        return job.job_id

    @staticmethod
    def _entry(job: WatchedJob) -> dict[str, str]:
        return {"jobId": job.job_id, "status": job.status, "createdAt": job.submitted_at}

    def list_jobs(self) -> list[WatchedJob]:
        """Watched jobs, newest submitted first."""
        return sorted(self.store.list(), key=lambda j: j.submitted_at, reverse=True)

    async def fetch(self, job_id: str) -> ResearchUpdate:
        """The job as it stands: every step so far (nothing is marked as shown)."""
        reply = await self.client.get_deep_researcher_job(job_id)
        return self._update(reply, _new_steps(reply.result, 0), all_steps=None)

    def _update(
        self,
        reply: GetDeepResearcherJobResponse,
        steps: list[ResearchStep],
        all_steps: list[ResearchStep] | None,
    ) -> ResearchUpdate:
        status = reply.status or "pending"
        done = status in TERMINAL_STATUSES
        update = ResearchUpdate(reply.job_id or "", status, steps, done)
        if done and status != "completed":
            update.error = reply.error or f"the job ended with status {status}"
        if status == "completed":
            update.report = final_report(all_steps if all_steps is not None else steps)
        return update

    async def follow(
        self, job_id: str, *, from_start: bool = False
    ) -> AsyncGenerator[ResearchUpdate, None]:
        """Poll until the job ends, yielding each batch of new steps once.

        Resumes after the last step a previous run showed unless ``from_start``. Polls every
        ``poll_interval`` seconds, backing off to ``max_poll_interval`` while nothing changes.
        """
        job = self.store.get(job_id) or WatchedJob(job_id=job_id)
        last_seq = 0 if from_start else job.last_seq_id
        seen: list[ResearchStep] = []
        interval = self.poll_interval
        last_updated = None
        failures = 0
        while True:
            try:
                reply = await self.client.get_deep_researcher_job(job_id)
            except ApexError as err:
                # The client already retried a few times; a job outlives a busy server, so keep
                # polling (slower) and say so rather than giving up on it.
                if not err.retryable:
                    raise
                failures += 1
                wait = self._retry_wait(failures, err)
                notice = f"{err.message} — retrying in {wait:.0f}s"
                yield ResearchUpdate(job_id, job.status, notice=notice)
                await asyncio.sleep(wait)
                continue
            recovered, failures = failures > 0, 0
            seen = _new_steps(reply.result, 0)
            steps = [s for s in seen if s.seq_id > last_seq]
            update = self._update(reply, steps, all_steps=seen)
            update.job_id = update.job_id or job_id
            changed = bool(steps) or reply.updated_at != last_updated
            try:
                if steps or update.done or last_updated is None or recovered:
                    yield update
            finally:
                # Recorded as shown once the caller has taken the update, even if it then
                # closes this generator (Ctrl-C, leaving the screen) right at the yield.
                if steps:
                    last_seq = steps[-1].seq_id
                job.status, job.updated_at = update.status, reply.updated_at
                job.last_seq_id = last_seq
                self.store.put(job)
            if update.done:
                await self._finish_link(job, update)
                return
            last_updated = reply.updated_at
            interval = (
                self.poll_interval if changed else min(self.max_poll_interval, interval * 1.5)
            )
            await asyncio.sleep(interval)

    def _retry_wait(self, failures: int, err: ApexError) -> float:
        """Seconds before the next poll after ``failures`` failed ones (Retry-After honoured)."""
        wait = min(self.max_poll_interval, self.poll_interval * 2 ** min(failures - 1, 8))
        if err.retry_after is not None:
            wait = max(wait, min(err.retry_after, self.max_poll_interval))
        return wait

    async def _finish_link(self, job: WatchedJob, update: ResearchUpdate) -> None:
        """Write the report (or the failure) into the linked stored completion."""
        if not job.completion_id:
            return
        text = update.report if update.status == "completed" else f"Research failed: {update.error}"
        # The report was already shown; the stored copy is a convenience.
        with contextlib.suppress(ApexError):
            await self.client.update_completion_attributes(
                job.completion_id,
                completion_text=text,
                metadata={**job.branch, "deep-researcher": self._entry(job)},
            )
