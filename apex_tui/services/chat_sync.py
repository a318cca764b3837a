"""Chat sync: one question-and-answer turn, stored as Apex stored chats do it.

First turn → ``CreateChatAndCompletion``; later turns → ``CreateCompletion``; the conversation
so far is streamed (:mod:`apex_tui.services.answer_stream`, which splits the model's reasoning
off the answer); the final text and metadata (model, finish reason, token usage, interrupted
or not, the model's reasoning in ``metadata["reasoning"]``, never in the answer text) are
written back with ``UpdateCompletionAttributes``, with the settings it was asked with
(``metadata["settings"]``: a chat opened again, on any client, takes those of its last turn).
A cancelled or broken stream still stores what arrived, marked interrupted.

Each turn records where it sits in its chat's tree of branches (``services.branches``): the
turn it follows, and its rank when it forks (an edited prompt resent, a regenerated answer).
The history sent is the branch it continues; nothing is deleted to make a branch.

That final write is retried (it is idempotent: the same completion, the same text); a turn
is ``saved`` only once the server has acknowledged it. When it still fails, the answer (with
its reasoning and metadata) is kept on this machine (``services.recovery``) and the turn says
where, so no caller can claim a save that did not happen and no answer lives only on the
screen.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncGenerator
from contextlib import aclosing
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from apex_tui.api.client import ApexClient
from apex_tui.api.errors import ApexError, ApexStreamError
from apex_tui.api.models import ChatMessage, StoredChatCompletion, WebSearchResult
from apex_tui.services.answer_stream import (
    AnswerDelta,
    ChatSettings,
    ReasoningDelta,
    StreamProgress,
    search_sources,
    stream_answer,
)
from apex_tui.services.branches import PARENT_KEY, RANK_KEY, BranchTree, NewTurnPlace
from apex_tui.services.chat_memory import settings_record
from apex_tui.services.completion_types import plan_for
from apex_tui.services.recovery import RecoveryStore, UnsavedAnswer
from apex_tui.shorten import shorten

__all__ = [
    "AnswerDelta",
    "AnswerEnded",
    "ChatRef",
    "ChatSettings",
    "ChatSync",
    "ReasoningDelta",
    "StreamProgress",
    "Turn",
    "TurnEvent",
    "TurnFinished",
    "TurnStarted",
    "branch_keys",
    "history_messages",
    "search_sources",
    "stored_reasoning",
    "stream_answer",
    "title_from_prompt",
]

TITLE_LIMIT = 60
MAX_STORED_REASONING = 128 * 1024
"""Bytes of JSON the model's reasoning may take in a completion's metadata: half of what the
server takes (``server.validation.MAX_METADATA_BYTES``), so a long reasoning never gets the
final write refused (and the answer with it); longer reasoning is stored cut, saying so."""


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
    reasoning: str = ""
    """The model's reasoning, shown apart from the answer (``metadata["reasoning"]``)."""
    saved: bool = True
    """False when the server did not acknowledge the final write (see ``recovery_file``)."""
    recovery_file: str = ""
    """Where the unsaved answer is kept on this machine, when it could be kept."""

    @property
    def finish_reason(self) -> str:
        return str(self.metadata.get("finish_reason") or "")

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
            reasoning=str(metadata.get("reasoning") or ""),
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
class AnswerEnded:
    """The whole answer has arrived; storing it comes next (:class:`TurnFinished` after it).
    A screen draws what it holds now rather than after the store's round trip."""


@dataclass
class TurnFinished:
    turn: Turn


TurnEvent = TurnStarted | AnswerDelta | ReasoningDelta | AnswerEnded | TurnFinished
"""What :meth:`ChatSync.send` yields, in this order (deltas many times)."""


def _json_bytes(text: str) -> int:
    return len(json.dumps(text, ensure_ascii=False).encode("utf-8", "surrogatepass"))


