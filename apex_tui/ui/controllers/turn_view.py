"""What the conversation view shows for a stored turn: its status word, its source footnotes, its
place among sibling branches, and what a finished stream changes of the turn shown while it
streamed."""

from __future__ import annotations

from apex_tui.services.branches import BranchTree
from apex_tui.services.chat_sync import Turn
from apex_tui.ui.widgets.conversation import TurnView

SOURCE_TITLE = 70
"""Characters of a source's passage shown as its footnote title."""


def turn_status(turn: Turn) -> str:
    """The view's status word for a stored turn."""
    if turn.error and turn.error != "interrupted":
        return "error"
    return "interrupted" if turn.interrupted else "done"


def _short(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= SOURCE_TITLE else line[: SOURCE_TITLE - 1].rstrip() + "…"


def turn_sources(turn: Turn) -> list[tuple[str, str]]:
    """(url, title) footnotes of a web-search answer, from its stored metadata ("sources")."""
    sources = turn.metadata.get("sources", [])
    return [
        (str(s.get("url", "")), _short(str(s.get("relevant", ""))))
        for s in (sources if isinstance(sources, list) else [])
        if isinstance(s, dict)
    ]


def finished_changes(turn: Turn, shown: TurnView | None) -> dict[str, object]:
    """The fields of the streamed turn ``shown`` that the stored ``turn`` changes (the view
    re-renders only for those): sources, the reasoning as split at the end, the finish."""
    changes: dict[str, object] = {
        "sources": turn_sources(turn),
        "reasoning": turn.reasoning,
        "finish_reason": turn.finish_reason,
    }
    return {k: v for k, v in changes.items() if shown is None or getattr(shown, k) != v}


def turn_view(turn: Turn) -> TurnView:
    """What the conversation view shows for a stored turn."""
    sources = turn_sources(turn)
    return TurnView(
        key=turn.completion_id,
        prompt=turn.prompt,
        answer=turn.answer,
        completion_type=turn.completion_type,
        created_at=turn.created_at,
        status=turn_status(turn),
        error=turn.error if turn.error != "interrupted" else "",
        sources=sources,
        reasoning=turn.reasoning,
        finish_reason=turn.finish_reason,
    )


def branch_of(tree: BranchTree[Turn], completion_id: str) -> tuple[int, int] | None:
    """The header's "2/3" for a turn with sibling branches (None without)."""
    which, count = tree.position(completion_id)
    return (which, count) if count > 1 else None


def branch_views(tree: BranchTree[Turn], turns: list[Turn]) -> list[TurnView]:
    """The views of ``turns`` (part of the chosen branch), with their branch markers."""
    views = [turn_view(turn) for turn in turns]
    for view in views:
        view.branch = branch_of(tree, view.key)
    return views
