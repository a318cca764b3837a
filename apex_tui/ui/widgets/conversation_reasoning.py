"""The reasoning blocks of the conversation view's turns: which one ``t`` opens or closes, and
whether a click landed on a block's first line. A model's reasoning is shown apart, above the
answer, collapsed until opened (``render.turn``); the view owns the turns, this decides."""

from __future__ import annotations

from collections.abc import Callable

from textual.strip import Strip

from apex_tui.ui.render.turn import REASONING_MARKS, TurnView
from apex_tui.ui.render.turn_index import TurnIndex

__all__ = ["ReasoningBlocks"]


class ReasoningBlocks:
    """Opening and closing reasoning blocks; the view re-renders a toggled turn."""

    def __init__(
        self,
        index: TurnIndex,
        selected: Callable[[], TurnView | None],
        rerender: Callable[[str], None],
    ) -> None:
        self._index = index
        self._selected = selected
        self._rerender = rerender

    def target(self) -> TurnView | None:
        """The turn `t` opens or closes: the selected one, else the last one with reasoning."""
        selected = self._selected()
        if selected is not None:
            return selected if selected.reasoning else None
        return next((t for t in reversed(self._index.turns) if t.reasoning), None)

    def toggle(self, key: str) -> None:
        """Open or close a turn's reasoning block."""
        turn = self._index.turn(key)
        if turn.reasoning:
            turn.reasoning_open = not turn.reasoning_open
            self._rerender(key)

    def clicked(self, turn: TurnView, line: Strip | None) -> None:
        """A click on ``line`` of ``turn``: toggles the block when it is the block's first line."""
        if turn.reasoning and line is not None and line.text.startswith(REASONING_MARKS):
            self.toggle(turn.key)
