"""Deep research with a model: the agent loop the ``openai`` engine's research jobs run.

The model writes a plan of sub-questions; for each, the server's web searcher runs, the top
results are read (their best passage) and the model writes a step summary citing them as
``[k]``; then the model writes the final report from the summaries, and the server adds the
``## Sources`` list that maps each ``[k]`` to a searched URL (citations that map to nothing are
dropped, so every number in the report is a real source). Each event is one stored chunk in
the layout of :mod:`apex_tui.server.research_layout`; the next action is decided from the
chunks alone, so a restarted server continues at the step after the last stored chunk.

Upstream errors and timeouts are retried with exponential backoff (``retries`` more tries);
then the job fails with the reason (:class:`ResearchFailed`). Prompts: :mod:`prompts`.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from apex_tui.api import models as m
from apex_tui.api.protocol import ConnectError
from apex_tui.server import prompts
from apex_tui.server import research_layout as layout
from apex_tui.server.websearch import WebSearcher
from apex_tui.shorten import shorten

if TYPE_CHECKING:
    from apex_tui.server.upstream import UpstreamClient

__all__ = ["ResearchAgent", "ResearchFailed", "parse_plan", "tidy_report"]

log = logging.getLogger("apex_tui.server.research")
T = TypeVar("T")

RESULTS_PER_STEP = 3
SEARCH_SECONDS = 20.0
PLAN_TOKENS, SUMMARY_TOKENS, REPORT_TOKENS = 256, 384, 1024
CONTEXT_CHARS = 2000
SUB_QUESTION_CHARS = 160

StoreChunk = Callable[[str, bool], Awaitable[None]]
"""Stores the next chunk's text; ``True`` when it is the last one (the job completes)."""


RETRYABLE = frozenset({"unavailable", "resource_exhausted", "deadline_exceeded", "unknown"})
"""Connect codes worth another try: the model server (or search) was busy, down or slow."""


def retryable(error: ConnectError) -> bool:
    return error.code in RETRYABLE


class ResearchFailed(Exception):
    """The job cannot go on; the message says why and what to do (stored as its error)."""


_LIST_ITEM = re.compile(r"^\s*(?:\d+[.)]|[-*•]|step\s*\d+\s*[:.)-]|q\d+\s*[:.)-])\s*(.+)$", re.I)
_LABEL = re.compile(r"^(?:sub-?)?question\s*\d*\s*:\s*", re.I)
_THINK = re.compile(r"<think>.*?(?:</think>|\Z)", re.S)


def _plain(text: str) -> str:
    """A model's text without a ``<think>`` block, bold marks or quotes around it."""
    return _THINK.sub("", text).strip()


def _first_sentence(item: str) -> str:
    """A sub-question is one sentence (small models run on): up to its first ``?``, else
    its first full stop, at most ``SUB_QUESTION_CHARS``."""
    for end in ("?", ". "):
        at = item.find(end)
        if 0 < at < len(item) - 1:
            item = item[: at + 1]
            break
    return shorten(item, SUB_QUESTION_CHARS)


def parse_plan(text: str, question: str, max_steps: int) -> list[str]:
    """The sub-questions of a model's plan: numbered or bulleted lines (or lines that end with
    a question mark), cleaned, de-duplicated, at most ``max_steps``; the question itself when
    the model wrote no usable list."""
    found: list[str] = []
    for raw in _plain(text).splitlines():
        line = raw.replace("**", "").replace("__", "")
        match = _LIST_ITEM.match(line)
        item = match.group(1) if match else (line if line.strip().endswith("?") else "")
        item = _LABEL.sub("", " ".join(item.split())).strip(" \"'“”`")
        item = _first_sentence(item)
        if item in prompts.PLAN_EXAMPLE:  # the example copied back
            continue
        if len(item) < 8 or item.endswith(":"):
            continue
        if item.lower() not in (f.lower() for f in found):
            found.append(item)
        if len(found) >= max_steps:
            break
    return found or [shorten(question, SUB_QUESTION_CHARS)]


