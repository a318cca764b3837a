"""The streaming tail of the conversation: when streamed text is drawn, and how much at a time.

Text handed to the view is drawn on the next frame tick (a 30 Hz frame apart, or further apart
while it floods the screen: `stream_pacing.DrawPacer`), never dropped. Each draw re-renders only
the answer's growing tail block (`TurnLines` keeps the finished ones) and renders newly finished
blocks for at most `STREAM_SLICE` (less right after a key, see `key_pressure`); what is left
waits `CATCH_UP_INTERVAL` for the next slice. While the text floods, those slices render ahead
without showing anything, and the draw comes once they are done.
"""

from __future__ import annotations

from collections.abc import Callable
from time import perf_counter
from typing import TYPE_CHECKING

from apex_tui.ui import key_pressure
from apex_tui.ui.stream_pacing import DrawPacer

if TYPE_CHECKING:
    from textual.strip import Strip
    from textual.timer import Timer
    from textual.widget import Widget

__all__ = ["StreamingTail", "same_on_screen"]


class StreamingTail:
    """Which answers have text waiting to be drawn, and the timer that draws them."""

    STREAM_SLICE = 0.003
    """Longest a streaming re-render renders finished blocks (seconds) before yielding a frame."""
    CATCH_UP_INTERVAL = 1 / 120
    """Pause before the next slice when a re-render ran out of time (keys and frames go first)."""

    def __init__(self, owner: Widget, draw: Callable[[], None]) -> None:
        """`draw` runs on each tick of the timer set on `owner` (it should call `take`)."""
        self._owner = owner
        self._draw = draw
        self._timer: Timer | None = None
        self._told_new_text = False
        self.pacer = DrawPacer()
        """When the next draw is due (the view tells it what each draw cost)."""
        self.pending: set[str] = set()
        """Keys of the turns whose streamed text is not drawn yet."""

    def add(self, key: str) -> None:
        """Text arrived for turn `key`: draw it on the next frame tick."""
        self.pending.add(key)
        if self._timer is None and self._owner.is_mounted:
            delay = self.pacer.delay(perf_counter())
            self._timer = self._owner.set_timer(delay, self._on_timer)

    def take(self) -> set[str]:
        """The keys to draw now (none pending afterwards); a tick waiting for them is cancelled."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        pending, self.pending = self.pending, set()
        return pending

    def again(self, key: str) -> None:
        """Turn `key` ran out of time: draw the rest in the next slice."""
        self.pending.add(key)

    def catch_up(self) -> None:
        """After a draw: the next slice soon, if something ran out of time."""
        if self.pending and self._timer is None and self._owner.is_mounted:
            self._timer = self._owner.set_timer(self.CATCH_UP_INTERVAL, self._on_timer)

    @classmethod
    def deadline(cls) -> float:
        """When a streamed re-render that starts now must yield (a `perf_counter()` time)."""
        return perf_counter() + key_pressure.slice_for(cls.STREAM_SLICE)

    def discard(self, key: str) -> None:
        self.pending.discard(key)

    def rename(self, key: str, new_key: str) -> None:
        if key in self.pending:
            self.pending.discard(key)
            self.pending.add(new_key)

    def clear(self) -> None:
        self.pending.clear()
        self.pacer.reset()

    def first_text_below(self) -> bool:
        """True once per stretch of reading above the end: then the view says text arrived."""
        if self._told_new_text:
            return False
        self._told_new_text = True
        return True

    def following_again(self) -> None:
        """The view follows the bottom again: the next text below is worth saying again."""
        self._told_new_text = False

    def _on_timer(self) -> None:
        self._timer = None
        self._draw()


def same_on_screen(
    top: int, height: int, before: list[Strip] | None, after: list[Strip] | None
) -> bool:
    """True when a turn's rows inside the viewport are the very strips drawn before.

    `top` is the turn's first row relative to the viewport, `height` the viewport's. A reader
    scrolled up into a streaming answer sees its finished blocks, which keep their strips; only
    the growing end changes, below the view, so no repaint is needed. A turn whose length
    changed with its end in view moves what is below it (the streaming cursor's line going
    when a short answer ends, say): that is never the same.
    """
    if before is None or after is None:
        return False
    if len(after) != len(before) and top + min(len(after), len(before)) < height:
        return False
    first, last = max(0, -top), min(len(after), height - top)
    if last > len(before):
        return False
    return all(before[row] is after[row] for row in range(first, last))
