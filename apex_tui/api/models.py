"""Wire models of ``apex.v1.ApexService`` (shared/apex-api.md §4), one definition per message.

Both the client and the local server use these. They follow proto3 JSON:

* input accepts camelCase and snake_case names, int64 as numbers or strings, ignores unknown
  keys, and rejects one field given under both of its names ("duplicate field", as connect-go);
* output (:meth:`WireModel.to_wire`) is canonical: camelCase, implicit-presence fields at their
  default omitted, explicit-presence fields (``X | None``) emitted whenever set, int64 as
  strings, timestamps as RFC 3339 with ``Z``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any, Self

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    Strict,
    model_serializer,
)
from pydantic.alias_generators import to_camel

from apex_tui.api import wire_names

__all__ = [
    "METHODS",
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


_fromisoformat = datetime.fromisoformat


def format_timestamp(value: datetime) -> str:
    """RFC 3339 in UTC with ``Z`` and 0, 3 or 6 fractional digits, as protobuf prints it."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    base = value.strftime("%Y-%m-%dT%H:%M:%S")
    micros = value.microsecond
    if micros == 0:
        return base + "Z"
    if micros % 1000 == 0:
        return f"{base}.{micros // 1000:03d}Z"
    return f"{base}.{micros:06d}Z"


def _rfc3339_for_python(value: str) -> str:
    """The forms ``datetime.fromisoformat`` refuses: surrounding blanks, a lower-case ``z``,
    more than 6 fractional digits in odd spellings. Trimmed to what it reads."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    if "." in text:
        head, _, tail = text.partition(".")
        digits = ""
        rest = tail
        while rest and rest[0].isdigit():
            digits, rest = digits + rest[0], rest[1:]
        text = f"{head}.{digits[:6].ljust(6, '0')}{rest}" if digits else head + rest
    return text


def _parse_timestamp(value: Any) -> Any:
    """Accept RFC 3339 with ``Z`` or an offset; naive values are taken as UTC.

    Python 3.11's ``fromisoformat`` (C) reads the canonical form at once (``Z``, offsets, any
    number of fractional digits, truncated to microseconds); only what it refuses takes the
    slower normalising path. 10,000 chats carry 20,000 of these, so the fast path matters.
    """
    if isinstance(value, str):
        try:
            value = _fromisoformat(value)
        except ValueError:
            value = _fromisoformat(_rfc3339_for_python(value))
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def _parse_int64(value: Any) -> Any:
    """proto3 JSON int64: a number or a decimal string; floats only when integral."""
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            number = float(text)  # raises ValueError for garbage: pydantic reports it
            if not number.is_integer():
                raise ValueError(f"int64 value {value!r} is not an integer") from None
            return int(number)
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"int64 value {value!r} is not an integer")
        return int(value)
    return value


Int64 = Annotated[int, BeforeValidator(_parse_int64), PlainSerializer(str, when_used="json")]
"""int64 on the wire: accepted as number or string, emitted as a decimal string."""

Timestamp = Annotated[
    # pydantic-core reads the canonical form itself when it parses JSON (strict: an RFC 3339
    # string with an offset; no Python call for each of a 10,000-chat list's 20,000 times);
    # anything else (naive times, odd spellings, Python-mode input) takes _parse_timestamp.
    Annotated[AwareDatetime, Strict()] | Annotated[datetime, BeforeValidator(_parse_timestamp)],
    Field(union_mode="left_to_right"),
    PlainSerializer(format_timestamp, when_used="json"),
]
"""google.protobuf.Timestamp: RFC 3339 string, emitted in UTC with ``Z``."""


class WireModel(BaseModel):
    """Base of every message: both name spellings in, canonical proto3 JSON out."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="ignore",
        frozen=False,
        # Validators are built on first use: start-up touches a handful of the ~60 messages.
        defer_build=True,
    )

    @model_serializer(mode="wrap")
    def _omit_defaults(
        self, handler: SerializerFunctionWrapHandler, info: SerializationInfo
    ) -> dict[str, Any]:
        """Drop implicit-presence fields at their default and unset optional ones."""
        data: dict[str, Any] = handler(self)
        by_alias = bool(info.by_alias)
        for name, field in type(self).model_fields.items():
            key = (field.alias or name) if by_alias else name
            if key not in data:
                continue
            value = getattr(self, name)
            if value is None:
                del data[key]
            elif field.default_factory is not None:
                if value == field.default_factory():  # type: ignore[call-arg]
                    del data[key]
            elif (
                field.default is not None
                and value == field.default
                and type(value) is type(field.default)
            ):
                del data[key]
        return data

    def to_wire(self) -> dict[str, Any]:
        """The canonical proto3 JSON object for this message."""
        return self.model_dump(mode="json", by_alias=True)

    @classmethod
    def from_wire(cls, data: Any) -> Self:
        """Parse a decoded JSON value under proto3 JSON's name rules (``wire_names``: a field
        under both names is an error, null means default); raises ``pydantic.ValidationError``
        when it does not fit. Wire input goes through here (or ``from_wire_json``), never
        through ``model_validate``, which does not apply those rules."""
        return cls.model_validate(wire_names.apply(cls, data))

    @classmethod
    def from_wire_json(cls, body: bytes) -> Self:
        """Parse JSON bytes: in one pydantic-core pass when the name rules provably have
        nothing to do (the usual case, ~3x faster on a 10,000-chat list), else through
        ``json.loads`` and :meth:`from_wire`. Raises ``ValueError`` for bytes that are not
        JSON and ``pydantic.ValidationError`` (a ValueError too) when the message does not fit."""
        if not wire_names.needs_checks(cls, body):
            return cls.model_validate_json(body)
        return cls.from_wire(json.loads(body))


