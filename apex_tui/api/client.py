"""The async Apex client: one method per RPC of ``apex.v1.ApexService``, typed in and out.

Reads that are safe to repeat retry on transient failures (see :class:`RetryPolicy`); creates
and updates are sent once. Every reply is parsed through :mod:`apex_tui.api.models`.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from types import TracebackType
from typing import Any

from apex_tui.api.errors import ApexProtocolError
from apex_tui.api.limits import ClientLimits
from apex_tui.api.models import (
    ChatCompletionChunkResponse,
    ChatCompletionRequest,
    ChatCompletionResponse,
    ChatSession,
    CreateChatAndCompletionRequest,
    CreateChatAndCompletionResponse,
    CreateCompletionRequest,
    CreateCompletionResponse,
    DeleteChatsRequest,
    DeleteChatsResponse,
    DeleteCompletionsRequest,
    DeleteCompletionsResponse,
    Empty,
    GetChatCompletionRequest,
    GetChatSessionsRequest,
    GetChatSessionsResponse,
    GetCompletionsWithDeepResearcherEntryResponse,
    GetDeepResearcherJobRequest,
    GetDeepResearcherJobResponse,
    GetStoredChatCompletionsRequest,
    GetStoredChatCompletionsResponse,
    ParsedCompletion,
    SearchChatIdsByPromptAndCompletionTextRequest,
    SearchChatIdsByPromptAndCompletionTextResponse,
    StoredChatCompletion,
    SubmitDeepResearcherJobResponse,
    UpdateChatAttributesRequest,
    UpdateChatAttributesResponse,
    UpdateCompletionAttributesRequest,
    UpdateCompletionAttributesResponse,
    WebRetrievalRequest,
    WebRetrievalResponse,
)
from apex_tui.api.transport import ConnectTransport, RetryPolicy, Route

__all__ = ["ApexClient"]


class ApexClient:
    """Async client for one Apex endpoint; use ``async with`` or call :meth:`aclose`."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float | None = None,
        max_retries: int = 3,
        extra_headers: dict[str, str] | None = None,
        stream_timeout: float | None = None,
        retry_base_delay: float = 0.5,
        retry_after_cap: float = 10.0,
        max_message_bytes: int | None = None,
        limits: ClientLimits | None = None,
        route: Route | None = None,
        key_configured: bool = True,
    ) -> None:
        """``limits``: every time and size limit (``api.limits``); ``timeout`` (a unary call,
        retries included), ``stream_timeout`` and ``max_message_bytes`` override one each.
        ``key_configured=False``: ``api_key`` is a stand-in (or empty) because nobody set
        one, so a refusal says to set a key rather than to check it."""
        limits = (limits or ClientLimits()).with_values(
            call_timeout=timeout, stream_timeout=stream_timeout, max_reply_bytes=max_message_bytes
        )
        self._transport = ConnectTransport(
            base_url,
            api_key,
            retry=RetryPolicy(
                max_retries=max_retries,
                base_delay=retry_base_delay,
                retry_after_cap=retry_after_cap,
            ),
            extra_headers=extra_headers,
            limits=limits,
            route=route,
            key_configured=key_configured,
        )
        self.limits = limits

    @property
    def base_url(self) -> str:
        return self._transport.base_url

    def retarget(self, base_url: str) -> None:
        """Send the next calls to ``base_url`` (the local server was restarted elsewhere); the
        objects holding this client keep working."""
        from apex_tui.api.transport import normalize_base_url

        self._transport.base_url = normalize_base_url(base_url)

    async def aclose(self) -> None:
        await self._transport.aclose()

    async def __aenter__(self) -> ApexClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # --- generation ---------------------------------------------------------------------

    async def chat_completion(self, request: ChatCompletionRequest) -> ChatCompletionResponse:
        """One-shot answer (the live service reported this broken; prefer the stream)."""
        request = request.model_copy(update={"stream": False})
        return await self._transport.unary(
            "ChatCompletion", request, ChatCompletionResponse, timeout=self.limits.stream_timeout
        )

    def chat_completion_stream(
        self, request: ChatCompletionRequest, *, timeout: float | None = None
    ) -> AsyncGenerator[ChatCompletionChunkResponse, None]:
        """Stream the answer chunk by chunk; see :meth:`ConnectTransport.stream`."""
        request = request.model_copy(update={"stream": True})
        return self._transport.stream(
            "ChatCompletionStream",
            request,
            ChatCompletionChunkResponse,
            timeout=timeout,  # None: the stream guard takes limits.stream_timeout
            text_of=lambda chunk: chunk.text,
        )

    async def web_retrieval(self, request: WebRetrievalRequest) -> WebRetrievalResponse:
        """A search may take its ``max_response_time``: that is added to the call's budget."""
        allowed = min(request.max_response_time or 0, 600)
        return await self._transport.unary(
            "WebRetrieval",
            request,
            WebRetrievalResponse,
            retry=True,
            timeout=self.limits.call_timeout + max(0, allowed),
        )

    # --- deep research ------------------------------------------------------------------

    async def submit_deep_researcher_job(
        self, request: ChatCompletionRequest
    ) -> SubmitDeepResearcherJobResponse:
        reply = await self._transport.unary(
            "SubmitDeepResearcherJob", request, SubmitDeepResearcherJobResponse
        )
        if not reply.job_id:
            raise ApexProtocolError("SubmitDeepResearcherJob: reply carries no job id")
        return reply

    async def get_deep_researcher_job(self, job_id: str) -> GetDeepResearcherJobResponse:
        return await self._transport.unary(
            "GetDeepResearcherJob",
            GetDeepResearcherJobRequest(job_id=job_id),
            GetDeepResearcherJobResponse,
            retry=True,
        )

    async def get_completions_with_deep_researcher_entry(self) -> list[ParsedCompletion]:
        reply = await self._transport.unary(
            "GetCompletionsWithDeepResearcherEntry",
            Empty(),
            GetCompletionsWithDeepResearcherEntryResponse,
            retry=True,
        )
        return [c for c in reply.completions if c.id]

    # --- stored chats -------------------------------------------------------------------

    async def get_chat_sessions(self, chat_type: str = "") -> list[ChatSession]:
        reply = await self._transport.unary(
            "GetChatSessions",
            GetChatSessionsRequest(chat_type=chat_type),
            GetChatSessionsResponse,
            retry=True,
        )
        return [s for s in reply.chat_sessions if s.id]

    async def get_stored_chat_completions(self, chat_id: str) -> list[StoredChatCompletion]:
        """The chat's completions, oldest first; the live service's ``[{}]`` quirk dropped."""
        reply = await self._transport.unary(
            "GetStoredChatCompletions",
            GetStoredChatCompletionsRequest(chat_id=chat_id),
            GetStoredChatCompletionsResponse,
            retry=True,
        )
        return [c for c in reply.chat_completions if c.id]

    async def get_chat_completion(self, completion_id: str) -> StoredChatCompletion:
        return await self._transport.unary(
            "GetChatCompletion",
            GetChatCompletionRequest(completion_id=completion_id),
            StoredChatCompletion,
            retry=True,
        )

    async def update_chat_attributes(
        self, chat_id: str, *, title: str | None = None, chat_type: str | None = None
    ) -> ChatSession:
        attributes: dict[str, str] = {}
        if title is not None:
            attributes["title"] = title
        if chat_type is not None:
            attributes["chat_type"] = chat_type
        reply = await self._transport.unary(
            "UpdateChatAttributes",
            UpdateChatAttributesRequest(chat_id=chat_id, attributes=attributes),
            UpdateChatAttributesResponse,
        )
        if reply.chat is None:
            raise ApexProtocolError("UpdateChatAttributes: reply carries no chat")
        return reply.chat

    async def delete_chats(self, chat_ids: list[str]) -> bool:
        reply = await self._transport.unary(
            "DeleteChats", DeleteChatsRequest(chat_ids=list(chat_ids)), DeleteChatsResponse
        )
        return reply.success

    async def create_chat_and_completion(
        self,
        user_prompt: str,
        *,
        chat_type: str = "apex",
        completion_type: str = "basic",
        title: str | None = None,
    ) -> CreateChatAndCompletionResponse:
        reply = await self._transport.unary(
            "CreateChatAndCompletion",
            CreateChatAndCompletionRequest(
                user_prompt=user_prompt,
                chat_type=chat_type,
                completion_type=completion_type,
                title=title,
            ),
            CreateChatAndCompletionResponse,
        )
        if reply.parsed_chat is None or not reply.parsed_chat.id:
            raise ApexProtocolError("CreateChatAndCompletion: reply carries no chat")
        if reply.parsed_completion is None or not reply.parsed_completion.id:
            raise ApexProtocolError("CreateChatAndCompletion: reply carries no completion")
        return reply

    async def create_completion(
        self, chat_id: str, user_prompt: str, *, completion_type: str = "basic"
    ) -> ParsedCompletion:
        reply = await self._transport.unary(
            "CreateCompletion",
            CreateCompletionRequest(
                chat_id=chat_id, user_prompt=user_prompt, completion_type=completion_type
            ),
            CreateCompletionResponse,
        )
        if reply.parsed_completion is None or not reply.parsed_completion.id:
            raise ApexProtocolError("CreateCompletion: reply carries no completion")
        return reply.parsed_completion

    async def delete_completions(self, completion_ids: list[str]) -> bool:
        reply = await self._transport.unary(
            "DeleteCompletions",
            DeleteCompletionsRequest(completion_ids=list(completion_ids)),
            DeleteCompletionsResponse,
        )
        return reply.success

    async def search_chat_ids(self, search_term: str) -> list[str]:
        reply = await self._transport.unary(
            "SearchChatIdsByPromptAndCompletionText",
            SearchChatIdsByPromptAndCompletionTextRequest(search_term=search_term),
            SearchChatIdsByPromptAndCompletionTextResponse,
            retry=True,
        )
        return [i for i in reply.chat_ids if i]

    async def update_completion_attributes(
        self,
        completion_id: str,
        *,
        completion_text: str | None = None,
        user_prompt_text: str | None = None,
        metadata: dict[str, Any] | None = None,
        retry: bool = False,
    ) -> StoredChatCompletion:
        """Fields left ``None`` are not sent (explicit presence: not sent ≠ empty). ``retry``
        when repeating is harmless: writing the same text and metadata again (the final write
        of an answer) changes nothing."""
        reply = await self._transport.unary(
            "UpdateCompletionAttributes",
            UpdateCompletionAttributesRequest(
                completion_id=completion_id,
                completion_text=completion_text,
                user_prompt_text=user_prompt_text,
                metadata=metadata,
            ),
            UpdateCompletionAttributesResponse,
            retry=retry,
        )
        if reply.completion is None:
            raise ApexProtocolError("UpdateCompletionAttributes: reply carries no completion")
        return reply.completion
