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
from dataclasses import dataclass, field
from datetime import datetime

from apex_tui.api import models as m
from apex_tui.server.corpus import Document, Topic
from apex_tui.server.engines.writer import CONNECT, LABEL
from apex_tui.server.findings import MAX_SUBJECT_WORDS, Findings, find
from apex_tui.server.research_agent import ResearchAgent, ResearchFailed
from apex_tui.server.search import Hit, corpus_index
from apex_tui.server.storage import JobRow, Storage
from apex_tui.shorten import shorten

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
    return shorten(prompt, 120)


FACTS_PER_STEP = 3
FACETS = (
    "What else does the offline corpus say about {name}?",
    "Which further details of {name} does the offline corpus hold?",
)
"""Follow-up sub-questions on the main topic while it has facts left (grammatical whatever
the name: each is a noun phrase)."""


@dataclass
class _Step:
    """One sub-question of the plan and what its search and analysis found."""

    question: str
    topic: Topic | None
    facts: list[str] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)


def _plan(findings: Findings, rng: random.Random) -> list[_Step]:
    """Up to three sub-questions, each a whole question of its own: the questions of the
    topics that fit (the corpus's own wording), then follow-ups on the first while it has
    facts left; one "what does the corpus hold" question when nothing fits."""
    if findings.empty:
        few = 0 < len(findings.missing) <= MAX_SUBJECT_WORDS
        subject = " ".join(findings.missing) if few else "this question"  # quoted above
        return [_Step(f"What does the offline corpus hold on {subject}?", None)]
    pool = {f.text: f for f in findings.facts}

    def take(topic: Topic) -> list[str]:
        """The topic's next facts, no longer in the pool."""
        facts = [t for t, f in pool.items() if f.topic == topic][:FACTS_PER_STEP]
        for text in facts:
            del pool[text]
        return facts

    steps: list[_Step] = []
    for topic in dict.fromkeys(f.topic for f in findings.facts):
        steps.append(_Step(topic.question, topic, take(topic)))
        if len(steps) == 3:
            return steps
    main = steps[0].topic
    assert main is not None
    facets = list(FACETS)
    rng.shuffle(facets)
    for facet in facets:
        facts = take(main)
        if not facts or len(steps) == 3:
            break
        steps.append(_Step(facet.format(name=main.name), main, facts))
    return steps


def _documents(step: _Step, shown: set[str]) -> list[Hit]:
    """The step topic's documents that best match its sub-question, those an earlier step
    showed last (a follow-up question reads the topic's other documents)."""
    if step.topic is None:
        return []
    hits = corpus_index().search(f"{step.topic.name} {step.question}", 12)
    mine = [h for h in hits if h.document.topic == step.topic.slug]
    mine.sort(key=lambda h: h.document.url in shown)  # stable: best first within each group
    return mine[:RESULTS_PER_STEP]


def plan_steps(request: m.ChatCompletionRequest, seed: int) -> list[str]:
    """Every chunk text of a job, in order (deterministic for a request and seed)."""
    prompt = next((x.content for x in reversed(request.messages) if x.role == "user"), "")
    rng = random.Random(f"research\x00{seed}\x00{prompt}")
    findings = find(prompt)
    plan = _plan(findings, rng)
    chunks = [
        "## Generating Research Plan\n",
        "## Research Plan\n\n"
        + f"Question: “{_subject(prompt)}”\n\n"
        + "\n".join(f"{i}. {s.question}" for i, s in enumerate(plan, start=1))
        + "\n",
    ]
    shown: set[str] = set()
    for number, step in enumerate(plan, start=1):
        step.hits = _documents(step, shown)
        shown.update(h.document.url for h in step.hits)
        chunks.append(
            f"## Step {number}: Planning Tools\n\nTool: `web_search` for “{step.question}”.\n"
        )
        chunks.append("## Executing web_search\n")
        chunks.append(
            "### Tool Results\n\n"
            + (
                "\n".join(
                    f"{i}. [{h.document.title}]({h.document.url}): {shorten(h.passage, 200)}"
                    for i, h in enumerate(step.hits, start=1)
                )
                or "No document in the offline corpus fits this sub-question."
            )
            + "\n"
        )
        chunks.append(
            f"## Analyzing Step {number}\n\n"
            + (" ".join(step.facts) or "The offline corpus holds nothing on this.")
            + "\n"
        )
        if step.topic is not None:
            found = f"{len(step.facts)} fact{'s' if len(step.facts) != 1 else ''}"
            summary = f"{found} on {step.topic.name}, from {len(step.hits)} documents."
        else:
            summary = "Nothing found: no topic of the offline corpus fits the question."
        chunks.append(f"## Step {number} Summary\n\n{summary}\n")
    done = f"All {len(plan)} steps are done" if len(plan) > 1 else "The one step is done"
    chunks.append(f"## Updating Research Plan\n\n{done}; no new questions.\n")
    chunks.append("## Generating Final Answer\n")
    chunks.append(_final_report(prompt, findings, plan))
    return chunks


def _conclusion(findings: Findings) -> str:
    missing = ", ".join(f"**{w}**" for w in findings.missing)
    if findings.empty:
        return (
            f"The offline corpus has nothing on {findings.subject}, "
            "so this report has nothing to add."
        )
    names = ", ".join(f"**{t.name}**" for t in dict.fromkeys(f.topic for f in findings.facts))
    said = f"The offline corpus covers this under {names}"
    if len(findings.missing) > MAX_SUBJECT_WORDS:
        said += "; the rest of the question it does not cover."
    else:
        said += f"; it has nothing on {missing}." if missing else "."
    return said + " Check the cited documents before relying on a detail."


def _final_report(prompt: str, findings: Findings, plan: list[_Step]) -> str:
    sources: list[Document] = []
    for step in plan:
        sources.extend(h.document for h in step.hits if h.document not in sources)
    lines = ["# Final Answer", "", LABEL, "", f"Research question: “{_subject(prompt)}”", ""]
    for step in plan:
        if not step.facts:
            continue
        refs = " ".join(f"[{sources.index(h.document) + 1}]" for h in step.hits)
        lines += [f"## {step.question}", "", " ".join(step.facts) + f" {refs}", ""]
    lines += ["## Conclusion", "", _conclusion(findings), "", CONNECT]
    if sources:
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