_CITATION_GROUP = re.compile(r"\[(\d+(?:\s*,\s*\d+)+)\]")
_CITATION = re.compile(r"\s?\[(\d+)\]")
_SOURCES_HEADING = re.compile(
    r"^\s*(?:#{1,6}\s*|\*\*)?(?:sources|references|bibliography)\b.*$", re.I | re.M
)
_FINAL_HEADING = re.compile(r"^\s*#{1,6}\s*final (?:answer|report)\s*$", re.I | re.M)


def tidy_report(text: str, sources: int) -> str:
    """A model's text as stored: no ``<think>`` block, no list of sources of its own (the real
    one is added), ``[1, 2]`` as ``[1][2]``, and no citation of a source that does not exist."""
    text = _FINAL_HEADING.sub("", _plain(text), count=1)
    heading = _SOURCES_HEADING.search(text)
    if heading is not None and heading.start() > 0:
        text = text[: heading.start()]
    text = _CITATION_GROUP.sub(
        lambda g: "".join(f"[{n.strip()}]" for n in g.group(1).split(",")), text
    )
    text = _CITATION.sub(lambda c: c.group(0) if 1 <= int(c.group(1)) <= sources else "", text)
    return text.strip()


class ResearchAgent:
    """Runs jobs against one upstream and one searcher (shared by every job of a server)."""

    def __init__(
        self,
        upstream: UpstreamClient,
        searcher: WebSearcher,
        *,
        max_steps: int = 3,
        retries: int = 3,
        retry_seconds: float = 2.0,
    ) -> None:
        self.upstream = upstream
        self.searcher = searcher
        self.max_steps = max_steps
        self.retries = retries
        self.retry_seconds = retry_seconds

    async def run(
        self, request: m.ChatCompletionRequest, seed: int, stored: list[str], store: StoreChunk
    ) -> None:
        """Write the job's chunks after the ``stored`` ones until the final answer."""
        try:
            state = layout.read_chunks(stored)
        except ValueError as exc:
            raise ResearchFailed(
                f"could not resume after a server restart: {exc}; submit the question again"
            ) from None
        job = _Job(self, request, seed)
        while state.last != "final":
            text = await job.next_chunk(state)
            await store(text, text.startswith("# Final Answer"))
            state = layout.read_chunks([*stored, text])
            stored = [*stored, text]

    async def _retrying(self, what: str, call: Callable[[], Awaitable[T]]) -> T:
        """``call()``, tried again after busy/down/slow failures, with backoff."""
        for attempt in range(self.retries + 1):
            try:
                return await call()
            except ConnectError as exc:
                if not retryable(exc):
                    raise ResearchFailed(f"{what} failed: {exc.message}") from None
                if attempt == self.retries:
                    raise ResearchFailed(
                        f"{what} failed after {attempt + 1} tries: {exc.message}; check the "
                        "model server and submit the question again"
                    ) from None
                wait = self.retry_seconds * 2**attempt
                log.info("%s failed (%s); retrying in %.1f s", what, exc.message, wait)
                await asyncio.sleep(wait)
        raise AssertionError("unreachable")


