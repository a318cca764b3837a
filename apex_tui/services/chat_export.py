"""A stored chat written out: its chosen branch as Markdown, plain text or JSON, or every
branch as a tree (nested Markdown headings, nested JSON).

Shared by ``apex-tui chats show|export`` and any export in the app; the text is the server's
as received (callers make it inert for a terminal, JSON escapes it).
"""

from __future__ import annotations

from typing import Any

from apex_tui.services.branches import BranchTree
from apex_tui.services.chat_sync import Turn

__all__ = ["chat_markdown", "chat_plain", "tree_json", "tree_markdown", "turn_json"]

MAX_HEADING = 6


def _turn_markdown(turn: Turn, level: int) -> list[str]:
    mark = "#" * min(level, MAX_HEADING)
    lines = [f"{mark} You", "", turn.prompt.strip(), "", f"{mark} Apex", ""]
    lines.append(turn.answer.strip() or "_(no answer)_")
    if turn.interrupted:
        lines += ["", "_(interrupted)_"]
    lines.append("")
    return lines


def chat_markdown(title: str, turns: list[Turn]) -> str:
    """A chat as Markdown: a heading, then each prompt and answer."""
    lines = [f"# {title or 'Untitled chat'}", ""]
    for turn in turns:
        lines += _turn_markdown(turn, 2)
    return "\n".join(lines)


def chat_plain(title: str, turns: list[Turn]) -> str:
    lines = [title or "Untitled chat", "=" * min(60, len(title or "Untitled chat")), ""]
    for turn in turns:
        lines += [f"> {line}" for line in turn.prompt.strip().splitlines()] + [""]
        lines += [turn.answer.strip() or "(no answer)"]
        if turn.interrupted:
            lines.append("[interrupted]")
        lines.append("")
    return "\n".join(lines)


def tree_markdown(title: str, tree: BranchTree[Turn]) -> str:
    """Every branch of a chat: where turns fork, each branch gets a heading ("Branch 1 of 2",
    "(shown)" on the chosen one) and its turns go one heading level deeper."""
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


def turn_json(turn: Turn) -> dict[str, Any]:
    return {
        "completion_id": turn.completion_id,
        "prompt": turn.prompt,
        "answer": turn.answer,
        "completion_type": turn.completion_type,
        "created_at": turn.created_at.isoformat() if turn.created_at else None,
        "interrupted": turn.interrupted,
        "metadata": turn.metadata,
    }


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
