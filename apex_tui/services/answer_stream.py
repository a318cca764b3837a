"""One answer from the server, stored nowhere: :func:`stream_answer` (``ask --no-store``, and
the stream under :meth:`~apex_tui.services.chat_sync.ChatSync.send`), with the settings it is
asked with (:class:`ChatSettings`) and what it produced so far (:class:`StreamProgress`).

The model's reasoning, streamed as ``<think>…</think>`` in the content (the server turns an
upstream's ``reasoning_content`` into that), is split off as it arrives
(:mod:`apex_tui.services.reasoning`): the stream yields :class:`AnswerDelta` and
:class:`ReasoningDelta` pieces, never reasoning inside the answer. ``unary`` asks with one
``ChatCompletion`` call instead. Types that need a web search run ``WebRetrieval`` first.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from apex_tui.api.client import ApexClient
from apex_tui.api.models import (
    ChatMessage,
    CompletionUsage,
    WebRetrievalRequest,
    WebSearchResult,
)
from apex_tui.services.completion_types import build_chat_request, plan_for
from apex_tui.services.reasoning import ThinkSplitter, split_reasoning

if TYPE_CHECKING:
    from apex_tui.services.config import Config

__all__ = [
    "AnswerDelta",
    "ChatSettings",
    "ReasoningDelta",
    "StreamProgress",
    "search_sources",
    "stream_answer",
]


@dataclass
class ChatSettings:
    completion_type: str = "basic"
    model: str | None = None
    temperature: float = 0.7
    top_p: float = 0.95
    max_new_tokens: int = 4096
    seed: int | None = None
    system_prompt: str = ""
    search_miners: int = 5
    search_results: int = 5
    search_max_time: int = 30

    @classmethod
    def from_config(cls, config: Config, **overrides: Any) -> ChatSettings:
        """A new question's settings: the config's [defaults] and [search], then ``overrides``
        (a ``None`` override keeps the default, so unset command-line flags can be passed as is)."""
        d, search = config.defaults, config.search
        settings = cls(
            completion_type=d.completion_type,
            model=d.model,
            temperature=d.temperature,
            top_p=d.top_p,
            max_new_tokens=d.max_new_tokens,
            seed=d.seed,
            system_prompt=d.system_prompt,
            search_miners=search.n_miners,
            search_results=search.n_results,
            search_max_time=search.max_response_time,
        )
        for name, value in overrides.items():
            if not hasattr(settings, name):
                raise TypeError(f"ChatSettings has no field {name!r}")
            if value is not None:
                setattr(settings, name, value)
        return settings


@dataclass
class AnswerDelta:
    text: str


@dataclass
class ReasoningDelta:
    """A piece of the model's reasoning (shown apart, never part of the answer)."""

    text: str


@dataclass
class StreamProgress:
    """What a stream produced so far; read after it ends, breaks or is cancelled."""

    raw: list[str] = field(default_factory=list)
    """The content as streamed, reasoning blocks included."""
    model: str = ""
    finish_reason: str = ""
    usage: dict[str, int] = field(default_factory=dict)
    sources: list[WebSearchResult] = field(default_factory=list)

    def split(self) -> tuple[str, str]:
        """(reasoning, answer) of what arrived."""
        return split_reasoning("".join(self.raw))

    @property
    def text(self) -> str:
        """The answer so far, without reasoning."""
        return self.split()[1]


def _usage(usage: CompletionUsage) -> dict[str, int]:
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
    }


async def search_sources(
    client: ApexClient, query: str, settings: ChatSettings
) -> list[WebSearchResult]:
    """A web-search answer's sources: one miner's ranked list (the numbers the answer cites are
    these, in this order), empty results dropped."""
    reply = await client.web_retrieval(
        WebRetrievalRequest(
            search_query=query,
            n_miners=1,
            n_results=settings.search_results,
            max_response_time=settings.search_max_time,
        )
    )
    return [r for r in reply.results if r.url or r.content]


async def stream_answer(
    client: ApexClient,
    messages: list[ChatMessage],
    settings: ChatSettings,
    *,
    context: list[WebSearchResult] | None = None,
    progress: StreamProgress | None = None,
    unary: bool = False,
) -> AsyncGenerator[AnswerDelta | ReasoningDelta, None]:
    """Stream an answer without storing anything (``ask --no-store`` and :meth:`ChatSync.send`):
    answer pieces and reasoning pieces, told apart as they arrive.

    Types that need a search run ``WebRetrieval`` on the last prompt first unless ``context``
    already holds results. ``unary``: one ``ChatCompletion`` call, the answer in one piece.
    """
    progress = progress if progress is not None else StreamProgress()
    plan = plan_for(settings.completion_type)
    sources = context
    if plan.needs_web_search and sources is None:
        sources = await search_sources(client, messages[-1].content, settings)
    progress.sources = list(sources or [])
    request = build_chat_request(
        settings.completion_type,
        messages,
        model=settings.model,
        temperature=settings.temperature,
        top_p=settings.top_p,
        max_new_tokens=settings.max_new_tokens,
        seed=settings.seed,
        system_prompt=settings.system_prompt,
        sources=progress.sources,
    )
    splitter = ThinkSplitter()
    if unary:
        reply = await client.chat_completion(request.model_copy(update={"stream": False}))
        choice = reply.choices[0] if reply.choices else None
        progress.model, progress.finish_reason = reply.model, choice.finish_reason if choice else ""
        if reply.usage is not None:
            progress.usage = _usage(reply.usage)
        text = choice.message.content if choice and choice.message else ""
        progress.raw.append(text)
        reasoning, answer = progress.split()
        if reasoning:
            yield ReasoningDelta(reasoning)
        if answer:
            yield AnswerDelta(answer)
        return
    async with aclosing(client.chat_completion_stream(request)) as chunks:
        async for chunk in chunks:
            progress.model = chunk.model or progress.model
            progress.finish_reason = chunk.finish_reason or progress.finish_reason
            if chunk.usage is not None and chunk.finish_reason:
                progress.usage = _usage(chunk.usage)
            text = chunk.text
            if text:
                progress.raw.append(text)
                for piece in splitter.feed(text):
                    yield ReasoningDelta(piece.text) if piece.reasoning else AnswerDelta(piece.text)
    for piece in splitter.finish():
        yield ReasoningDelta(piece.text) if piece.reasoning else AnswerDelta(piece.text)
