"""A stored chat as a file or a page of text: its chosen branch as Markdown, JSON or plain
text, or every branch as a tree (nested Markdown headings, nested JSON).

One place for the shapes ``apex-tui chats show/export`` prints and the app's "Export chat"
writes, so a chat exported from either reads the same. The texts are the server's: Markdown
and plain text are made inert here unless ``raw``; JSON escapes what it would write raw
(:func:`~apex_tui.services.text_safety.json_text`), so it needs no ``raw``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal, Protocol

from apex_tui.services.text_safety import inert, json_text

if TYPE_CHECKING:
    from apex_tui.services.branches import BranchTree
    from apex_tui.services.chat_sync import Turn

__all__ = [
    "EXPORT_FORMATS",
    "ExportFormat",
    "chat_json",
    "chat_markdown",
    "chat_plain",
    "export_chat",
    "export_filename",
    "session_json",
    "tree_json",
    "tree_markdown",
    "turn_json",
]

MAX_HEADING = 6

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


def _turn_markdown(turn: ExportedTurn, level: int) -> list[str]:
    mark = "#" * min(level, MAX_HEADING)
    lines = [f"{mark} You", "", turn.prompt.strip(), "", f"{mark} Apex", ""]
    lines.append(turn.answer.strip() or "_(no answer)_")
    if turn.interrupted:
        lines += ["", "_(interrupted)_"]
    lines.append("")
    return lines


def chat_markdown(title: str, turns: Sequence[ExportedTurn]) -> str:
    """A chat as Markdown: a heading, then each prompt and answer (not made inert)."""
    lines = [f"# {title or 'Untitled chat'}", ""]
    for turn in turns:
        lines += _turn_markdown(turn, 2)
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


def turn_json(turn: ExportedTurn) -> dict[str, Any]:
    return {
        "completion_id": turn.completion_id,
        "prompt": turn.prompt,
        "answer": turn.answer,
        "completion_type": turn.completion_type,
        "created_at": turn.created_at.isoformat() if turn.created_at else None,
        "interrupted": turn.interrupted,
        "metadata": turn.metadata,
    }


def tree_markdown(title: str, tree: BranchTree[Turn]) -> str:
    """Every branch of a chat: where turns fork, each branch gets a heading ("Branch 1 of 2",
    "(shown)" on the chosen one) and its turns go one heading level deeper (not made inert)."""
    lines = [f"# {title or 'Untitled chat'}", ""]

    def walk(parent: str | None, level: int) -> None:
        while True:
            children = tree.children(parent)
            if not children:
                return
            if len(children) == 1:
                lines.extend(_turn_markdown(children[0], level))
                parent = children[0].completion_id
                continue
            chosen = tree.chosen_child(parent)
            for number, turn in enumerate(children, start=1):
                shown = " (shown)" if turn is chosen else ""
                heading = "#" * min(level, MAX_HEADING)
                lines.extend([f"{heading} Branch {number} of {len(children)}{shown}", ""])
                lines.extend(_turn_markdown(turn, level + 1))
                walk(turn.completion_id, level + 1)
            return

    walk(None, 2)
    return "\n".join(lines)


def tree_json(tree: BranchTree[Turn]) -> dict[str, Any]:
    """Every branch as nested segments: ``{"turns": [...], "branches": [segment, ...]}``,
    where ``turns`` run in order up to a fork and each branch after it is a segment marked
    ``chosen`` or not (nesting grows with forks, not with the chat's length)."""

    def segment(parent: str | None, first: Turn | None) -> dict[str, Any]:
        turns: list[Turn] = []
        children = [first] if first is not None else tree.children(parent)
        while len(children) == 1:
            turns.append(children[0])
            parent = children[0].completion_id
            children = tree.children(parent)
        chosen = tree.chosen_child(parent)
        branches = [{"chosen": turn is chosen, **segment(parent, turn)} for turn in children]
        return {"turns": [turn_json(t) for t in turns], "branches": branches}

    return segment(None, None)


def session_json(session: Any) -> dict[str, Any]:
    """A chat session (``ChatSession``) as the CLI's JSON prints it."""
    return {
        "id": session.id,
        "title": session.title,
        "chat_type": session.chat_type,
        "created_at": session.created_at.isoformat() if session.created_at else None,
        "updated_at": session.updated_at.isoformat() if session.updated_at else None,
    }


def chat_json(
    chat_id: str,
    session: Any | None,
    turns: Sequence[ExportedTurn],
    tree: BranchTree[Turn] | None = None,
) -> str:
    """The chat and its turns with their metadata (every branch, nested, when ``tree`` is
    given), as JSON text ending in a newline."""
    data: dict[str, Any] = {
        "chat": session_json(session) if session is not None else {"id": chat_id}
    }
    if tree is not None:
        data["tree"] = tree_json(tree)
    else:
        data["turns"] = [turn_json(t) for t in turns]
    return json_text(data) + "\n"


def export_chat(
    chat_id: str,
    session: Any | None,
    turns: Sequence[ExportedTurn],
    fmt: str,
    *,
    raw: bool = False,
    tree: BranchTree[Turn] | None = None,
) -> str:
    """The file's text of a chat: JSON when ``fmt`` is "json", else Markdown (made inert
    unless ``raw``); every branch when ``tree`` is given, else ``turns`` (the branch shown)."""
    if fmt == "json":
        return chat_json(chat_id, session, turns, tree)
    title = session.title if session is not None else ""
    text = tree_markdown(title, tree) if tree is not None else chat_markdown(title, turns)
    return text if raw else inert(text)


def export_filename(title: str, chat_id: str, fmt: str) -> str:
    """A file name for a chat: its title's words (letters, digits, dashes), else its id."""
    words = "".join(c if c.isalnum() else " " for c in title.lower()).split()
    stem = "-".join(words)[:48].strip("-") or f"chat-{chat_id[:8]}"
    return f"{stem}.{fmt}"
