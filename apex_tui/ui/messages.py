"""Every custom Textual message of the app, in one place (children talk up with these)."""

from __future__ import annotations

from textual.message import Message


class ChatChosen(Message):
    """The user opened a chat in the sessions pane."""

    def __init__(self, chat_id: str) -> None:
        super().__init__()
        self.chat_id = chat_id


class SearchRequested(Message):
    """Enter in the filter: search prompt and completion text on the server."""

    def __init__(self, term: str) -> None:
        super().__init__()
        self.term = term


class RenameRequested(Message):
    """The user finished editing a chat title in place."""

    def __init__(self, chat_id: str, old_title: str, new_title: str) -> None:
        super().__init__()
        self.chat_id = chat_id
        self.old_title = old_title
        self.new_title = new_title


class DeleteRequested(Message):
    """The user asked to delete these chats (confirmation comes next)."""

    def __init__(self, chat_ids: list[str]) -> None:
        super().__init__()
        self.chat_ids = chat_ids


class PromptSubmitted(Message):
    """The prompt bar wants this text sent with this completion type."""

    def __init__(self, text: str, completion_type: str) -> None:
        super().__init__()
        self.text = text
        self.completion_type = completion_type


class DraftChanged(Message):
    """The prompt text changed; the draft store saves it (debounced)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class ChatSettingsRequested(Message):
    """The prompt bar's settings button: open the per-chat settings."""