# --- chat -----------------------------------------------------------------------------------


class ChatMessage(WireModel):
    role: str = ""
    content: str = ""


class SamplingParameters(WireModel):
    temperature: float = 0.0
    top_p: float = 0.0
    top_k: float | None = None
    max_new_tokens: Int64 = 0
    do_sample: bool = False


class ChatCompletionRequest(WireModel):
    uids: list[Int64] = []
    messages: list[ChatMessage] = []
    seed: Int64 | None = None
    task: str | None = None
    model: str | None = None
    test_time_inference: bool | None = None
    mixture: bool | None = None
    sampling_parameters: SamplingParameters | None = None
    inference_mode: str | None = None
    json_format: bool | None = None
    stream: bool | None = None
    timeout: Int64 | None = None


class Annotation(WireModel):
    content: str = ""
    role: str = ""


class ChatCompletionAudio(WireModel):
    id: str = ""
    data: str = ""
    expires_at: Int64 = 0
    transcript: str = ""


class FunctionCall(WireModel):
    arguments: list[str] = []
    name: str = ""


class Function(WireModel):
    arguments: list[str] = []
    name: str = ""


class ChatCompletionMessageToolCall(WireModel):
    id: str = ""
    function: Function | None = None
    type: str = ""


class ChatCompletionMessage(WireModel):
    content: str = ""
    refusal: str = ""
    role: str = ""
    annotations: list[Annotation] = []
    audio: ChatCompletionAudio | None = None
    function_call: FunctionCall | None = None
    tool_calls: list[ChatCompletionMessageToolCall] = []


class TopLogprob(WireModel):
    token: str = ""
    bytes: list[Int64] = []
    logprob: float = 0.0


class ChatCompletionTokenLogprob(WireModel):
    token: str = ""
    bytes: list[Int64] = []
    logprob: float = 0.0
    top_logprobs: list[TopLogprob] = []


class ChoiceLogprobs(WireModel):
    content: list[ChatCompletionTokenLogprob] = []
    refusal: list[ChatCompletionTokenLogprob] = []


class Choice(WireModel):
    finish_reason: str = ""
    index: Int64 = 0
    logprobs: ChoiceLogprobs | None = None
    message: ChatCompletionMessage | None = None


class CompletionTokensDetails(WireModel):
    accepted_prediction_tokens: Int64 = 0
    audio_tokens: Int64 = 0
    reasoning_tokens: Int64 = 0
    rejected_prediction_tokens: Int64 = 0


class PromptTokensDetails(WireModel):
    audio_tokens: Int64 = 0
    cached_tokens: Int64 = 0


class CompletionUsage(WireModel):
    completion_tokens: Int64 = 0
    prompt_tokens: Int64 = 0
    total_tokens: Int64 = 0
    completion_tokens_details: CompletionTokensDetails | None = None
    prompt_tokens_details: PromptTokensDetails | None = None


class ChatCompletionResponse(WireModel):
    id: str = ""
    choices: list[Choice] = []
    created: Int64 = 0
    model: str = ""
    object: str = ""
    service_tier: str = ""
    system_fingerprint: str = ""
    usage: CompletionUsage | None = None


class ChoiceDeltaFunctionCall(WireModel):
    arguments: list[str] = []
    name: str = ""


class ChoiceDeltaToolCallFunction(WireModel):
    arguments: list[str] = []
    name: str = ""


class ChoiceDeltaToolCall(WireModel):
    index: Int64 = 0
    id: str = ""
    function: ChoiceDeltaToolCallFunction | None = None
    type: str = ""


class ChoiceDelta(WireModel):
    content: str = ""
    function_call: ChoiceDeltaFunctionCall | None = None
    refusal: str = ""
    role: str = ""
    tool_calls: list[ChoiceDeltaToolCall] = []


class ChunkChoice(WireModel):
    delta: ChoiceDelta | None = None
    finish_reason: str = ""
    index: Int64 = 0
    logprobs: ChoiceLogprobs | None = None


