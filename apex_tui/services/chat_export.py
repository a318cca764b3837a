"""A stored chat as a file or a page of text: Markdown, JSON or plain text.

One place for the shapes ``apex-tui chats show/export`` prints and the app's "Export chat"
writes, so a chat exported from either reads the same. The texts are the server's: Markdown
and plain text are made inert here unless ``raw``; JSON escapes what it would write raw
(:func:`~apex_tui.services.text_safety.json_text`), so it needs no ``raw``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, Protocol

from apex_tui.services.text_safety import inert, json_text

__all__ = [
    "EXPORT_FORMATS",
    "ExportFormat",
    "chat_json",
    "chat_markdown",
    "chat_plain",
    "export_chat",
    "export_filename",
    "session_json",
]

ExportFormat = Literal["md", "json"]
EXPORT_FORMATS: tuple[ExportFormat, ...] = ("md", "json")
"""What a chat can be exported as (the CLI's ``--format`` and the app's export dialog)."""


class ExportedTurn(Protocol):
    """What an export reads of a turn (``services.chat_sync.Turn``)."""

    completion_id: str
    prompt: str
    answer: str
    completion_type: str
    created_at: Any
    interrupted: bool
    metadata: dict[str, Any]


def chat_markdown(title: str, turns: Sequence[ExportedTurn]) -> str:
    """A chat as Markdown: a heading, then each prompt and answer (not made inert)."""
    lines = [f"# {title or 'Untitled chat'}", ""]
    for turn in turns:
        lines += [
            "## You",
            "",
            turn.prompt.strip(),
            "",
            "## Apex",
            "",
            turn.answer.strip() or "_(no answer)_",
        ]
        if turn.interrupted:
            lines += ["", "_(interrupted)_"]
        lines.append("")
    return "\n".join(lines)


def chat_plain(title: str, turns: Sequence[ExportedTurn]) -> str:
    """A chat as plain text for a terminal: prompts quoted with ``>`` (not made inert)."""
    lines = [title or "Untitled chat", "=" * min(60, len(title or "Untitled chat")), ""]
    for turn in turns:
        lines += [f"> {line}" for line in turn.prompt.strip().splitlines()] + [""]
        lines += [turn.answer.strip() or "(no answer)"]
        if turn.interrupted:
            lines.append("[interrupted]")
        lines.append("")
    return "\n".join(lines)


def _turn_json(turn: ExportedTurn) -> dict[str, Any]:
    return {
        "completion_id": turn.completion_id,
        "prompt": turn.prompt,
        "answer": turn.answer,
        "completion_type": turn.completion_type,
        "created_at": turn.created_at.isoformat() if turn.created_at else None,
        "interrupted": turn.interrupted,
        "metadata": turn.metadata,
    }


def session_json(session: Any) -> dict[str, Any]:
    """A chat session (``ChatSession``) as the CLI's JSON prints it."""
    return {
        "id": session.id,
        "title": session.title,
        "chat_type": session.chat_type,
        "created_at": session.created_at.isoformat() if session.created_at else None,
        "updated_at": session.updated_at.isoformat() if session.updated_at else None,
    }


def chat_json(chat_id: str, session: Any | None, turns: Sequence[ExportedTurn]) -> str:
    """The chat and every turn with its metadata, as JSON text ending in a newline."""
    data: dict[str, Any] = {
        "chat": session_json(session) if session is not None else {"id": chat_id},
        "turns": [_turn_json(t) for t in turns],
    }
    return json_text(data) + "\n"


def export_chat(
    chat_id: str,
    session: Any | None,
    turns: Sequence[ExportedTurn],
    fmt: str,
    *,
    raw: bool = False,
) -> str:
    """The file's text of a chat: JSON when ``fmt`` is "json", else Markdown (made inert
    unless ``raw``)."""
    if fmt == "json":
        return chat_json(chat_id, session, turns)
    title = session.title if session is not None else ""
    text = chat_markdown(title, turns)
    return text if raw else inert(text)


def export_filename(title: str, chat_id: str, fmt: str) -> str:
    """A file name for a chat: its title's words (letters, digits, dashes), else its id."""
    words = "".join(c if c.isalnum() else " " for c in title.lower()).split()
    stem = "-".join(words)[:48].strip("-") or f"chat-{chat_id[:8]}"
    return f"{stem}.{fmt}"
