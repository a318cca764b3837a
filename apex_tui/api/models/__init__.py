"""Wire models of ``apex.v1.ApexService`` (shared/apex-api.md §4), one definition per message.

Both the client and the local server use these. They follow proto3 JSON:

* input accepts camelCase and snake_case names, int64 as numbers or strings, ignores unknown
  keys, and rejects one field given under both of its names ("duplicate field", as connect-go);
* output (:meth:`WireModel.to_wire`) is canonical: camelCase, implicit-presence fields at their
  default omitted, explicit-presence fields (``X | None``) emitted whenever set, int64 as
  strings, timestamps as RFC 3339 with ``Z``.

The messages live by area: ``base`` (WireModel, Int64, Timestamp, Empty), ``chat`` (chat
completions and stream chunks), ``search`` (web retrieval), ``research`` (deep researcher jobs),
``stored_chats`` (chat sessions, stored completions and their requests) and ``service`` (the
service name and every RPC's messages). Import them from here: this package is their one
stable face.
"""

from __future__ import annotations

from apex_tui.api.models.base import (
    Empty,
    Int64,
    Timestamp,
    WireModel,
    format_timestamp,
)
from apex_tui.api.models.chat import (
    Annotation,
    ChatCompletionAudio,
    ChatCompletionChunkResponse,
    ChatCompletionMessage,
    ChatCompletionMessageToolCall,
    ChatCompletionRequest,
    ChatCompletionResponse,
    ChatCompletionTokenLogprob,
    ChatMessage,
    Choice,
    ChoiceDelta,
    ChoiceDeltaFunctionCall,
    ChoiceDeltaToolCall,
    ChoiceDeltaToolCallFunction,
    ChoiceLogprobs,
    ChunkChoice,
    CompletionTokensDetails,
    CompletionUsage,
    Function,
    FunctionCall,
    PromptTokensDetails,
    SamplingParameters,
    TopLogprob,
)
from apex_tui.api.models.research import (
    DeepResearcherResultChunk,
    GetDeepResearcherJobRequest,
    GetDeepResearcherJobResponse,
    SubmitDeepResearcherJobResponse,
)
from apex_tui.api.models.search import (
    WebRetrievalRequest,
    WebRetrievalResponse,
    WebSearchResult,
)
from apex_tui.api.models.service import (
    METHODS,
    SERVICE_NAME,
    STREAMING_METHODS,
)
from apex_tui.api.models.stored_chats import (
    ChatSession,
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
    ParsedChat,
    ParsedCompletion,
    SearchChatIdsByPromptAndCompletionTextRequest,
    SearchChatIdsByPromptAndCompletionTextResponse,
    StoredChatCompletion,
    UpdateChatAttributesRequest,
    UpdateChatAttributesResponse,
    UpdateCompletionAttributesRequest,
    UpdateCompletionAttributesResponse,
)

__all__ = [
    "METHODS",
    "SERVICE_NAME",
    "STREAMING_METHODS",
    "Annotation",
    "ChatCompletionAudio",
    "ChatCompletionChunkResponse",
    "ChatCompletionMessage",
    "ChatCompletionMessageToolCall",
    "ChatCompletionRequest",
    "ChatCompletionResponse",
    "ChatCompletionTokenLogprob",
    "ChatMessage",
    "ChatSession",
    "Choice",
    "ChoiceDelta",
    "ChoiceDeltaFunctionCall",
    "ChoiceDeltaToolCall",
    "ChoiceDeltaToolCallFunction",
    "ChoiceLogprobs",
    "ChunkChoice",
    "CompletionTokensDetails",
    "CompletionUsage",
    "CreateChatAndCompletionRequest",
    "CreateChatAndCompletionResponse",
    "CreateCompletionRequest",
    "CreateCompletionResponse",
    "DeepResearcherResultChunk",
    "DeleteChatsRequest",
    "DeleteChatsResponse",
    "DeleteCompletionsRequest",
    "DeleteCompletionsResponse",
    "Empty",
    "Function",
    "FunctionCall",
    "GetChatCompletionRequest",
    "GetChatSessionsRequest",
    "GetChatSessionsResponse",
    "GetCompletionsWithDeepResearcherEntryResponse",
    "GetDeepResearcherJobRequest",
    "GetDeepResearcherJobResponse",
    "GetStoredChatCompletionsRequest",
    "GetStoredChatCompletionsResponse",
    "Int64",
    "ParsedChat",
    "ParsedCompletion",
    "PromptTokensDetails",
    "SamplingParameters",
    "SearchChatIdsByPromptAndCompletionTextRequest",
    "SearchChatIdsByPromptAndCompletionTextResponse",
    "StoredChatCompletion",
    "SubmitDeepResearcherJobResponse",
    "Timestamp",
    "TopLogprob",
    "UpdateChatAttributesRequest",
    "UpdateChatAttributesResponse",
    "UpdateCompletionAttributesRequest",
    "UpdateCompletionAttributesResponse",
    "WebRetrievalRequest",
    "WebRetrievalResponse",
    "WebSearchResult",
    "WireModel",
    "format_timestamp",
]