class ChatCompletionChunkResponse(WireModel):
    id: str = ""
    choices: list[ChunkChoice] = []
    created: Int64 = 0
    model: str = ""
    object: str = ""
    service_tier: str = ""
    system_fingerprint: str = ""
    usage: CompletionUsage | None = None

    @property
    def text(self) -> str:
        """The content this chunk adds (all choices' deltas, normally one)."""
        return "".join(c.delta.content for c in self.choices if c.delta is not None)

    @property
    def finish_reason(self) -> str:
        """The first non-empty finish reason, or ``""`` while the answer goes on."""
        return next((c.finish_reason for c in self.choices if c.finish_reason), "")


# --- web search -----------------------------------------------------------------------------


class WebRetrievalRequest(WireModel):
    uids: list[Int64] = []
    search_query: str = ""
    n_miners: Int64 | None = None
    n_results: Int64 | None = None
    max_response_time: Int64 | None = None
    timeout: Int64 | None = None


class WebSearchResult(WireModel):
    url: str = ""
    content: str = ""
    relevant: str = ""


class WebRetrievalResponse(WireModel):
    results: list[WebSearchResult] = []


# --- deep research --------------------------------------------------------------------------


class SubmitDeepResearcherJobResponse(WireModel):
    job_id: str = ""
    status: str = ""
    created_at: str = ""
    updated_at: str = ""


class DeepResearcherResultChunk(WireModel):
    seq_id: Int64 = 0
    chunk: str = ""


class GetDeepResearcherJobRequest(WireModel):
    job_id: str = ""


class GetDeepResearcherJobResponse(WireModel):
    job_id: str = ""
    status: str = ""
    created_at: str = ""
    updated_at: str = ""
    result: list[DeepResearcherResultChunk] = []
    error: str | None = None


# --- stored chats ---------------------------------------------------------------------------


class ChatSession(WireModel):
    id: str = ""
    user_id: str = ""
    title: str = ""
    chat_type: str = ""
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None


class GetChatSessionsRequest(WireModel):
    chat_type: str = ""


class GetChatSessionsResponse(WireModel):
    chat_sessions: list[ChatSession] = []


class GetStoredChatCompletionsRequest(WireModel):
    chat_id: str = ""


class GetChatCompletionRequest(WireModel):
    completion_id: str = ""


class StoredChatCompletion(WireModel):
    id: str = ""
    chat_id: str = ""
    completion_type: str = ""
    created_at: Timestamp | None = None
    completed_at: Timestamp | None = None
    user_prompt_text: str = ""
    completion_text: str = ""
    metadata: dict[str, Any] | None = None
    error_message: str = ""


class GetStoredChatCompletionsResponse(WireModel):
    chat_completions: list[StoredChatCompletion] = []


class UpdateChatAttributesRequest(WireModel):
    chat_id: str = ""
    attributes: dict[str, str] = {}


class UpdateChatAttributesResponse(WireModel):
    chat: ChatSession | None = None


class DeleteChatsRequest(WireModel):
    chat_ids: list[str] = []


class DeleteChatsResponse(WireModel):
    success: bool = False


class ParsedChat(WireModel):
    id: str = ""
    title: str = ""
    created_at: Timestamp | None = None
    chat_type: str = ""


class ParsedCompletion(WireModel):
    id: str = ""
    chat_id: str = ""
    created_at: Timestamp | None = None
    user_prompt_text: str = ""
    completion_text: str = ""
    completion_type: str = ""
    metadata: dict[str, Any] | None = None


class CreateChatAndCompletionRequest(WireModel):
    user_prompt: str = ""
    chat_type: str = ""
    completion_type: str = ""
    title: str | None = None


class CreateChatAndCompletionResponse(WireModel):
    parsed_chat: ParsedChat | None = None
    parsed_completion: ParsedCompletion | None = None


class CreateCompletionRequest(WireModel):
    chat_id: str = ""
    user_prompt: str = ""
    completion_type: str = ""


class CreateCompletionResponse(WireModel):
    parsed_completion: ParsedCompletion | None = None


class DeleteCompletionsRequest(WireModel):
    completion_ids: list[str] = []


class DeleteCompletionsResponse(WireModel):
    success: bool = False


class SearchChatIdsByPromptAndCompletionTextRequest(WireModel):
    search_term: str = ""


class SearchChatIdsByPromptAndCompletionTextResponse(WireModel):
    chat_ids: list[str] = []


class UpdateCompletionAttributesRequest(WireModel):
    completion_id: str = ""
    completion_text: str | None = None
    metadata: dict[str, Any] | None = None
    user_prompt_text: str | None = None


class UpdateCompletionAttributesResponse(WireModel):
    completion: StoredChatCompletion | None = None


class GetCompletionsWithDeepResearcherEntryResponse(WireModel):
    completions: list[ParsedCompletion] = []


class Empty(WireModel):
    """google.protobuf.Empty: ``{}`` on the wire."""


# --- the service ----------------------------------------------------------------------------

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
