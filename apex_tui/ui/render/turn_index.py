"""The conversation's turns apart from the widget: their order, keys, heights and rendered lines.

The view asks for a turn's lines only when they are about to be drawn (or pre-rendered); this
index renders them at the width it is given, keeps the lines of the last `CACHED_TURNS` turns
(heights are kept for all turns, in `layout`) and keeps each streaming turn's `TurnLines`, so a
re-render of a growing answer renders only its tail block.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from textual.strip import Strip

from apex_tui.ui.render.layout import TurnLayout
from apex_tui.ui.render.markdown_lines import BlockRenderer
from apex_tui.ui.render.turn import TurnLines, TurnView, estimate_height

__all__ = ["TurnIndex"]


class TurnIndex:
    """Turns in order by key, their layout, and a bounded cache of their rendered lines."""

    CACHED_TURNS = 300
    """Finished turns whose lines are kept; heights are kept for all turns."""

    def __init__(self, renderer: Callable[[], BlockRenderer]) -> None:
        self.turns: list[TurnView] = []
        """Oldest first; change them through the methods, which keep the keys and layout true."""
        self.layout = TurnLayout()
        """Each turn's height and offset (one object for the index's life: `reset` refills it)."""
        self._renderer = renderer
        self._positions: dict[str, int] = {}
        self._lines: OrderedDict[str, list[Strip]] = OrderedDict()
        self._live: dict[str, TurnLines] = {}

    # ----------------------------------------------------------------- the turns

    def position(self, key: str) -> int | None:
        return self._positions.get(key)

    def index_of(self, key: str) -> int:
        position = self._positions.get(key)
        if position is None:
            raise KeyError(f"no turn with key {key!r} in the conversation")
        return position

    def turn(self, key: str) -> TurnView:
        return self.turns[self.index_of(key)]

    def reset(self, turns: list[TurnView], width: int) -> None:
        """Hold these turns instead, with estimated heights and nothing rendered."""
        self.turns = list(turns)
        self._reindex()
        self.relayout(width)

    def append(self, turn: TurnView, width: int) -> int:
        """Add a turn at the end (its height estimated); return its position."""
        if turn.key in self._positions:
            raise ValueError(f"a turn with key {turn.key!r} is already shown")
        self.turns.append(turn)
        position = len(self.turns) - 1
        self._positions[turn.key] = position
        self.layout.insert(position, estimate_height(turn, width))
        return position

    def _rename(self, key: str, new_key: str) -> None:
        """The turn shown as `key` is now `new_key` (its lines and stream state move along)."""
        self._positions[new_key] = self._positions.pop(key)
        for store in (self._lines, self._live):
            if key in store:
                store[new_key] = store.pop(key)  # type: ignore[assignment]

    def update(self, key: str, changes: dict[str, Any]) -> str:
        """Change fields of turn `key` (`key=` renames it); return its key afterwards."""
        turn = self.turn(key)
        unknown = set(changes) - set(TurnView.__dataclass_fields__)
        if unknown:
            raise TypeError(f"TurnView has no field(s) {sorted(unknown)}")
        new_key = changes.get("key", key)
        if new_key != key and new_key in self._positions:
            raise ValueError(f"a turn with key {new_key!r} is already shown")
        for name, value in changes.items():
            setattr(turn, name, value)
        if new_key != key:
            self._rename(key, new_key)
        return new_key

    def remove(self, key: str) -> bool:
        """Drop a turn; False when there is none with this key."""
        position = self._positions.get(key)
        if position is None:
            return False
        del self.turns[position]
        self.layout.remove(position)
        self._reindex()
        for store in (self._lines, self._live):
            store.pop(key, None)
        return True

    def replace_from(self, position: int, turns: list[TurnView], width: int) -> None:
        """Show ``turns`` instead of the turn at ``position`` and all after it (another
        branch): the turns before keep their heights and lines; the new ones are estimated."""
        kept = {turn.key for turn in self.turns[:position]}
        clash = [turn.key for turn in turns if turn.key in kept]
        if clash:
            raise ValueError(f"turn(s) {clash} are shown above position {position} already")
        for turn in self.turns[position:]:
            for store in (self._lines, self._live):
                store.pop(turn.key, None)
        for index in range(len(self.turns) - 1, position - 1, -1):
            self.layout.remove(index)
        self.turns[position:] = turns
        for offset, turn in enumerate(turns):
            self.layout.insert(position + offset, estimate_height(turn, width))
        self._reindex()

    def relayout(self, width: int) -> None:
        """Forget every rendered line and estimate every height again at `width`."""
        self._lines.clear()
        self._live.clear()
        self.layout.reset([estimate_height(turn, width) for turn in self.turns])

    def _reindex(self) -> None:
        self._positions = {turn.key: position for position, turn in enumerate(self.turns)}

    # ----------------------------------------------------------------- rendered lines

    def render(self, index: int, width: int, deadline: float | None = None) -> int:
        """Render turn `index` into the line cache; return how much its height changed."""
        turn = self.turns[index]
        turn_lines = self._live.get(turn.key)  # a streaming turn keeps its rendered blocks
        if turn_lines is None:
            turn_lines = TurnLines(self._renderer(), width)
            if turn.status == "streaming":
                self._live[turn.key] = turn_lines
        lines = turn_lines.lines(turn, deadline)
        self._lines[turn.key] = lines
        self._lines.move_to_end(turn.key)
        while len(self._lines) > self.CACHED_TURNS:
            oldest = next(iter(self._lines))
            if oldest in self._live:
                break
            del self._lines[oldest]
        return self.layout.set_height(index, len(lines))

    def fill(self, start: int, step: int, width: int, height: int) -> None:
        """Render turns from `start` on (`step` -1: upwards, 1: downwards) until they fill
        `height` lines or the turns run out."""
        filled, index = 0, start
        while 0 <= index < len(self.turns) and filled < height:
            self.render(index, width)
            filled += self.layout.heights[index]
            index += step

    def lines(self, index: int, width: int) -> tuple[list[Strip], int]:
        """Turn `index`'s lines (rendered now if not cached) and how much its height changed."""
        key = self.turns[index].key
        lines = self._lines.get(key)
        if lines is None:
            delta = self.render(index, width)
            return self._lines[key], delta
        self._lines.move_to_end(key)
        return lines, 0

    def cached(self, key: str) -> list[Strip] | None:
        """The turn's lines if they are cached (without marking them as used)."""
        return self._lines.get(key)

    def forget_lines(self, key: str) -> list[Strip] | None:
        """Drop the turn's cached lines (to render them again); return them."""
        return self._lines.pop(key, None)

    def end_stream(self, key: str) -> None:
        """The turn no longer streams: its next render starts from scratch."""
        self._live.pop(key, None)

    def render_ahead(self, key: str, deadline: float) -> bool:
        """Render a streaming turn's newly finished blocks until `deadline` without changing
        its lines or height (`TurnLines.answer_ahead`); True when none is left waiting."""
        live = self._live.get(key)
        return live is None or live.answer_ahead(self.turn(key), deadline)

    def behind(self, key: str) -> bool:
        """A streaming turn still has finished blocks waiting to be rendered."""
        live = self._live.get(key)
        return live is not None and live.behind