class _Job:
    """One job's question, sampling and calls; the state comes from the chunks each time."""

    def __init__(self, agent: ResearchAgent, request: m.ChatCompletionRequest, seed: int):
        self.agent = agent
        users = [x for x in request.messages if x.role == "user" and x.content.strip()]
        self.question = users[-1].content.strip() if users else ""
        earlier = request.messages[: request.messages.index(users[-1])] if users else []
        context = "\n".join(f"{x.role}: {' '.join(x.content.split())}" for x in earlier)
        self.context = context[-CONTEXT_CHARS:]
        sp = request.sampling_parameters
        self.params: dict[str, Any] = {"seed": seed}
        if request.model and request.model.strip().lower() != "default":
            self.params["model"] = request.model.strip()
        if sp is not None and sp.temperature:
            self.params["temperature"] = sp.temperature
        if sp is not None and sp.top_p:
            self.params["top_p"] = sp.top_p

    async def ask(self, what: str, prompt: str, max_tokens: int) -> str:
        messages = [
            {"role": "system", "content": prompts.RESEARCH_SYSTEM},
            {"role": "user", "content": prompt},
        ]
        params = {**self.params, "max_tokens": max_tokens}

        async def call() -> str:
            reply = await self.agent.upstream.complete(messages, params)
            text = _plain(reply.text)
            if not text:
                raise ConnectError("unavailable", "the model returned an empty answer")
            return text

        return await self.agent._retrying(what, call)

    async def search(self, sub_question: str) -> list[m.WebSearchResult]:
        async def call() -> list[m.WebSearchResult]:
            return await self.agent.searcher.search(sub_question, RESULTS_PER_STEP, SEARCH_SECONDS)

        return await self.agent._retrying(f"the web search for “{shorten(sub_question, 60)}”", call)

    async def next_chunk(self, state: layout.State) -> str:
        """The text of the chunk that follows ``state`` (a model call or search if needed)."""
        last, step, plan = state.last, state.step, state.plan
        if last == "":
            return layout.GENERATING_PLAN
        if last == "generating-plan":
            prompt = prompts.research_plan(self.question, self.context, self.agent.max_steps)
            text = await self.ask("writing the research plan", prompt, PLAN_TOKENS)
            return layout.plan_chunk(
                self.question, parse_plan(text, self.question, self.agent.max_steps)
            )
        if last in ("plan", "updated"):
            following = step + 1
            if following <= len(plan):
                return layout.step_chunk(following, plan[following - 1])
            return layout.GENERATING_FINAL
        if last == "step":
            return layout.executing_chunk(plan[step - 1])
        if last == "executing":
            return layout.results_chunk(self._number(state, await self.search(plan[step - 1])))
        if last == "results":
            found = [s for s in state.sources if s.number in state.step_sources.get(step, [])]
            prompt = prompts.research_step(self.question, plan[step - 1], _listing(found))
            what = f"writing the summary of step {step}"
            return layout.summary_chunk(
                step, tidy_report(await self.ask(what, prompt, SUMMARY_TOKENS), len(state.sources))
            )
        if last == "summary":
            return layout.updated_chunk(plan, step)
        if last == "generating-final":
            findings = "\n\n".join(
                f"Step {n}: {plan[n - 1]}\n{state.summaries.get(n, '')}"
                for n in range(1, len(plan) + 1)
            )
            prompt = prompts.research_report(self.question, findings, _listing(state.sources))
            text = await self.ask("writing the final report", prompt, REPORT_TOKENS)
            return layout.final_chunk(tidy_report(text, len(state.sources)), state.sources)
        raise ResearchFailed(f"the job is in an unknown state ({last}); submit it again")

    @staticmethod
    def _number(state: layout.State, results: list[m.WebSearchResult]) -> list[layout.Source]:
        """The step's results as sources numbered for the job (a URL keeps its first number)."""
        numbers = {s.url: s.number for s in state.sources}
        found: list[layout.Source] = []
        for result in results:
            if not result.url or any(s.url == result.url for s in found):
                continue
            number = numbers.setdefault(result.url, len(numbers) + 1)
            first_line = result.content.strip().split("\n", 1)[0]
            title = first_line if 0 < len(first_line) <= 160 else result.url
            passage = result.relevant or result.content
            found.append(layout.Source(number, result.url, title, passage))
        return found


def _listing(sources: list[layout.Source]) -> str:
    """Sources as the prompts give them: ``[k] title (url)`` and the passage."""
    if not sources:
        return "(no results)"
    return "\n\n".join(
        f"[{s.number}] {s.title} ({s.url})\n{' '.join(s.passage.split())[: layout.PASSAGE_CHARS]}"
        for s in sources
    )
