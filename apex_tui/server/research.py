"""Deep-research jobs: persisted, run in the background, resumed after a restart.

With the ``offline`` engine a job's steps are a pure function of its stored request and seed
(plan → one search and analysis per sub-question → final report), written by the offline
writer's corpus search; with the ``openai`` engine the model drives the job
(:mod:`apex_tui.server.research_agent`), and what it wrote so far is read back from the stored
chunks. Each step is stored as one result chunk (``seqId`` from 1, chunk =
``json.dumps([{"content": text}])`` as the SN1 validator did) ``research_step_seconds`` apart.
Status goes ``pending → running → completed``; a failure stores ``failed`` and the reason.
After a restart, unfinished jobs continue after their last stored chunk; if an offline job's
stored chunks no longer match (the corpus changed) the job is marked failed, saying so.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from datetime import datetime

from apex_tui.api import models as m
from apex_tui.server.corpus import Document
from apex_tui.server.engines.writer import LABEL, clean_sentences
from apex_tui.server.research_agent import ResearchAgent, ResearchFailed
from apex_tui.server.search import corpus_index, tokenize
from apex_tui.server.storage import JobRow, Storage

log = logging.getLogger("apex_tui.server.research")
RESULTS_PER_STEP = 3


def research_timestamp(value: datetime) -> str:
    """Job times as the validator wrote them: ISO 8601 UTC, microseconds, ``Z``."""
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def job_reply(job: JobRow) -> m.GetDeepResearcherJobResponse:
    return m.GetDeepResearcherJobResponse(
        job_id=job.id,
        status=job.status,
        created_at=research_timestamp(job.created),
        updated_at=research_timestamp(job.updated),
        result=[m.DeepResearcherResultChunk(seq_id=s, chunk=c) for s, c in job.chunks],
        error=job.error,
    )


def encode_chunk(text: str) -> str:
    return json.dumps([{"content": text}])


def _chunk_content(chunk: str) -> str:
    """The text of a stored chunk (the inverse of :func:`encode_chunk`)."""
    data = json.loads(chunk)
    return "".join(d.get("content", "") for d in data if isinstance(d, dict))


def _subject(prompt: str) -> str:
    words = " ".join(prompt.split())
    return words if len(words) <= 120 else words[:119] + "…"


def plan_steps(request: m.ChatCompletionRequest, seed: int) -> list[str]:
    """Every chunk text of a job, in order (deterministic for a request and seed)."""
    prompt = next((x.content for x in reversed(request.messages) if x.role == "user"), "")
    rng = random.Random(f"research\x00{seed}\x00{prompt}")
    index = corpus_index()
    topics: list[Document] = []
    for hit in index.search(prompt, 12):
        if all(hit.document.topic != t.topic for t in topics):
            topics.append(hit.document)
    terms = [t for t in tokenize(prompt) if len(t) > 3][:3] or ["the question"]
    questions = [f"What is known about {', '.join(terms)}?"]
    questions += [f"How does {d.title.split(':')[0]} bear on the question?" for d in topics[:2]]
    questions.append("What trade-offs and open problems remain?")
    questions = questions[:3]
    steps = [
        "## Generating Research Plan\n",
        "## Research Plan\n\n"
        + f"Question: “{_subject(prompt)}”\n\n"
        + "\n".join(f"{i}. {q}" for i, q in enumerate(questions, start=1))
        + "\n",
    ]
    findings: list[tuple[str, list[Document], list[str]]] = []
    for number, question in enumerate(questions, start=1):
        query = f"{question} {prompt}"
        hits = index.search(query, RESULTS_PER_STEP)
        docs = [h.document for h in hits]
        steps.append(
            f"## Step {number}: Planning Tools\n\nTool: `web_search` for “{_subject(question)}”.\n"
        )
        steps.append("## Executing web_search\n")
        steps.append(
            "### Tool Results\n\n"
            + (
                "\n".join(
                    f"{i}. [{h.document.title}]({h.document.url}): {h.passage[:200]}"
                    for i, h in enumerate(hits, start=1)
                )
                or "No documents matched."
            )
            + "\n"
        )
        sentences = [s for d in docs for s in clean_sentences(d)]
        chosen = list(dict.fromkeys(sentences))[: rng.randint(3, 5)]
        steps.append(
            f"## Analyzing Step {number}\n\n"
            + (" ".join(chosen) if chosen else "The corpus holds nothing on this sub-question.")
            + "\n"
        )
        summary = chosen[0] if chosen else "No evidence was found for this step."
        steps.append(f"## Step {number} Summary\n\n{summary}\n")
        findings.append((question, docs, chosen))
    steps.append(
        f"## Updating Research Plan\n\nAll {len(questions)} steps are done; no new questions.\n"
    )
    steps.append("## Generating Final Answer\n")
    steps.append(_final_report(prompt, findings))
    return steps


def _final_report(prompt: str, findings: list[tuple[str, list[Document], list[str]]]) -> str:
    sources: list[Document] = []
    for _, docs, _ in findings:
        sources.extend(d for d in docs if d not in sources)
    lines = ["# Final Answer", "", LABEL, "", f"Research question: “{_subject(prompt)}”", ""]
    for question, docs, sentences in findings:
        refs = " ".join(f"[{sources.index(d) + 1}]" for d in docs)
        lines += [
            f"## {question}",
            "",
            (" ".join(sentences) or "No evidence found.") + f" {refs}",
            "",
        ]
    lines += ["## Conclusion", ""]
    lines.append(
        "Taken together, the sources above answer the question as far as the offline corpus "
        "allows; check the cited documents before relying on a detail."
    )
    lines += ["", "## Sources", ""]
    lines += [f"{i}. [{d.title}]({d.url})" for i, d in enumerate(sources, start=1)]
    return "\n".join(lines) + "\n"


class ResearchRunner:
    """Owns the background tasks of running jobs on the server's event loop."""

    def __init__(
        self, storage: Storage, step_seconds: float, agent: ResearchAgent | None = None
    ) -> None:
        self.db = storage
        self.step_seconds = step_seconds
        self.agent = agent
        """Drives jobs with a model (openai engine); None: the offline writer's steps."""
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def running_jobs(self) -> list[str]:
        """Ids of the jobs this server is stepping now (they keep a per-user server up)."""
        return sorted(self._tasks)

    async def submit(self, owner: str, request: m.ChatCompletionRequest) -> JobRow:
        seed = request.seed if request.seed is not None else random.randrange(1_000_001)
        job = await self.db.run(self.db.create_job, owner, request.to_wire(), seed)
        self._launch(job.id)
        return job

    async def resume_unfinished(self) -> None:
        """Continue every job a previous run left pending or running. The server holds its
        database's lock (``db_lock``), so no other server steps these jobs."""
        for job_id in await self.db.run(self.db.unfinished_job_ids):
            log.info("resuming deep research job %s", job_id)
            self._launch(job_id)

    def _launch(self, job_id: str) -> None:
        task = asyncio.get_running_loop().create_task(self._run(job_id))
        self._tasks[job_id] = task
        task.add_done_callback(lambda _: self._tasks.pop(job_id, None))

    async def _run(self, job_id: str) -> None:
        try:
            job = await self.db.run(self.db.get_job, job_id)
            if job is None:
                return
            request = m.ChatCompletionRequest.from_wire(job.request)
            if self.agent is not None:
                await self._run_agent(self.agent, job, request)
                return
            steps = await asyncio.to_thread(plan_steps, request, job.seed)
            done = len(job.chunks)
            expected = [encode_chunk(s) for s in steps[:done]]
            if [c for _, c in job.chunks] != expected:
                await self.db.run(
                    self.db.set_job_status,
                    job_id,
                    "failed",
                    "could not resume after a server restart: the stored steps no longer match "
                    "(the search corpus changed); submit the question again",
                )
                return
            for seq in range(done + 1, len(steps) + 1):
                await asyncio.sleep(self.step_seconds)
                status = "completed" if seq == len(steps) else "running"
                await self.db.run(
                    self.db.append_job_chunk, job_id, seq, encode_chunk(steps[seq - 1]), status
                )
        except asyncio.CancelledError:
            raise
        except ResearchFailed as exc:
            log.warning("deep research job %s failed: %s", job_id, exc)
            await self.db.run(self.db.set_job_status, job_id, "failed", str(exc))
        except Exception as exc:  # a job must end failed with a reason, never vanish
            log.exception("deep research job %s failed", job_id)
            await self.db.run(
                self.db.set_job_status, job_id, "failed", f"research failed: {exc}; try again"
            )

    async def _run_agent(
        self, agent: ResearchAgent, job: JobRow, request: m.ChatCompletionRequest
    ) -> None:
        """The model's steps after the stored ones, each stored as it is written."""
        seq = len(job.chunks)

        async def store(text: str, last: bool) -> None:
            nonlocal seq
            seq += 1
            status = "completed" if last else "running"
            await self.db.run(self.db.append_job_chunk, job.id, seq, encode_chunk(text), status)

        stored = [_chunk_content(c) for _, c in job.chunks]
        await agent.run(request, job.seed, stored, store)

    async def stop(self) -> None:
        """Cancel running jobs; their stored chunks let the next start resume them."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
