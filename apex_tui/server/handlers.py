"""The 16 methods of ``apex.v1.ApexService``: validate a decoded request, act, build the reply.

Every method takes the caller (:class:`Caller`) so stored data stays with the key that made it;
another key's ids look exactly like unknown ids (``not_found``).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from apex_tui.api import models as m
from apex_tui.api.protocol import ConnectError
from apex_tui.server.coalesce import text_piece
from apex_tui.server.codec import PreEncoded
from apex_tui.server.engines.base import CompletionEngine, Finish
from apex_tui.server.modes import mode_of
from apex_tui.server.research import ResearchRunner, job_reply
from apex_tui.server.storage import ChatRow, CompletionRow, MetadataTooLarge, Storage
from apex_tui.server.validation import MAX_METADATA_BYTES, check_metadata, no_nul
from apex_tui.server.websearch import WebSearcher
from apex_tui.shorten import shorten

MAX_WEB_RESULTS = 50
MAX_SEARCH_TIME = 120
"""Longest a search may take, whatever max_response_time asks for (seconds)."""
MAX_TEXT = 1_000_000


@dataclass(frozen=True)
class Caller:
    """Who is calling: ``owner`` partitions the data, ``user_id`` is shown in ChatSession."""

    owner: str
    user_id: str


def _bad(message: str) -> ConnectError:
    return ConnectError("invalid_argument", message)


def _not_found(what: str, ident: str) -> ConnectError:
    return ConnectError("not_found", f"{what} {ident!r} not found for this API key")


def _require(value: str, field: str) -> str:
    if not value.strip():
        raise _bad(f"field {field!r} is required and must not be empty")
    if len(value) > MAX_TEXT:
        raise _bad(f"field {field!r} is longer than {MAX_TEXT} characters")
    return value


def _require_name(value: str, field: str) -> str:
    """An id, title, type or search term: required, and free of NULs (see ``no_nul``)."""
    return no_nul(_require(value, field), field)


def _names(values: list[str], field: str) -> list[str]:
    for i, value in enumerate(values):
        no_nul(value, f"{field}[{i}]")
    return values


def _session(chat: ChatRow, caller: Caller) -> m.ChatSession:
    return m.ChatSession(
        id=chat.id,
        user_id=caller.user_id,
        title=chat.title,
        chat_type=chat.chat_type,
        created_at=chat.created,
        updated_at=chat.updated,
    )


def _stored(row: CompletionRow) -> m.StoredChatCompletion:
    return m.StoredChatCompletion(
        id=row.id,
        chat_id=row.chat_id,
        completion_type=row.completion_type,
        created_at=row.created,
        completed_at=row.completed,
        user_prompt_text=row.user_prompt_text,
        completion_text=row.completion_text,
        metadata=row.metadata,
        error_message=row.error_message,
    )


def _parsed(row: CompletionRow) -> m.ParsedCompletion:
    return m.ParsedCompletion(
        id=row.id,
        chat_id=row.chat_id,
        created_at=row.created,
        user_prompt_text=row.user_prompt_text,
        completion_text=row.completion_text,
        completion_type=row.completion_type,
        metadata=row.metadata,
    )


def _check_messages(request: m.ChatCompletionRequest) -> None:
    if not request.messages:
        raise _bad("field 'messages' must hold at least one {role, content} message")
    for i, message in enumerate(request.messages):
        if message.role not in ("system", "user", "assistant", "tool"):
            raise _bad(f"messages[{i}].role is {message.role!r}; use system, user or assistant")
    if not any(msg.role == "user" and msg.content.strip() for msg in request.messages):
        raise _bad("messages must include a user message with some content")
    params = request.sampling_parameters
    if params is not None and params.max_new_tokens < 0:
        raise _bad("sampling_parameters.max_new_tokens must not be negative")


def _default_title(prompt: str) -> str:
    return shorten(prompt.replace("\x00", " "), 60)


class ApexHandlers:
    """Implements each RPC; :meth:`unary` dispatches by method name."""

    def __init__(
        self,
        storage: Storage,
        engine: CompletionEngine,
        searcher: WebSearcher,
        research: ResearchRunner,
    ) -> None:
        self.db = storage
        self.engine = engine
        self.searcher = searcher
        self.research = research

    async def unary(self, method: str, caller: Caller, request: Any) -> m.WireModel | PreEncoded:
        handler = getattr(self, f"rpc_{method}")
        result: m.WireModel | PreEncoded = await handler(caller, request)
        return result

    # --- completions ------------------------------------------------------------------------

    async def stream(
        self, caller: Caller, request: m.ChatCompletionRequest, *, paced: bool = True
    ) -> AsyncIterator[m.ChatCompletionChunkResponse]:
        """ChatCompletionStream: OpenAI-like chunks; the first carries the role, the last the
        finish reason and usage."""
        _check_messages(request)
        mode = mode_of(request)
        ident, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())

        def chunk(delta: m.ChoiceDelta, finish: str = "", usage: Any = None) -> Any:
            # model_construct: every value here is already the right type (hot path)
            return m.ChatCompletionChunkResponse.model_construct(
                id=ident,
                created=created,
                model=self.engine.model,
                object="chat.completion.chunk",
                choices=[m.ChunkChoice.model_construct(delta=delta, finish_reason=finish)],
                usage=usage,
            )

        # Pieces are copies of one chunk built here: model_construct resolves the default of
        # every field it is not given, ~4x the cost of a copy, and this runs per answer piece.
        prototype = chunk(m.ChoiceDelta.model_construct(content="", role=""))
        first = True
        async for event in self.engine.stream(request, mode, paced=paced):
            if isinstance(event, Finish):
                usage = m.CompletionUsage(
                    prompt_tokens=event.prompt_tokens,
                    completion_tokens=event.completion_tokens,
                    total_tokens=event.prompt_tokens + event.completion_tokens,
                )
                yield chunk(m.ChoiceDelta(), event.reason, usage)
                return
            yield text_piece(prototype, event, "assistant" if first else "")
            first = False

    async def rpc_ChatCompletion(
        self, caller: Caller, request: m.ChatCompletionRequest
    ) -> m.ChatCompletionResponse:
        parts: list[str] = []
        finish, usage, ident, created = "stop", None, "", 0
        async for piece in self.stream(caller, request, paced=False):
            ident, created = piece.id, piece.created
            parts.append(piece.text)
            if piece.finish_reason:
                finish, usage = piece.finish_reason, piece.usage
        message = m.ChatCompletionMessage(content="".join(parts), role="assistant")
        return m.ChatCompletionResponse(
            id=ident,
            created=created,
            model=self.engine.model,
            object="chat.completion",
            choices=[m.Choice(finish_reason=finish, message=message)],
            usage=usage,
        )

    async def rpc_WebRetrieval(
        self, caller: Caller, request: m.WebRetrievalRequest
    ) -> m.WebRetrievalResponse:
        query = _require(request.search_query, "search_query")
        n_miners = 3 if request.n_miners is None else request.n_miners
        n_results = 1 if request.n_results is None else request.n_results
        max_time = 20 if request.max_response_time is None else request.max_response_time
        for name, value in (
            ("n_miners", n_miners),
            ("n_results", n_results),
            ("max_response_time", max_time),
        ):
            if value < 1:
                raise _bad(f"field {name!r} must be at least 1 (got {value})")
        limit = min(n_miners * n_results, MAX_WEB_RESULTS)
        results = await self.searcher.search(query, limit, float(min(max_time, MAX_SEARCH_TIME)))
        return m.WebRetrievalResponse(results=results)

    # --- deep research ----------------------------------------------------------------------

    async def rpc_SubmitDeepResearcherJob(
        self, caller: Caller, request: m.ChatCompletionRequest
    ) -> m.SubmitDeepResearcherJobResponse:
        _check_messages(request)
        job = await self.research.submit(caller.owner, request)
        reply = job_reply(job)
        return m.SubmitDeepResearcherJobResponse(
            job_id=reply.job_id,
            status=reply.status,
            created_at=reply.created_at,
            updated_at=reply.updated_at,
        )

    async def rpc_GetDeepResearcherJob(
        self, caller: Caller, request: m.GetDeepResearcherJobRequest
    ) -> m.GetDeepResearcherJobResponse:
        job_id = _require_name(request.job_id, "job_id")
        job = await self.db.run(self.db.get_job, job_id, caller.owner)
        if job is None:
            raise _not_found("deep research job", job_id)
        return job_reply(job)

    # --- stored chats -----------------------------------------------------------------------

    async def rpc_GetChatSessions(
        self, caller: Caller, request: m.GetChatSessionsRequest
    ) -> PreEncoded:
        sessions = await self.db.run(
            self.db.chat_sessions_json,
            caller.owner,
            request.chat_type,
            json.dumps(caller.user_id, ensure_ascii=False),
        )
        if not sessions:
            return PreEncoded({})
        body = '{"chatSessions":[' + sessions + "]}"
        return PreEncoded(raw=body.encode("utf-8"))

    async def rpc_GetStoredChatCompletions(
        self, caller: Caller, request: m.GetStoredChatCompletionsRequest
    ) -> m.GetStoredChatCompletionsResponse:
        chat_id = _require_name(request.chat_id, "chat_id")
        rows = await self.db.run(self.db.chat_completions, caller.owner, chat_id)
        if rows is None:
            raise _not_found("chat", chat_id)
        return m.GetStoredChatCompletionsResponse(chat_completions=[_stored(r) for r in rows])

    async def rpc_GetChatCompletion(
        self, caller: Caller, request: m.GetChatCompletionRequest
    ) -> m.StoredChatCompletion:
        completion_id = _require_name(request.completion_id, "completion_id")
        row = await self.db.run(self.db.get_completion, caller.owner, completion_id)
        if row is None:
            raise _not_found("completion", completion_id)
        return _stored(row)

    async def rpc_UpdateChatAttributes(
        self, caller: Caller, request: m.UpdateChatAttributesRequest
    ) -> m.UpdateChatAttributesResponse:
        chat_id = _require_name(request.chat_id, "chat_id")
        attributes = request.attributes
        unknown = sorted(set(attributes) - {"title", "chat_type"})
        if unknown:
            raise _bad(f"attributes {unknown} cannot be changed; only 'title' and 'chat_type'")
        if not attributes:
            raise _bad("attributes is empty; send 'title' and/or 'chat_type'")
        for key, value in attributes.items():
            _require_name(value, f"attributes.{key}")
        chat = await self.db.run(
            self.db.update_chat,
            caller.owner,
            chat_id,
            attributes.get("title"),
            attributes.get("chat_type"),
        )
        if chat is None:
            raise _not_found("chat", chat_id)
        return m.UpdateChatAttributesResponse(chat=_session(chat, caller))

    async def rpc_DeleteChats(
        self, caller: Caller, request: m.DeleteChatsRequest
    ) -> m.DeleteChatsResponse:
        if not request.chat_ids:
            raise _bad("field 'chat_ids' must list at least one chat id")
        _names(request.chat_ids, "chat_ids")
        missing = await self.db.run(self.db.delete_chats, caller.owner, request.chat_ids)
        if missing:
            raise ConnectError(
                "not_found", f"chats not found for this API key (nothing deleted): {missing}"
            )
        return m.DeleteChatsResponse(success=True)

    async def rpc_CreateChatAndCompletion(
        self, caller: Caller, request: m.CreateChatAndCompletionRequest
    ) -> m.CreateChatAndCompletionResponse:
        prompt = _require(request.user_prompt, "user_prompt")
        title = request.title if request.title else _default_title(prompt)
        no_nul(title, "title")
        no_nul(request.chat_type, "chat_type")
        no_nul(request.completion_type, "completion_type")
        chat, row = await self.db.run(
            self.db.create_chat_and_completion,
            caller.owner,
            prompt,
            request.chat_type or "apex",
            request.completion_type or "basic",
            title,
        )
        return m.CreateChatAndCompletionResponse(
            parsed_chat=m.ParsedChat(
                id=chat.id, title=chat.title, created_at=chat.created, chat_type=chat.chat_type
            ),
            parsed_completion=_parsed(row),
        )

    async def rpc_CreateCompletion(
        self, caller: Caller, request: m.CreateCompletionRequest
    ) -> m.CreateCompletionResponse:
        chat_id = _require_name(request.chat_id, "chat_id")
        prompt = _require(request.user_prompt, "user_prompt")
        no_nul(request.completion_type, "completion_type")
        row = await self.db.run(
            self.db.create_completion,
            caller.owner,
            chat_id,
            prompt,
            request.completion_type or "basic",
        )
        if row is None:
            raise _not_found("chat", chat_id)
        return m.CreateCompletionResponse(parsed_completion=_parsed(row))

    async def rpc_DeleteCompletions(
        self, caller: Caller, request: m.DeleteCompletionsRequest
    ) -> m.DeleteCompletionsResponse:
        if not request.completion_ids:
            raise _bad("field 'completion_ids' must list at least one completion id")
        _names(request.completion_ids, "completion_ids")
        missing = await self.db.run(
            self.db.delete_completions, caller.owner, request.completion_ids
        )
        if missing:
            raise ConnectError(
                "not_found", f"completions not found for this API key (nothing deleted): {missing}"
            )
        return m.DeleteCompletionsResponse(success=True)

    async def rpc_SearchChatIdsByPromptAndCompletionText(
        self, caller: Caller, request: m.SearchChatIdsByPromptAndCompletionTextRequest
    ) -> m.SearchChatIdsByPromptAndCompletionTextResponse:
        term = _require_name(request.search_term, "search_term").strip()
        ids = await self.db.run(self.db.search_chat_ids, caller.owner, term)
        return m.SearchChatIdsByPromptAndCompletionTextResponse(chat_ids=ids)

    async def rpc_UpdateCompletionAttributes(
        self, caller: Caller, request: m.UpdateCompletionAttributesRequest
    ) -> m.UpdateCompletionAttributesResponse:
        completion_id = _require_name(request.completion_id, "completion_id")
        if (
            request.completion_text is None
            and request.user_prompt_text is None
            and request.metadata is None
        ):
            raise _bad("nothing to update: send completion_text, user_prompt_text or metadata")
        check_metadata(request.metadata)
        try:
            row = await self.db.run(
                self.db.update_completion,
                caller.owner,
                completion_id,
                request.completion_text,
                request.user_prompt_text,
                request.metadata,
                MAX_METADATA_BYTES,
            )
        except MetadataTooLarge as exc:  # rolled back: the stored completion is unchanged
            raise _bad(f"field 'metadata': {exc}") from None
        if row is None:
            raise _not_found("completion", completion_id)
        return m.UpdateCompletionAttributesResponse(completion=_stored(row))

    async def rpc_GetCompletionsWithDeepResearcherEntry(
        self, caller: Caller, request: m.Empty
    ) -> m.GetCompletionsWithDeepResearcherEntryResponse:
        rows = await self.db.run(self.db.completions_with_research, caller.owner)
        return m.GetCompletionsWithDeepResearcherEntryResponse(
            completions=[_parsed(r) for r in rows]
        )