def stored_reasoning(reasoning: str) -> str:
    """The reasoning as stored: whole when it fits :data:`MAX_STORED_REASONING`, else its
    start and a line saying how much was left out."""
    size = _json_bytes(reasoning)
    if size <= MAX_STORED_REASONING:
        return reasoning
    budget = MAX_STORED_REASONING - 200
    keep = len(reasoning) * budget // size
    while keep and _json_bytes(reasoning[:keep]) > budget:
        keep = keep * 9 // 10
    left = len(reasoning) - keep
    return f"{reasoning[:keep]}\n\n[… {left} more characters of reasoning were not stored]"


def title_from_prompt(prompt: str) -> str:
    """First non-empty line of the prompt, at most 60 columns, shortened at a whole word."""
    line = next((ln.strip() for ln in prompt.splitlines() if ln.strip()), "New chat")
    return shorten(line, TITLE_LIMIT)


def branch_keys(metadata: dict[str, Any]) -> dict[str, Any]:
    """The keys of ``metadata`` that place a turn in its chat's tree."""
    return {k: metadata[k] for k in (PARENT_KEY, RANK_KEY) if k in metadata}


def history_messages(history: list[Turn], prompt: str) -> list[ChatMessage]:
    """The conversation so far plus the new prompt, as chat messages (oldest first)."""
    messages: list[ChatMessage] = []
    for turn in history:
        messages.append(ChatMessage(role="user", content=turn.prompt))
        if turn.answer:
            messages.append(ChatMessage(role="assistant", content=turn.answer))
    messages.append(ChatMessage(role="user", content=prompt))
    return messages


