"""Stored chats: sessions and their completions as the server keeps them, and the requests
that list, create, update, search and delete them."""

from __future__ import annotations

from typing import Any

from apex_tui.api.models.base import Timestamp, WireModel


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
