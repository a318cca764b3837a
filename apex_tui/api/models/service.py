"""The service itself: its name and every RPC's request and response message."""

from __future__ import annotations

from apex_tui.api.models.base import Empty, WireModel
from apex_tui.api.models.chat import (
    ChatCompletionChunkResponse,
    ChatCompletionRequest,
    ChatCompletionResponse,
)
from apex_tui.api.models.research import (
    GetDeepResearcherJobRequest,
    GetDeepResearcherJobResponse,
    SubmitDeepResearcherJobResponse,
)
from apex_tui.api.models.search import WebRetrievalRequest, WebRetrievalResponse
from apex_tui.api.models.stored_chats import (
    CreateChatAndCompletionRequest,
    CreateChatAndCompletionResponse,
    CreateCompletionRequest,
    CreateCompletionResponse,
    DeleteChatsRequest,
    DeleteChatsResponse,
    DeleteCompletionsRequest,
    DeleteCompletionsResponse,
    GetChatCompletionRequest,
    GetChatSessionsRequest,
    GetChatSessionsResponse,
    GetCompletionsWithDeepResearcherEntryResponse,
    GetStoredChatCompletionsRequest,
    GetStoredChatCompletionsResponse,
    SearchChatIdsByPromptAndCompletionTextRequest,
    SearchChatIdsByPromptAndCompletionTextResponse,
    StoredChatCompletion,
    UpdateChatAttributesRequest,
    UpdateChatAttributesResponse,
    UpdateCompletionAttributesRequest,
    UpdateCompletionAttributesResponse,
)

__all__ = ["METHODS", "SERVICE_NAME", "STREAMING_METHODS"]


METHODS: dict[str, tuple[type[WireModel], type[WireModel]]] = {
    "ChatCompletion": (ChatCompletionRequest, ChatCompletionResponse),
    "ChatCompletionStream": (ChatCompletionRequest, ChatCompletionChunkResponse),
    "WebRetrieval": (WebRetrievalRequest, WebRetrievalResponse),
    "SubmitDeepResearcherJob": (ChatCompletionRequest, SubmitDeepResearcherJobResponse),
    "GetDeepResearcherJob": (GetDeepResearcherJobRequest, GetDeepResearcherJobResponse),
    "GetChatSessions": (GetChatSessionsRequest, GetChatSessionsResponse),
    "GetStoredChatCompletions": (
        GetStoredChatCompletionsRequest,
        GetStoredChatCompletionsResponse,
    ),
    "GetChatCompletion": (GetChatCompletionRequest, StoredChatCompletion),
    "UpdateChatAttributes": (UpdateChatAttributesRequest, UpdateChatAttributesResponse),
    "DeleteChats": (DeleteChatsRequest, DeleteChatsResponse),
    "CreateChatAndCompletion": (CreateChatAndCompletionRequest, CreateChatAndCompletionResponse),
    "CreateCompletion": (CreateCompletionRequest, CreateCompletionResponse),
    "DeleteCompletions": (DeleteCompletionsRequest, DeleteCompletionsResponse),
    "SearchChatIdsByPromptAndCompletionText": (
        SearchChatIdsByPromptAndCompletionTextRequest,
        SearchChatIdsByPromptAndCompletionTextResponse,
    ),
    "UpdateCompletionAttributes": (
        UpdateCompletionAttributesRequest,
        UpdateCompletionAttributesResponse,
    ),
    "GetCompletionsWithDeepResearcherEntry": (Empty, GetCompletionsWithDeepResearcherEntryResponse),
}
"""Every RPC of ``apex.v1.ApexService``: name → (request model, response model)."""

STREAMING_METHODS = frozenset({"ChatCompletionStream"})
SERVICE_NAME = "apex.v1.ApexService"