class ChatSync:
    """Sends turns and keeps the stored chat in step with what was shown."""

    def __init__(
        self,
        client: ApexClient,
        *,
        chat_type: str = "apex",
        recovery: RecoveryStore | None = None,
    ) -> None:
        self.client = client
        self.chat_type = chat_type
        self.recovery = recovery or RecoveryStore()
        self.last_turn: Turn | None = None
        """The turn :meth:`send` worked on last: after a cancel or an error, whether (and
        where) its answer was saved."""

    async def load_turns(self, chat_id: str) -> list[Turn]:
        """The chat's stored turns, every branch, oldest first."""
        stored = await self.client.get_stored_chat_completions(chat_id)
        turns = [Turn.from_stored(s) for s in stored]
        turns.sort(key=lambda t: (t.created_at is None, t.created_at or datetime.min))
        return turns

    async def load_tree(self, chat_id: str) -> BranchTree[Turn]:
        """The chat's turns as a tree of branches (``path()`` is the chosen branch)."""
        return BranchTree(await self.load_turns(chat_id))

    async def choose_branch(self, turn: Turn) -> None:
        """Store that ``turn`` is the chosen branch at its fork (``BranchTree.choose`` has
        set its rank): its whole metadata is sent, so a server that replaces metadata
        instead of merging it keeps the rest."""
        stored = await self.client.update_completion_attributes(
            turn.completion_id, metadata=dict(turn.metadata), retry=True
        )
        turn.metadata = dict(stored.metadata or turn.metadata)

    async def send(
        self,
        chat_id: str | None,
        prompt: str,
        history: list[Turn],
        settings: ChatSettings,
        *,
        context: list[WebSearchResult] | None = None,
        unary: bool = False,
        place: NewTurnPlace | None = None,
    ) -> AsyncGenerator[TurnEvent, None]:
        """Store the prompt, stream the answer, store the answer (see the module docstring).

        ``place``: where the turn goes in the chat's tree (``BranchTree.place_after``);
        ``history`` must be the branch up to its parent. Without it the turn is read as
        following the chat's newest turn.

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
        if place is not None and place.record_now:
            await self._record_place(completion.id, place)
        yield TurnStarted(chat=chat, completion_id=completion.id)

        progress = StreamProgress()
        turn = Turn(
            completion_id=completion.id,
            prompt=prompt,
            answer="",
            completion_type=settings.completion_type,
            created_at=completion.created_at,
            saved=False,
            metadata=place.metadata() if place is not None else {},
        )
        self.last_turn = turn
        chat_id = chat.id
        messages = history_messages(history, prompt)
        try:
            answer = stream_answer(
                self.client, messages, settings, context=context, progress=progress, unary=unary
            )
            async with aclosing(answer):
                async for piece in answer:
                    yield piece
        except ApexError as exc:
            partial = exc.partial_text if isinstance(exc, ApexStreamError) else ""
            if not progress.raw and partial:
                progress.raw.append(partial)
            turn.reasoning, turn.answer = progress.split()
            turn.interrupted, turn.error = True, str(exc)
            await self._store(chat_id, turn, progress, settings)
            yield TurnFinished(turn)
            raise
        except BaseException:  # cancelled (Ctrl-C, task cancel, aclose): keep what arrived
            turn.reasoning, turn.answer = progress.split()
            turn.interrupted, turn.error = True, "interrupted"
            await self._store(chat_id, turn, progress, settings)
            raise
        yield AnswerEnded()
        turn.reasoning, turn.answer = progress.split()
        await self._store(chat_id, turn, progress, settings)
        yield TurnFinished(turn)

    async def _store(
        self, chat_id: str, turn: Turn, progress: StreamProgress, settings: ChatSettings
    ) -> None:
        """Write the answer and its metadata back, retrying; a failure is noted on the turn
        (and the answer kept locally), not raised."""
        metadata: dict[str, Any] = {
            **branch_keys(turn.metadata),
            "client": "apex-tui",
            "model": progress.model,
            "finish_reason": progress.finish_reason,
            "interrupted": turn.interrupted,
            "settings": settings_record(settings)[0],  # a chat opened again takes these
        }
        if progress.usage:
            metadata["usage"] = progress.usage
        if turn.reasoning:
            metadata["reasoning"] = stored_reasoning(turn.reasoning)
        if turn.error:
            metadata["error"] = turn.error
        if progress.sources:
            metadata["sources"] = [
                {"url": s.url, "relevant": s.relevant[:300]} for s in progress.sources
            ]
        turn.metadata = metadata
        try:
            stored = await self.client.update_completion_attributes(
                turn.completion_id, completion_text=turn.answer, metadata=metadata, retry=True
            )
        except ApexError as exc:
            turn.saved = False
            turn.error = (turn.error + "; " if turn.error else "") + f"not saved: {exc.message}"
            self._keep(chat_id, turn, exc)
            return
        turn.saved = True
        turn.metadata = dict(stored.metadata or metadata)

    def _keep(self, chat_id: str, turn: Turn, error: ApexError) -> None:
        """Keep an answer the server did not take (nothing to keep when none arrived)."""
        if not turn.answer and not turn.reasoning:
            return
        unsaved = UnsavedAnswer(
            chat_id=chat_id,
            completion_id=turn.completion_id,
            prompt=turn.prompt,
            answer=turn.answer,
            metadata=turn.metadata,
            error=error.message,
            server=self.client.base_url,
        )
        try:
            turn.recovery_file = str(self.recovery.keep(unsaved))
        except OSError as exc:
            turn.error += f"; could not keep it locally either ({exc.strerror or exc})"

    async def _record_place(self, completion_id: str, place: NewTurnPlace) -> None:
        """Write where a new turn sits before its answer streams (readers would otherwise
        place it after the newest turn until the answer is stored). Best effort: the final
        write carries the same keys."""
        with contextlib.suppress(ApexError):
            await self.client.update_completion_attributes(
                completion_id, metadata=place.metadata(), retry=True
            )

    def regenerate(
        self,
        chat_id: str,
        turn: Turn,
        history: list[Turn],
        settings: ChatSettings,
        place: NewTurnPlace | None = None,
    ) -> AsyncGenerator[TurnEvent, None]:
        """Ask ``turn``'s prompt again as a new turn beside it (``place``: after ``turn``'s
        parent); ``turn`` stays, as the other branch. ``history`` excludes ``turn``."""
        return self.send(chat_id, turn.prompt, history, settings, place=place)

    async def delete_turns(self, completion_ids: list[str]) -> bool:
        """Delete these turns (a turn and those after it: ``BranchTree.subtree``)."""
        return await self.client.delete_completions(completion_ids)

    async def rename(self, chat_id: str, title: str) -> None:
        await self.client.update_chat_attributes(chat_id, title=title)

    async def delete_chats(self, chat_ids: list[str]) -> bool:
        return await self.client.delete_chats(chat_ids)
