"""Chat sync: one question-and-answer turn, stored as Apex stored chats do it.

First turn → ``CreateChatAndCompletion``; later turns → ``CreateCompletion``; the conversation
so far is sent as ``messages`` to ``ChatCompletionStream``; the final text and metadata (model,
finish reason, interrupted or not) are written back with ``UpdateCompletionAttributes``. A
cancelled or broken stream still stores what arrived, marked interrupted.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from apex_tui.api.client import ApexClient
from apex_tui.api.errors import ApexError, ApexStreamError
from apex_tui.api.models import (
    ChatMessage,
    StoredChatCompletion,
    WebRetrievalRequest,
    WebSearchResult,
)
from apex_tui.services.completion_types import build_chat_request, plan_for
from apex_tui.shorten import shorten

if TYPE_CHECKING:
    from apex_tui.services.config import Config

__all__ = [
    "AnswerDelta",
    "ChatRef",
    "ChatSettings",
    "ChatSync",
    "Turn",
    "TurnFinished",
    "TurnStarted",
    "history_messages",
    "search_sources",
    "stream_answer",
    "title_from_prompt",
]

TITLE_LIMIT = 60


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
class Turn:
    completion_id: str
    prompt: str
    answer: str
    completion_type: str
    created_at: datetime | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    interrupted: bool = False
    error: str = ""

    @classmethod
    def from_stored(cls, stored: StoredChatCompletion) -> Turn:
        metadata = dict(stored.metadata or {})
        return cls(
            completion_id=stored.id,
            prompt=stored.user_prompt_text,
            answer=stored.completion_text,
            completion_type=stored.completion_type or "basic",
            created_at=stored.created_at,
            metadata=metadata,
            interrupted=metadata.get("interrupted") is True,
            error=str(metadata.get("error") or stored.error_message or ""),
        )


@dataclass
class ChatRef:
    id: str
    title: str
    chat_type: str
    is_new: bool


@dataclass
class TurnStarted:
    chat: ChatRef
    completion_id: str


@dataclass
class AnswerDelta:
    text: str


@dataclass
class TurnFinished:
    turn: Turn


def title_from_prompt(prompt: str) -> str:
    """First non-empty line of the prompt, at most 60 columns, shortened at a whole word."""
    line = next((ln.strip() for ln in prompt.splitlines() if ln.strip()), "New chat")
    return shorten(line, TITLE_LIMIT)


def history_messages(history: list[Turn], prompt: str) -> list[ChatMessage]:
    """The conversation so far plus the new prompt, as chat messages (oldest first)."""
    messages: list[ChatMessage] = []
    for turn in history:
        messages.append(ChatMessage(role="user", content=turn.prompt))
        if turn.answer:
            messages.append(ChatMessage(role="assistant", content=turn.answer))
    messages.append(ChatMessage(role="user", content=prompt))
    return messages


@dataclass
class _Progress:
    """What a stream produced so far; read after it ends, breaks or is cancelled."""

    parts: list[str] = field(default_factory=list)
    model: str = ""
    finish_reason: str = ""
    sources: list[WebSearchResult] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.parts)


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
    progress: _Progress | None = None,
) -> AsyncGenerator[str, None]:
    """Stream an answer without storing anything (``ask --no-store`` and :meth:`ChatSync.send`).

    Types that need a search run ``WebRetrieval`` on the last prompt first unless ``context``
    already holds results.
    """
    progress = progress if progress is not None else _Progress()
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
    async with aclosing(client.chat_completion_stream(request)) as chunks:
        async for chunk in chunks:
            progress.model = chunk.model or progress.model
            progress.finish_reason = chunk.finish_reason or progress.finish_reason
            text = chunk.text
            if text:
                progress.parts.append(text)
                yield text


class ChatSync:
    """Sends turns and keeps the stored chat in step with what was shown."""

    def __init__(self, client: ApexClient, *, chat_type: str = "apex") -> None:
        self.client = client
        self.chat_type = chat_type

    async def load_turns(self, chat_id: str) -> list[Turn]:
        """The chat's stored turns, oldest first."""
        stored = await self.client.get_stored_chat_completions(chat_id)
        turns = [Turn.from_stored(s) for s in stored]
        turns.sort(key=lambda t: (t.created_at is None, t.created_at or datetime.min))
        return turns

    async def send(
        self,
        chat_id: str | None,
        prompt: str,
        history: list[Turn],
        settings: ChatSettings,
        *,
        context: list[WebSearchResult] | None = None,
    ) -> AsyncGenerator[TurnStarted | AnswerDelta | TurnFinished, None]:
        """Store the prompt, stream the answer, store the answer (see the module docstring).

        On cancellation (task cancel or ``aclose``) or a stream error the partial answer is
        stored marked interrupted and the exception is re-raised; for an :class:`ApexError`
        the stored turn is yielded as :class:`TurnFinished` first.
        """
        plan_for(settings.completion_type)  # unknown types fail before anything is stored
        if chat_id is None:
            created = await self.client.create_chat_and_completion(
                prompt,
                chat_type=self.chat_type,
                completion_type=settings.completion_type,
                title=title_from_prompt(prompt),
            )
            assert created.parsed_chat is not None and created.parsed_completion is not None
            chat = ChatRef(
                created.parsed_chat.id,
                created.parsed_chat.title,
                created.parsed_chat.chat_type or self.chat_type,
                is_new=True,
            )
            completion = created.parsed_completion
        else:
            completion = await self.client.create_completion(
                chat_id, prompt, completion_type=settings.completion_type
            )
            chat = ChatRef(chat_id, "", self.chat_type, is_new=False)
        yield TurnStarted(chat=chat, completion_id=completion.id)

        progress = _Progress()
        turn = Turn(
            completion_id=completion.id,
            prompt=prompt,
            answer="",
            completion_type=settings.completion_type,
            created_at=completion.created_at,
        )
        messages = history_messages(history, prompt)
        try:
            answer = stream_answer(
                self.client, messages, settings, context=context, progress=progress
            )
            async with aclosing(answer):
                async for text in answer:
                    yield AnswerDelta(text)
        except ApexError as exc:
            partial = exc.partial_text if isinstance(exc, ApexStreamError) else ""
            turn.answer = progress.text or partial
            turn.interrupted, turn.error = True, str(exc)
            await self._store(turn, progress, settings)
            yield TurnFinished(turn)
            raise
        except BaseException:  # cancelled (Ctrl-C, task cancel, aclose): keep what arrived
            turn.answer = progress.text
            turn.interrupted, turn.error = True, "interrupted"
            await self._store(turn, progress, settings)
            raise
        turn.answer = progress.text
        await self._store(turn, progress, settings)
        yield TurnFinished(turn)

    async def _store(self, turn: Turn, progress: _Progress, settings: ChatSettings) -> None:
        """Write the answer and its metadata back; a failure here is noted, not raised."""
        metadata: dict[str, Any] = {
            "client": "apex-tui",
            "model": progress.model,
            "finish_reason": progress.finish_reason,
            "interrupted": turn.interrupted,
            "settings": {
                "temperature": settings.temperature,
                "top_p": settings.top_p,
                "max_new_tokens": settings.max_new_tokens,
                "seed": settings.seed,
                "model": settings.model,
            },
        }
        if turn.error:
            metadata["error"] = turn.error
        if progress.sources:
            metadata["sources"] = [
                {"url": s.url, "relevant": s.relevant[:300]} for s in progress.sources
            ]
        turn.metadata = metadata
        try:
            stored = await self.client.update_completion_attributes(
                turn.completion_id, completion_text=turn.answer, metadata=metadata
            )
        except ApexError as exc:
            turn.error = (turn.error + "; " if turn.error else "") + f"not saved: {exc}"
            return
        turn.metadata = dict(stored.metadata or metadata)

    async def regenerate(
        self, chat_id: str, turn: Turn, history: list[Turn], settings: ChatSettings
    ) -> AsyncGenerator[TurnStarted | AnswerDelta | TurnFinished, None]:
        """Ask ``turn``'s prompt again as a new turn; the old turn is deleted only once the new
        one has finished (so a failed retry loses nothing). ``history`` excludes ``turn``."""
        finished = False
        async for event in self.send(chat_id, turn.prompt, history, settings):
            finished = finished or (isinstance(event, TurnFinished) and not event.turn.error)
            yield event
        if finished:
            await self.client.delete_completions([turn.completion_id])

    async def delete_turn(self, completion_id: str) -> bool:
        return await self.client.delete_completions([completion_id])

    async def rename(self, chat_id: str, title: str) -> None:
        await self.client.update_chat_attributes(chat_id, title=title)

    async def delete_chats(self, chat_ids: list[str]) -> bool:
        return await self.client.delete_chats(chat_ids)
